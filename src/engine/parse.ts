/**
 * Parsing Go source with tree-sitter-go, and the checks that a parse is clean.
 */
import { createRequire } from 'node:module';
import type Parser from 'tree-sitter';

/** A tree-sitter syntax node (re-exported so recipes need not import tree-sitter). */
export type SyntaxNode = Parser.SyntaxNode;
/** A parsed tree. */
export type Tree = Parser.Tree;

const require = createRequire(import.meta.url);
let binding: { Parser: typeof Parser; go: Parser.Language } | undefined;

/**
 * tree-sitter and the Go grammar (native bindings, CommonJS), loaded on first
 * use rather than at import: every command's flags name the recipe, which
 * imports this module, and `--help` or `doctor` must not pay for the bindings
 * (scripts/bench-startup.mjs).
 */
export function treeSitter(): { Parser: typeof Parser; go: Parser.Language } {
  binding ??= { Parser: require('tree-sitter') as typeof Parser, go: require('tree-sitter-go') as Parser.Language };
  return binding;
}

let parser: Parser | undefined;

/** Parses Go source text. One parser is reused: parsing is synchronous. */
export function parseGo(text: string): Tree {
  if (!parser) {
    const ts = treeSitter();
    parser = new ts.Parser();
    parser.setLanguage(ts.go);
  }
  // tree-sitter's default buffer is 32 KiB; bigger files need an explicit size
  // (https://github.com/tree-sitter/node-tree-sitter/issues/199).
  return parser.parse(text, undefined, { bufferSize: Math.max(32 * 1024, text.length * 2 + 1024) });
}

/** A place where the parser gave up: an ERROR node or a MISSING token. */
export interface SyntaxProblem {
  /** 1-based line. */
  line: number;
  /** 1-based column (UTF-16 units, as editors count). */
  column: number;
  kind: 'error' | 'missing';
  /** The missing token or the first characters of the bad text. */
  text: string;
}

/** Lists every ERROR and MISSING node; empty when the file parses cleanly. */
export function syntaxProblems(tree: Tree, limit = 5): SyntaxProblem[] {
  const problems: SyntaxProblem[] = [];
  if (!tree.rootNode.hasError) return problems;
  const visit = (n: SyntaxNode): void => {
    if (problems.length >= limit) return;
    if (n.isMissing) {
      problems.push({ line: n.startPosition.row + 1, column: n.startPosition.column + 1, kind: 'missing', text: n.type });
      return;
    }
    if (n.type === 'ERROR') {
      problems.push({ line: n.startPosition.row + 1, column: n.startPosition.column + 1, kind: 'error', text: n.text.slice(0, 40) });
      return;
    }
    if (!n.hasError) return;
    for (const c of n.children) visit(c);
  };
  visit(tree.rootNode);
  return problems;
}

/** Renders problems as `path:line:col: ...` lines. */
export function describeProblems(file: string, problems: SyntaxProblem[]): string {
  return problems
    .map((p) => `${file}:${p.line}:${p.column}: ${p.kind === 'missing' ? `missing ${p.text}` : `unexpected ${JSON.stringify(p.text)}`}`)
    .join('\n');
}
