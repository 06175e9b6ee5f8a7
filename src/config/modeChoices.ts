/**
 * The values `--mode` (and the settings file's `mode`) may take, from the
 * recipe: kept apart from settings.ts so that only commands that check a
 * mode load the recipe.
 */
import { DEFAULT_RECIPE } from '../recipes.js';

/** The modes that edit source (what diff and patch can show or apply). */
export function sourceModes(): readonly string[] {
  return DEFAULT_RECIPE.modes;
}

/** The modes a build takes: the source modes, the recipe's build tag and `auto`. */
export function buildModes(): readonly string[] {
  const tag = DEFAULT_RECIPE.buildTag?.name;
  return [...DEFAULT_RECIPE.modes, ...(tag ? [tag, 'auto'] : [])];
}
