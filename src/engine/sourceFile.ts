/**
 * A Go file held in memory with its parse tree and line table, so recipes can
 * turn node positions into lines, columns and indentation.
 */
import { parseGo, type SyntaxNode, type Tree } from './parse.js';

/** A parsed Go file of a tree. */
export interface GoFile {
  /** Path relative to the tree root, with forward slashes. */
  path: string;
  /** Absolute path on disk (the real file's, when reached through a linked folder). */
  abs: string;
  /**
   * Set when the file was reached through a linked folder inside the tree:
   * its real path relative to the root. `path` is where Go compiles it;
   * this is where it is written and what a patch names.
   */
  realPath?: string;
  text: string;
  /** The file's line ending; edits use the same. */
  eol: '\n' | '\r\n';
  tree: Tree;
  /** Index (UTF-16 units) where each line starts. */
  lineStarts: number[];
}

/** Parses `text` into a GoFile. */
export function makeGoFile(path: string, abs: string, text: string): GoFile {
  const lineStarts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const firstNl = text.indexOf('\n');
  const eol = firstNl > 0 && text[firstNl - 1] === '\r' ? '\r\n' : '\n';
  return { path, abs, text, eol, tree: parseGo(text), lineStarts };
}

/** Start index of 0-based `row`. */
export function lineStart(f: GoFile, row: number): number {
  return f.lineStarts[row] ?? f.text.length;
}

/** End index of 0-based `row`, before its line ending. */
export function lineEnd(f: GoFile, row: number): number {
  let end = row + 1 < f.lineStarts.length ? f.lineStarts[row + 1] - 1 : f.text.length;
  if (end > lineStart(f, row) && f.text[end - 1] === '\r') end--;
  return end;
}

/** The leading white space of 0-based `row`. */
export function indentOf(f: GoFile, row: number): string {
  const start = lineStart(f, row);
  const m = /^[ \t]*/.exec(f.text.slice(start, lineEnd(f, row)));
  return m ? m[0] : '';
}

/** 1-based line and byte column of a node's start, as Go tools report them. */
export function positionOf(f: GoFile, node: SyntaxNode): { line: number; column: number } {
  const row = node.startPosition.row;
  const prefix = f.text.slice(lineStart(f, row), node.startIndex);
  return { line: row + 1, column: Buffer.byteLength(prefix, 'utf8') + 1 };
}
