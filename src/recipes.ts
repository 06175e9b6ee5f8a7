/** The recipes kpatch ships. One today; the commands are written for a list. */
import { kmemAccounting } from '../patches/kmem-accounting/recipe.js';
import type { Recipe } from './engine/recipe.js';

/** Every shipped recipe. */
export const RECIPES: readonly Recipe[] = [kmemAccounting];

/** The recipe the commands apply. */
export const DEFAULT_RECIPE: Recipe = kmemAccounting;
