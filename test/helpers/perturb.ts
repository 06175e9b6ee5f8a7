/**
 * Semantics-preserving perturbations of Go source, for the rewriter's
 * robustness test: each takes a file's text (LF line endings) and a seeded
 * random source and returns a text the Go compiler treats the same way, or
 * the text unchanged when the file offers no place for it. Every result is
 * re-parsed; a perturbation that would break the syntax is a bug here and
 * throws.
 *
 * Kinds: renaming the `*cgroupData` / `*configs.Cgroup` parameter or a local
 * variable (every use in the function, to a name the file does not use),
 * blank lines and comments between statements (some naming the target
 * function, some with non-ASCII and astral characters), reordering of
 * top-level declarations (with their comments), spacing between the tokens of
 * a line, and nesting the call's statement in a `{ ... }` block. CRLF line
 * endings are applied by the caller, last.
 */
import { parseGo, syntaxProblems, type SyntaxNode } from '../../src/engine/parse.js';
import { descendants, isTargetCall } from './goSyntax.js';

/** A seeded random source (mulberry32): the same seed gives the same variants on every machine. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** A 32-bit hash of strings and numbers, to derive one variant's seed from the run's seed. */
export function seedOf(...parts: (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const ch of parts.join('\u0000')) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** What a perturbation did (for the failure report), or undefined when it found no place to act. */
export type Perturbation = (text: string, rng: Rng) => { text: string; what: string } | undefined;

const FUNCS = new Set(['function_declaration', 'method_declaration', 'func_literal']);
// Names Go predeclares; a local of that name is left alone.
const PREDECLARED = new Set(
  'bool byte complex64 complex128 error float32 float64 int int8 int16 int32 int64 rune string uint uint8 uint16 uint32 uint64 uintptr any append cap close complex copy delete imag len make new panic print println real recover'.split(
    ' ',
  ),
);
const FRESH = ['cg', 'cgData', 'dd', 'grp', 'ctl', 'δ', 'σ2', 'kmemX', 'p_1', 'zz'];
const COMMENTS = [
  '// note: nothing to see here',
  '// EnableKernelMemoryAccounting(path) is only mentioned in this comment',
  '// naïve ünïcödé comment — with an astral 𝄞 and ✓',
  '/* block comment between statements */',
  '/*\n * a multi-line\n * block comment\n */',
  '// if d.config.KernelMemory != 0 { (in a comment, not code) }',
];

function lineStartOf(text: string, index: number): number {
  return text.lastIndexOf('\n', index - 1) + 1;
}

function indentAt(text: string, index: number): string {
  const start = lineStartOf(text, index);
  return /^[ \t]*/.exec(text.slice(start))![0];
}

/** True when only white space stands before `n` on its line. */
function startsLine(text: string, n: SyntaxNode): boolean {
  return text.slice(lineStartOf(text, n.startIndex), n.startIndex).trim() === '';
}

/** Every name the file uses as an identifier of any kind (fresh names must avoid them all). */
function usedNames(root: SyntaxNode): Set<string> {
  return new Set(
    descendants(root)
      .filter((n) => /identifier$/.test(n.type))
      .map((n) => n.text),
  );
}

/** Names declared at the top level or by imports: a local that shares one might refer to it. */
function outerNames(root: SyntaxNode): Set<string> {
  const names = new Set<string>();
  const specs = (n: SyntaxNode): SyntaxNode[] => n.namedChildren.flatMap((c) => (/_spec_list$/.test(c.type) ? c.namedChildren : [c]));
  for (const d of root.namedChildren) {
    if (d.type === 'function_declaration') names.add(d.childForFieldName('name')?.text ?? '');
    if (d.type === 'import_declaration') {
      for (const spec of specs(d).filter((c) => c.type === 'import_spec')) {
        const p = spec.childForFieldName('path')?.text.replace(/"/g, '') ?? '';
        names.add(spec.childForFieldName('name')?.text ?? p.slice(p.lastIndexOf('/') + 1));
      }
    }
    if (d.type === 'var_declaration' || d.type === 'const_declaration' || d.type === 'type_declaration') {
      for (const spec of specs(d))
        for (const id of spec.namedChildren) if (id.type === 'identifier' || id.type === 'type_identifier') names.add(id.text);
    }
  }
  return names;
}

/** Replaces every identifier `from` inside `fn` by `to`. */
function renameIn(text: string, fn: SyntaxNode, from: string, to: string): string {
  const ids = descendants(fn).filter((n) => n.type === 'identifier' && n.text === from);
  // A struct literal key (`cgroupData{root: root}`) is a field name, not the variable: such a function is skipped.
  if (
    ids.some(
      (n) =>
        n.parent?.type === 'literal_element' &&
        n.parent.parent?.type === 'keyed_element' &&
        n.parent.parent.namedChildren[0]?.startIndex === n.parent.startIndex,
    )
  )
    return text;
  let out = text;
  for (const id of ids.sort((a, b) => b.startIndex - a.startIndex)) out = out.slice(0, id.startIndex) + to + out.slice(id.endIndex);
  return out;
}

function freshName(root: SyntaxNode, rng: Rng): string {
  const used = usedNames(root);
  const free = FRESH.filter((n) => !used.has(n));
  return free.length ? rng.pick(free) : `kpatchVar${rng.int(1e6)}`;
}

/** Renames the `*cgroupData` or `*configs.Cgroup` parameter (or receiver) of a function. */
export const renameParameter: Perturbation = (text, rng) => {
  const root = parseGo(text).rootNode;
  const outer = outerNames(root);
  const params = descendants(root).filter(
    (n) =>
      n.type === 'parameter_declaration' &&
      ['*cgroupData', '*configs.Cgroup'].includes(n.childForFieldName('type')?.text ?? '') &&
      n.childForFieldName('name') &&
      FUNCS.has(n.parent?.parent?.type ?? ''),
  );
  const candidates = params.filter((p) => !outer.has(p.childForFieldName('name')!.text));
  if (!candidates.length) return undefined;
  const p = rng.pick(candidates);
  const from = p.childForFieldName('name')!.text;
  const to = freshName(root, rng);
  const out = renameIn(text, p.parent!.parent!, from, to);
  return out === text ? undefined : { text: out, what: `rename parameter ${from} -> ${to}` };
};

/** Renames a local variable (declared with := or var in a function body), every use in its function. */
export const renameLocal: Perturbation = (text, rng) => {
  const root = parseGo(text).rootNode;
  const outer = outerNames(root);
  const locals: { fn: SyntaxNode; name: string }[] = [];
  for (const fn of descendants(root).filter((n) => n.type === 'function_declaration' || n.type === 'method_declaration')) {
    for (const n of descendants(fn)) {
      const ids =
        n.type === 'short_var_declaration'
          ? (n.childForFieldName('left')?.namedChildren ?? [])
          : n.type === 'var_spec'
            ? n.namedChildren.filter((c) => c.type === 'identifier')
            : [];
      for (const id of ids) {
        if (id.type === 'identifier' && id.text !== '_' && !outer.has(id.text) && !PREDECLARED.has(id.text))
          locals.push({ fn, name: id.text });
      }
    }
  }
  if (!locals.length) return undefined;
  const { fn, name } = rng.pick(locals);
  const to = freshName(root, rng);
  const out = renameIn(text, fn, name, to);
  return out === text ? undefined : { text: out, what: `rename local ${name} -> ${to}` };
};

/** Inserts a blank line or a comment before a statement (or a top-level declaration). */
export const insertBlankOrComment: Perturbation = (text, rng) => {
  const root = parseGo(text).rootNode;
  const spots = descendants(root).filter(
    (n) =>
      n.isNamed &&
      n.type !== 'comment' &&
      startsLine(text, n) &&
      (n.parent?.type === 'statement_list' ||
        (n.parent?.type === 'source_file' &&
          n.type !== 'package_clause' &&
          n.startIndex > (root.namedChildren.find((c) => c.type === 'package_clause')?.endIndex ?? 0))),
  );
  if (!spots.length) return undefined;
  const at = rng.pick(spots);
  const start = lineStartOf(text, at.startIndex);
  const indent = indentAt(text, at.startIndex);
  const insert = rng.chance(0.35)
    ? '\n'
    : rng
        .pick(COMMENTS)
        .split('\n')
        .map((l) => indent + l)
        .join('\n') + '\n';
  return {
    text: text.slice(0, start) + insert + text.slice(start),
    what: `insert ${JSON.stringify(insert.trim() || 'blank line')} at line ${at.startPosition.row + 1}`,
  };
};

/** Shuffles the top-level declarations after the imports, each with the comments above it. */
export const reorderDeclarations: Perturbation = (text, rng) => {
  const root = parseGo(text).rootNode;
  const kids = root.namedChildren;
  const lastHeader = [...kids].reverse().find((c) => c.type === 'import_declaration' || c.type === 'package_clause');
  if (!lastHeader) return undefined;
  const decls = kids.filter((c) => c.startIndex > lastHeader.endIndex && c.type !== 'comment');
  if (decls.length < 2) return undefined;
  const chunks: string[] = [];
  let from = lastHeader.endIndex;
  for (const d of decls) {
    const eol = text.indexOf('\n', d.endIndex);
    const end = eol === -1 ? text.length : eol;
    chunks.push(text.slice(from, end).trim());
    from = end;
  }
  const order = chunks.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  if (order.every((v, i) => v === i)) [order[0], order[1]] = [order[1], order[0]];
  const tail = text.slice(from).trim();
  const out = text.slice(0, lastHeader.endIndex) + '\n\n' + order.map((i) => chunks[i]).join('\n\n') + '\n' + (tail ? `\n${tail}\n` : '');
  return { text: out, what: `reorder top-level declarations ${order.join(',')}` };
};

// Nodes whose text is one token whatever their children (strings keep their spaces).
const ATOMIC = new Set([
  'interpreted_string_literal',
  'raw_string_literal',
  'rune_literal',
  'comment',
  'int_literal',
  'float_literal',
  'imaginary_literal',
]);
const WORD = /^[\p{L}\p{N}_]/u;

function leaves(n: SyntaxNode, out: SyntaxNode[] = []): SyntaxNode[] {
  if (ATOMIC.has(n.type) || n.childCount === 0) {
    if (n.endIndex > n.startIndex) out.push(n);
    return out;
  }
  for (const c of n.children) leaves(c, out);
  return out;
}

/** Changes the spaces between tokens on one line: adds some, removes some where no tokens merge. */
export const respaceLine: Perturbation = (text, rng) => {
  const root = parseGo(text).rootNode;
  const toks = leaves(root);
  const rows = [...new Set(toks.filter((t) => t.startPosition.row === t.endPosition.row).map((t) => t.startPosition.row))];
  if (!rows.length) return undefined;
  const row = rng.pick(rows);
  const edits: { start: number; end: number; gap: string }[] = [];
  for (let i = 0; i + 1 < toks.length; i++) {
    const a = toks[i];
    const b = toks[i + 1];
    if (a.endPosition.row !== row || b.startPosition.row !== row || b.type === 'comment' || a.type === 'comment') continue;
    const gap = text.slice(a.endIndex, b.startIndex);
    if (!/^[ \t]*$/.test(gap)) continue;
    const wordA = WORD.test(a.text.slice(-1));
    const wordB = WORD.test(b.text);
    const mayJoin = wordA !== wordB && !/_literal$/.test(a.type);
    const choice = rng.int(3);
    if (choice === 0) edits.push({ start: a.endIndex, end: b.startIndex, gap: gap + ' '.repeat(1 + rng.int(2)) });
    else if (choice === 1 && gap !== '' && mayJoin) edits.push({ start: a.endIndex, end: b.startIndex, gap: '' });
  }
  if (!edits.length) return undefined;
  let out = text;
  for (const e of edits.reverse()) out = out.slice(0, e.start) + e.gap + out.slice(e.end);
  // The tokens must be exactly the same ones; otherwise this line is left alone.
  const sig = (t: string) =>
    leaves(parseGo(t).rootNode)
      .map((n) => `${n.type}:${n.text}`)
      .join('\u0001');
  if (sig(out) !== sig(text)) return undefined;
  return { text: out, what: `respace line ${row + 1}` };
};

/** Wraps the statement holding an EnableKernelMemoryAccounting call in a `{ ... }` block (its comments inside or not). */
export const nestCallInBlock: Perturbation = (text, rng) => {
  const root = parseGo(text).rootNode;
  const calls = descendants(root).filter((n) => n.type === 'call_expression' && isTargetCall(n));
  const stmts = calls
    .map((c) => {
      let s: SyntaxNode | null = c;
      while (s && s.parent?.type !== 'statement_list') s = s.parent;
      return s;
    })
    .filter((s): s is SyntaxNode => s !== null && startsLine(text, s));
  if (!stmts.length) return undefined;
  const stmt = rng.pick(stmts);
  const indent = indentAt(text, stmt.startIndex);
  let start = lineStartOf(text, stmt.startIndex);
  if (rng.chance(0.5)) {
    // take the comment lines directly above along
    for (;;) {
      const prev = lineStartOf(text, start - 1);
      if (
        start === 0 ||
        !text
          .slice(prev, start - 1)
          .trim()
          .startsWith('//')
      )
        break;
      start = prev;
    }
  }
  const eol = text.indexOf('\n', stmt.endIndex);
  const end = eol === -1 ? text.length : eol;
  // Multi-line raw strings keep their lines as they are.
  const verbatim = new Set<number>();
  for (const n of descendants(stmt))
    if (n.type === 'raw_string_literal') for (let r = n.startPosition.row + 1; r <= n.endPosition.row; r++) verbatim.add(r);
  const firstRow = text.slice(0, start).split('\n').length - 1;
  const body = text
    .slice(start, end)
    .split('\n')
    .map((l, i) => (l === '' || verbatim.has(firstRow + i) ? l : '\t' + l))
    .join('\n');
  const out = `${text.slice(0, start)}${indent}{\n${body}\n${indent}}${text.slice(end)}`;
  return { text: out, what: `nest the statement at line ${stmt.startPosition.row + 1} in a block` };
};

/** Every kind, for the driver to pick from. */
export const PERTURBATIONS: Record<string, Perturbation> = {
  renameParameter,
  renameLocal,
  insertBlankOrComment,
  reorderDeclarations,
  respaceLine,
  nestCallInBlock,
};

/** Applies `p` and checks the result still parses; throws (a bug in the perturbation) when it does not. */
export function applyChecked(name: string, p: Perturbation, text: string, rng: Rng): { text: string; what: string } | undefined {
  const r = p(text, rng);
  if (!r) return undefined;
  const problems = syntaxProblems(parseGo(r.text));
  if (problems.length) throw new Error(`perturbation ${name} (${r.what}) broke the syntax at line ${problems[0].line}:\n${r.text}`);
  return r;
}
