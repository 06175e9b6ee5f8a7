/**
 * parse.ts and query.ts on small Go inputs: a clean parse has no problems, a
 * broken one names line and column, big files parse whole, and queries
 * compile against the installed grammar (or fail loudly) and capture by name.
 */
import { describe, expect, it } from 'vitest';
import { describeProblems, parseGo, syntaxProblems } from '../../src/engine/parse.js';
import { compileQuery, findMatches } from '../../src/engine/query.js';

const CLEAN = 'package widgets\n\nfunc Start(n int) error {\n\treturn StartWidgetCounter(n)\n}\n';

describe('parseGo and syntaxProblems', () => {
  it('a clean file has no problems', () => {
    expect(syntaxProblems(parseGo(CLEAN))).toEqual([]);
  });

  it('a missing brace is reported at its line, and describeProblems names the file', () => {
    const problems = syntaxProblems(parseGo('package widgets\n\nfunc Start(n int) error {\n\treturn n\n'));
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0].line).toBeGreaterThanOrEqual(3);
    expect(describeProblems('widgets/a.go', problems)).toMatch(/^widgets\/a\.go:\d+:\d+: (missing|unexpected) /);
  });

  it('stray text is an error node with its own text and 1-based column', () => {
    const problems = syntaxProblems(parseGo('package widgets\n\nfunc f() {\n\tx := 1 +* ;\n}\n'));
    expect(problems.some((p) => p.line === 4)).toBe(true);
  });

  it('caps the list at the limit it is given', () => {
    const broken = 'package widgets\n' + Array.from({ length: 10 }, (_, i) => `func f${i}() { ) }\n`).join('');
    expect(syntaxProblems(parseGo(broken), 3)).toHaveLength(3);
  });

  it("parses a file far bigger than tree-sitter's default 32 KiB buffer to its end", () => {
    const funcs = Array.from({ length: 3000 }, (_, i) => `func f${i}() int { return ${i} }\n`).join('');
    const text = `package widgets\n\n${funcs}func Last() { StartWidgetCounter(1) }\n`;
    expect(text.length).toBeGreaterThan(64 * 1024);
    const tree = parseGo(text);
    expect(syntaxProblems(tree)).toEqual([]);
    expect(tree.rootNode.endIndex).toBe(text.length);
    expect(tree.rootNode.lastNamedChild?.text).toContain('StartWidgetCounter(1)');
  });
});

describe('compileQuery and findMatches', () => {
  it('a query naming a node type the grammar does not have fails to compile', () => {
    expect(() => compileQuery('(no_such_node) @x')).toThrow();
  });

  it('captures each match by name, in document order, with predicates applied', () => {
    const src = 'package widgets\n\nfunc f() {\n\tStartWidgetCounter(1)\n\tOther(2)\n\tStartWidgetCounter(3)\n}\n';
    const q = '(call_expression function: (identifier) @fn (#eq? @fn "StartWidgetCounter") arguments: (argument_list) @args) @call';
    const m = findMatches(parseGo(src).rootNode, q);
    expect(m.map((x) => [x.call.text, x.args.text, x.call.startPosition.row + 1])).toEqual([
      ['StartWidgetCounter(1)', '(1)', 4],
      ['StartWidgetCounter(3)', '(3)', 6],
    ]);
  });

  it('compiles a query once: the same source gives the same compiled query', () => {
    const q = '(identifier) @id';
    expect(compileQuery(q)).toBe(compileQuery(q));
  });
});
