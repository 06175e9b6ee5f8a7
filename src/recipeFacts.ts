/**
 * The shipped recipes' words (patches/<recipe>/facts.ts), without their code:
 * what flags, help and doctor need. src/recipes.ts has the recipes themselves.
 */
import { kmemAccountingFacts } from '../patches/kmem-accounting/facts.js';
import type { RecipeFacts } from './engine/recipe.js';

/** The words of the recipe the commands apply (the facts of recipes.ts's DEFAULT_RECIPE). */
export const DEFAULT_RECIPE_FACTS: RecipeFacts = kmemAccountingFacts;
