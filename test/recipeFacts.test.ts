/**
 * src/recipeFacts.ts gives flags, help and doctor the recipe's words without
 * its code. They must be the words of the recipe the commands apply.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RECIPE_FACTS } from '../src/recipeFacts.js';
import { DEFAULT_RECIPE } from '../src/recipes.js';

describe('recipe facts', () => {
  it("are the default recipe's own id, modes, help, build tag words and binary symbol", () => {
    const { buildTag, ...rest } = DEFAULT_RECIPE_FACTS;
    for (const [key, value] of Object.entries(rest)) expect(DEFAULT_RECIPE[key as keyof typeof rest], key).toEqual(value);
    expect(buildTag).toBeDefined();
    expect(DEFAULT_RECIPE.buildTag).toMatchObject(buildTag ?? {});
  });
});
