/**
 * The fix a command applies, as a value rather than a `--mode` string: the
 * legal modes are computed here once, from the recipe, and a mode string is
 * checked once (parseFix); past that point code asks `fix.kind`, never
 * compares mode strings.
 */
import type { RecipeFacts } from '../engine/recipe.js';

/**
 * `edit`: change the source in one of the recipe's modes (guard, remove);
 * `tag`: no source change, build with the recipe's build tag (nokmem);
 * `auto`: the tag when the tree offers it, else the recipe's default edit.
 */
export type Fix = { kind: 'edit'; mode: string } | { kind: 'tag'; tag: string } | { kind: 'auto' };

/** A fix that edits the source: all that diff and patch take. */
export type EditFix = Extract<Fix, { kind: 'edit' }>;

/** Which fixes a command takes: `source` (diff, patch: edits only) or `build` (also the tag and auto). */
export type FixScope = 'source' | 'build';

/** The `--mode` words a command of `scope` takes, in the order the help lists them. */
export function fixChoices(recipe: Pick<RecipeFacts, 'modes' | 'buildTag'>, scope: FixScope): readonly string[] {
  const tag = scope === 'build' ? recipe.buildTag?.name : undefined;
  return [...recipe.modes, ...(tag ? [tag, 'auto'] : [])];
}

/** The fix a `--mode` word names; undefined when `scope` does not take it (the caller says why, in its words). */
export function parseFix(recipe: Pick<RecipeFacts, 'modes' | 'buildTag'>, scope: FixScope, mode: string): Fix | undefined {
  if (!fixChoices(recipe, scope).includes(mode)) return undefined;
  if (recipe.modes.includes(mode)) return { kind: 'edit', mode };
  return mode === 'auto' ? { kind: 'auto' } : { kind: 'tag', tag: mode };
}

/** The `--mode` word of a fix (for manifests, messages and file names, which keep the words users type). */
export function fixMode(fix: Fix): string {
  return fix.kind === 'edit' ? fix.mode : fix.kind === 'tag' ? fix.tag : 'auto';
}
