/**
 * What a folder claims and must therefore prove, read from the two fields a
 * build cannot do without (the recipe and the mode) and checked against
 * this kpatch's recipes: an unknown recipe or mode is a failure, since then
 * nothing says what the binaries must show. How the manifest describes its
 * own proofs (`verification`) is checked against the claim, never used to
 * choose what to prove.
 */
import type { Recipe } from '../engine/recipe.js';
import type { Manifest, Verification } from '../manifest/manifest.js';
import { RECIPES } from '../recipes.js';

/** The mode a build of nothing changed writes (`--build-anyway`). */
export const UNCHANGED_MODE = 'none';

/**
 * The fix a folder claims: `edit` (a source patch, guard or remove), `tag`
 * (a build tag, nokmem), `none` (built unchanged: the release needed nothing).
 */
export type Claim = { recipe: Recipe; mode: string } & ({ kind: 'edit' } | { kind: 'tag'; tag: string } | { kind: 'none' });

/** What each kind of claim records about its proof: the method and the statuses a build writes for it. */
export const RECORD_BY_KIND: Readonly<
  Record<Claim['kind'], { method: Verification['method']; status: readonly Verification['status'][] }>
> = {
  edit: { method: 'source', status: ['verified'] },
  tag: { method: 'binary', status: ['verified', 'unverified'] },
  none: { method: 'none', status: ['not-needed'] },
};

/** The modes of `recipe`, as a manifest writes them. */
export function modesOf(recipe: Recipe): string[] {
  return [...recipe.modes, ...(recipe.buildTag ? [recipe.buildTag.name] : []), UNCHANGED_MODE];
}

/** The claim of manifest `m`, or why there is none (one sentence about manifest.json). */
export function claimOf(m: Manifest): Claim | { problem: string } {
  const recipe = RECIPES.find((r) => r.id === m.recipe);
  if (!recipe) return { problem: `recipe ${JSON.stringify(m.recipe)} is not one this kpatch has (${RECIPES.map((r) => r.id).join(', ')})` };
  const mode = m.mode;
  if (recipe.modes.includes(mode)) return { recipe, mode, kind: 'edit' };
  if (recipe.buildTag && mode === recipe.buildTag.name) return { recipe, mode, kind: 'tag', tag: recipe.buildTag.name };
  if (mode === UNCHANGED_MODE) return { recipe, mode, kind: 'none' };
  return {
    problem: `mode ${JSON.stringify(mode)} is not a mode of recipe ${recipe.id} (${modesOf(recipe).join(', ')}): nothing says what the binaries must show`,
  };
}
