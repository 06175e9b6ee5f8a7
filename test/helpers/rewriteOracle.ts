/**
 * What a correct rewrite of one file looks like, worked out independently of
 * the recipe's planner: every line outside the statements of the unguarded
 * calls (with the `//` comment lines directly above them) is kept byte for
 * byte and in order; each such statement becomes, in guard mode, the marker,
 * `if <param>.config.KernelMemory != 0 {` (or `.Resources.`), the original
 * lines indented one tab further, and `}`; in remove mode, the marker and
 * `_ = v` lines only. In remove mode the import block may lose lines. The
 * file keeps its line endings.
 */
import { parseGo, type SyntaxNode } from '../../src/engine/parse.js';
import { descendants, isTargetCall } from './goSyntax.js';

const MARKER = { guard: '// kpatch:kmem-accounting guard: ', remove: '// kpatch:kmem-accounting removed: ' } as const;
const IDENT = '[\\p{L}_][\\p{L}\\p{N}_]*';

interface Region {
  first: number;
  last: number;
  /** The statement's own first row (after its comment lines). */
  stmtRow: number;
  kind: 'call' | 'imports';
  /** For calls: the enclosing function's guardable parameter and its guard field. */
  param?: { name: string; field: 'config' | 'Resources' };
}

/** The regions a rewrite may touch: one per unguarded call line, plus the imports in remove mode. */
function regions(before: string, callLines: number[], mode: 'guard' | 'remove'): Region[] {
  const root = parseGo(before).rootNode;
  const lines = before.split('\n');
  const out: Region[] = [];
  const calls = descendants(root).filter(
    (n) => n.type === 'call_expression' && isTargetCall(n) && callLines.includes(n.startPosition.row + 1),
  );
  for (const call of calls) {
    let stmt: SyntaxNode | null = call;
    while (stmt && stmt.parent?.type !== 'statement_list') stmt = stmt.parent;
    if (!stmt) continue;
    let first = stmt.startPosition.row;
    while (first > 0 && lines[first - 1].trim().startsWith('//')) first--;
    let fn: SyntaxNode | null = stmt;
    while (fn && fn.type !== 'function_declaration' && fn.type !== 'method_declaration' && fn.type !== 'func_literal') fn = fn.parent;
    // The guard tests the function's own *cgroupData parameter, else its *configs.Cgroup one.
    const params = (fn?.childForFieldName('parameters')?.namedChildren ?? []).filter((n) => n.type === 'parameter_declaration');
    const named = (type: string) =>
      params.find(
        (p) => p.childForFieldName('type')?.text.replace(/\s+/g, '') === type && (p.childForFieldName('name')?.text ?? '_') !== '_',
      );
    const cg = named('*cgroupData');
    const cfg = named('*configs.Cgroup');
    const param: Region['param'] = cg
      ? { name: cg.childForFieldName('name')!.text, field: 'config' }
      : cfg
        ? { name: cfg.childForFieldName('name')!.text, field: 'Resources' }
        : undefined;
    if (!out.some((r) => r.first === first))
      out.push({ first, last: stmt.endPosition.row, stmtRow: stmt.startPosition.row, kind: 'call', param });
  }
  const imports = root.namedChildren.filter((n) => n.type === 'import_declaration');
  if (mode === 'remove' && imports.length) {
    const first = imports[0].startPosition.row;
    out.push({ first, last: imports[imports.length - 1].endPosition.row, stmtRow: first, kind: 'imports' });
  }
  return out.sort((a, b) => a.first - b.first);
}

/** Rows inside a multi-line block comment or raw string (after its first row): the rewrite must not re-indent them. */
function verbatimRows(before: string): Set<number> {
  const rows = new Set<number>();
  for (const n of descendants(parseGo(before).rootNode)) {
    if ((n.type === 'raw_string_literal' || (n.type === 'comment' && n.text.startsWith('/*'))) && n.endPosition.row > n.startPosition.row) {
      for (let r = n.startPosition.row + 1; r <= n.endPosition.row; r++) rows.add(r);
    }
  }
  return rows;
}

/** Problems with `after` as the rewrite of `before`; empty when it is what the contract says. */
export function checkRewrite(before: string, after: string, callLines: number[], mode: 'guard' | 'remove'): string[] {
  const crlf = before.includes('\r\n');
  if (crlf && /(^|[^\r])\n/.test(after)) return ['a CRLF file got LF line endings'];
  const b = before.split('\n');
  const a = after.split('\n');
  const cr = crlf ? '\r' : '';
  const regs = regions(before, callLines, mode);
  if (!regs.some((r) => r.kind === 'call')) return [`no statement found for the unguarded calls on lines ${callLines.join(', ')}`];
  const verbatim = verbatimRows(before);
  let p = 0;
  let row = 0;
  const problems: string[] = [];
  const expectLine = (want: string | RegExp, what: string): boolean => {
    const got = a[p];
    const ok = typeof want === 'string' ? got === want : got !== undefined && want.test(got);
    if (!ok) problems.push(`after line ${p + 1}: expected ${what} ${JSON.stringify(String(want))}, got ${JSON.stringify(got)}`);
    p++;
    return ok;
  };
  const keep = (until: number): boolean => {
    for (; row < until; row++) if (!expectLine(b[row], `unchanged line ${row + 1}`)) return false;
    return true;
  };
  for (let i = 0; i < regs.length; i++) {
    const r = regs[i];
    if (!keep(r.first)) return problems;
    if (r.kind === 'imports') {
      // Whole lines of the import block may go (an import only the removed call used); the rest stay in order.
      const left = descendants(parseGo(after).rootNode).filter((n) => n.type === 'import_declaration');
      const count = left.length ? left[left.length - 1].endPosition.row - r.first + 1 : 0;
      const original = b.slice(r.first, r.last + 1);
      let k = 0;
      for (const line of a.slice(p, p + count)) {
        while (k < original.length && original[k] !== line) k++;
        if (k++ === original.length) return [`after line ${p + 1}: ${JSON.stringify(line)} is not a line of the import block`];
        p++;
      }
      row = r.last + 1;
      continue;
    }
    const indent = /^[ \t]*/.exec(b[r.stmtRow])![0];
    if (!a[p]?.startsWith(indent + MARKER[mode]) || (crlf && !a[p].endsWith('\r')))
      return [`after line ${p + 1}: expected the ${mode} marker, got ${JSON.stringify(a[p])}`];
    p++;
    if (mode === 'guard') {
      if (!r.param) return [`line ${r.first + 1}: the function has no *cgroupData or *configs.Cgroup parameter, yet it was guarded`];
      if (!expectLine(`${indent}if ${r.param.name}.${r.param.field}.KernelMemory != 0 {${cr}`, 'the guard')) return problems;
      for (let s = r.first; s <= r.last; s++) {
        const line = b[s];
        const empty = line === '' || line === '\r';
        if (!expectLine(empty || verbatim.has(s) ? line : '\t' + line, `line ${s + 1} inside the guard`)) return problems;
      }
      if (!expectLine(`${indent}}${cr}`, 'the end of the guard')) return problems;
    } else {
      while (p < a.length && new RegExp(`^${indent}_ = ${IDENT}\\r?$`, 'u').test(a[p])) p++;
    }
    row = r.last + 1;
  }
  keep(b.length);
  if (problems.length === 0 && p !== a.length) problems.push(`after has ${a.length - p} more line(s) than expected`);
  return problems;
}
