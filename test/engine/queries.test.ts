/**
 * Every tree-sitter query a recipe ships is compiled against the installed
 * tree-sitter-go grammar, so a grammar upgrade that renames a node type fails
 * here and not in a user's run. Each query must also find what it is for.
 */
import { describe, expect, it } from 'vitest';
import { compileQuery, findMatches } from '../../src/engine/query.js';
import { parseGo } from '../../src/engine/parse.js';
import { RECIPES } from '../../src/recipes.js';

const SAMPLE = `package fs

var errDisabled = errors.New("kernel memory accounting disabled in this runc build")

func (s *MemoryGroup) Apply(d *cgroupData) error {
	if err := EnableKernelMemoryAccounting(d.path); err != nil {
		return err
	}
	return fs.EnableKernelMemoryAccounting(d.path)
}
`;

describe.each(RECIPES.map((r) => [r.id, r] as const))('recipe %s', (_id, recipe) => {
  it.each(Object.entries(recipe.queries))('query %s compiles against the installed grammar and matches', (_name, source) => {
    expect(() => compileQuery(source)).not.toThrow();
    expect(findMatches(parseGo(SAMPLE).rootNode, source).length).toBeGreaterThan(0);
  });
});

describe('the kmem call query', () => {
  const q = RECIPES[0].queries.call;
  it('finds plain and package-qualified calls, and nothing in comments or strings', () => {
    const src = `package x

// EnableKernelMemoryAccounting(path) in a comment
var s = "EnableKernelMemoryAccounting(path)"

func f() { EnableKernelMemoryAccounting(p); fs.EnableKernelMemoryAccounting(p); other(p) }
`;
    const calls = findMatches(parseGo(src).rootNode, q).map((m) => m.call.text);
    expect(calls).toEqual(['EnableKernelMemoryAccounting(p)', 'fs.EnableKernelMemoryAccounting(p)']);
  });
});
