/**
 * Compiling and running tree-sitter queries. Recipes keep their queries as
 * data; a test compiles every one against the installed grammar.
 */
import type Parser from 'tree-sitter';
import { treeSitter, type SyntaxNode } from './parse.js';

const cache = new Map<string, Parser.Query>();

/** Compiles a query for Go (cached); throws with the grammar's message if it is invalid. */
export function compileQuery(source: string): Parser.Query {
  let q = cache.get(source);
  if (!q) {
    const ts = treeSitter();
    q = new ts.Parser.Query(ts.go, source);
    cache.set(source, q);
  }
  return q;
}

/** One match: capture name to node (the last node wins for repeated names). */
export type Match = Record<string, SyntaxNode>;

/** Runs a query under `node` and returns each match's captures by name. */
export function findMatches(node: SyntaxNode, source: string): Match[] {
  return compileQuery(source)
    .matches(node)
    .map((m) => Object.fromEntries(m.captures.map((c) => [c.name, c.node])));
}
