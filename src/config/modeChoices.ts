/**
 * The values `--mode` (and the settings file's `mode`) may take, from the
 * recipe (rewrite/fix.ts): kept apart from settings.ts so that only commands
 * that check a mode load the recipe.
 */
import { DEFAULT_RECIPE } from '../recipes.js';
import { fixChoices } from '../rewrite/fix.js';

/** The modes that edit source (what diff and patch can show or apply). */
export function sourceModes(): readonly string[] {
  return fixChoices(DEFAULT_RECIPE, 'source');
}

/** The modes a build takes: the source modes, the recipe's build tag and `auto`. */
export function buildModes(): readonly string[] {
  return fixChoices(DEFAULT_RECIPE, 'build');
}
