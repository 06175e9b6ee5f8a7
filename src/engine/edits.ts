/**
 * Text edits on a file's source: replace [start, end) with new text. Recipes
 * compute edits from syntax nodes; the engine applies them all at once.
 */
import type { SyntaxNode } from './parse.js';

/** Replace the text between `start` and `end` (UTF-16 indexes) by `text`. */
export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

/** Applies non-overlapping edits; throws if two edits overlap (a recipe bug). */
export function applyEdits(text: string, edits: TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  let out = '';
  let at = 0;
  for (const e of sorted) {
    if (e.start < at) throw new Error(`overlapping edits at ${e.start}`);
    out += text.slice(at, e.start) + e.text;
    at = e.end;
  }
  return out + text.slice(at);
}

/**
 * Rows (0-based) whose first character lies inside a multi-line raw string or
 * block comment under `node`. Re-indenting those rows would change the
 * program or the comment, so they are left as they are.
 */
export function verbatimRows(node: SyntaxNode): Set<number> {
  const rows = new Set<number>();
  const visit = (n: SyntaxNode): void => {
    if (n.startPosition.row === n.endPosition.row) return;
    if (n.type === 'raw_string_literal' || (n.type === 'comment' && n.text.startsWith('/*'))) {
      for (let r = n.startPosition.row + 1; r <= n.endPosition.row; r++) rows.add(r);
      return;
    }
    for (const c of n.children) visit(c);
  };
  visit(node);
  return rows;
}

/**
 * Re-indents the lines of `text` (which starts at 0-based `firstRow`) by
 * prefixing `extra`, skipping empty lines and the rows in `skip`.
 */
export function indentLines(text: string, eol: string, extra: string, firstRow: number, skip: Set<number>): string {
  return text
    .split(eol)
    .map((line, i) => (line === '' || skip.has(firstRow + i) ? line : extra + line))
    .join(eol);
}
