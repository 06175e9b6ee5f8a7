/**
 * edits.ts, sourceFile.ts and rewrite.ts with a made-up recipe: edits are
 * applied all at once and overlapping ones refused, offsets are UTF-16 indexes
 * while reported columns are bytes (as Go tools count), only changed files are
 * returned, and a result that does not parse is refused before anything is
 * shown or written.
 */
import { describe, expect, it } from 'vitest';
import { applyEdits, indentLines, verbatimRows } from '../../src/engine/edits.js';
import { parseGo } from '../../src/engine/parse.js';
import { rewrite } from '../../src/engine/rewrite.js';
import { indentOf, lineEnd, lineStart, makeGoFile, positionOf } from '../../src/engine/sourceFile.js';
import { WIDGET_RECIPE } from '../helpers/madeUpRecipe.js';

describe('applyEdits', () => {
  it('applies non-overlapping edits given in any order', () => {
    expect(
      applyEdits('abcdef', [
        { start: 4, end: 5, text: 'E' },
        { start: 0, end: 1, text: 'AA' },
        { start: 2, end: 2, text: '+' },
      ]),
    ).toBe('AAb+cdEf');
  });

  it('refuses overlapping edits instead of guessing', () => {
    expect(() =>
      applyEdits('abcdef', [
        { start: 1, end: 4, text: 'x' },
        { start: 3, end: 5, text: 'y' },
      ]),
    ).toThrow(/overlapping edits at 3/);
  });

  it('edits after multibyte text land where the indexes say (UTF-16 units, astral characters count two)', () => {
    const text = 'x := "ä𝄞"; y';
    const at = text.indexOf('y');
    expect(applyEdits(text, [{ start: at, end: at + 1, text: 'z' }])).toBe('x := "ä𝄞"; z');
  });
});

describe('positions in a GoFile', () => {
  const text = 'package widgets\r\n\r\nfunc f() {\r\n\tname := "ä𝄞"; StartWidgetCounter(1)\r\n}\r\n';
  const f = makeGoFile('widgets/a.go', '/nowhere/widgets/a.go', text);

  it('detects CRLF and gives line bounds without the line ending', () => {
    expect(f.eol).toBe('\r\n');
    expect(text.slice(lineStart(f, 3), lineEnd(f, 3))).toBe('\tname := "ä𝄞"; StartWidgetCounter(1)');
    expect(indentOf(f, 3)).toBe('\t');
  });

  it('reports a 1-based byte column after multibyte text, as gc and gopls do', () => {
    const call = WIDGET_RECIPE.scan([f]).sites[0];
    // tab (1) + `name := "` (9) + ä (2 bytes) + 𝄞 (4 bytes) + `"; ` (3) = 19 bytes before the call.
    expect([call.line, call.column]).toEqual([4, 20]);
    const node = parseGo(text).rootNode.descendantsOfType('call_expression')[0];
    expect(positionOf(f, node)).toEqual({ line: 4, column: 20 });
  });
});

describe('verbatimRows and indentLines', () => {
  it('leaves the inner rows of raw strings and block comments alone when re-indenting', () => {
    const text = 'package w\n\nfunc f() {\n\ts := `a\nb`\n\t/* c\nd */\n\t_ = s\n}\n';
    const body = parseGo(text).rootNode.descendantsOfType('block')[0];
    const rows = verbatimRows(body);
    expect([...rows].sort()).toEqual([4, 6]);
    const lines = text.split('\n').slice(3, 8).join('\n');
    expect(indentLines(lines, '\n', '\t', 3, rows)).toBe('\t\ts := `a\nb`\n\t\t/* c\nd */\n\t\t_ = s');
  });
});

describe('rewrite with a made-up recipe', () => {
  const changed = makeGoFile('widgets/a.go', '/t/widgets/a.go', 'package widgets\n\nfunc f() {\n\tStartWidgetCounter(1)\n}\n');
  const untouched = makeGoFile('widgets/b.go', '/t/widgets/b.go', 'package widgets\n\nfunc g() {}\n');
  const report = WIDGET_RECIPE.scan([changed, untouched]);

  it('returns only the files whose text changes, with both texts', () => {
    const changes = rewrite([changed, untouched], report, WIDGET_RECIPE, 'drop');
    expect(changes.map((c) => c.path)).toEqual(['widgets/a.go']);
    expect(changes[0].before).toBe(changed.text);
    expect(changes[0].after).toBe('package widgets\n\nfunc f() {\n\t// widget counter dropped\n}\n');
    expect(changes[0].abs).toBe('/t/widgets/a.go');
  });

  it('a recipe plan with overlapping edits fails instead of writing a guess', () => {
    expect(() => rewrite([changed], report, WIDGET_RECIPE, 'overlap')).toThrow(/overlapping edits/);
  });

  it('a result that does not parse is refused with verify_failed naming the file', () => {
    expect(() => rewrite([changed], report, WIDGET_RECIPE, 'break')).toThrow(expect.objectContaining({ id: 'verify_failed' }));
  });

  it('a file reached through a link is changed once, at its real path', () => {
    const viaLink = { ...makeGoFile('vendor/widgets/a.go', '/t/widgets/a.go', changed.text), realPath: 'widgets/a.go' };
    const changes = rewrite([changed, viaLink], WIDGET_RECIPE.scan([changed, viaLink]), WIDGET_RECIPE, 'drop');
    expect(changes.map((c) => c.path)).toEqual(['widgets/a.go']);
  });
});
