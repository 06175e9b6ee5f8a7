/**
 * Finding the kmem-enabling calls and deciding, for each, whether it runs
 * without a kmem limit being asked for. See README.md for the statuses.
 */
import path from 'node:path';
import { ancestors, contains, enclosingFunction, functionName, sameNode } from '../../src/engine/goSyntax.js';
import type { SyntaxNode } from '../../src/engine/parse.js';
import { findMatches } from '../../src/engine/query.js';
import { lineEnd, lineStart, positionOf, type GoFile } from '../../src/engine/sourceFile.js';
import type { Site } from '../../src/engine/recipe.js';
import { GUARD_FIELD, GUARD_OPERATORS, MARKERS, QUERIES, TARGET_FUNCTION } from './rules.js';

/** A call of the target function, with its file and classification. */
export interface CallSite extends Site {
  /** The call_expression node. */
  node: SyntaxNode;
  source: GoFile;
}

/** Finds and classifies every call in the target files. */
export function classifyCalls(files: GoFile[]): CallSite[] {
  const byPackage = new Map<string, GoFile[]>();
  for (const f of files) {
    const dir = path.posix.dirname(f.path);
    byPackage.set(dir, [...(byPackage.get(dir) ?? []), f]);
  }
  const sites: CallSite[] = [];
  for (const f of files) {
    // A Go identifier is spelled out in the text (no escapes), so a file without the
    // name has no call or use of it; skipping its queries is most of a real scan's
    // query time (43 runc files in Kubernetes v1.20.2, a handful of which name it).
    if (!f.text.includes(TARGET_FUNCTION)) continue;
    sites.push(...valueReferences(f));
    const pkg = byPackage.get(path.posix.dirname(f.path)) ?? [f];
    for (const m of findMatches(f.tree.rootNode, QUERIES.call)) {
      const call = m.call;
      const fn = enclosingFunction(call);
      const { status, reason } = classify(f, call, pkg, new Set());
      sites.push({
        file: f.path,
        ...positionOf(f, call),
        function: fn ? functionName(fn) : '(package level)',
        status,
        reason,
        node: call,
        source: f,
      });
    }
  }
  return sites.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column));
}

/** Status of a use of the function that is not a plain call: kpatch cannot see where it runs. */
export const UNSUPPORTED = 'unsupported';

/**
 * Uses of the function as a value (`enable := F; enable(p)`, `run(F)`,
 * `fs.F` passed on): where, and whether, it is called cannot be read from
 * the syntax, so such a site is neither guarded nor unaffected. Scan counts
 * it as affected; diff and patch refuse it (a build tag still fixes it).
 */
function valueReferences(f: GoFile): CallSite[] {
  const out: CallSite[] = [];
  for (const { ref } of findMatches(f.tree.rootNode, QUERIES.reference)) {
    const p = ref.parent;
    if (!p) continue;
    // The declaration itself, or an interface method of the same name.
    if (
      (p.type === 'function_declaration' || p.type === 'method_declaration' || p.type === 'method_elem' || p.type === 'method_spec') &&
      sameNode(p.childForFieldName('name'), ref)
    )
      continue;
    const callee = p.type === 'selector_expression' && sameNode(p.childForFieldName('field'), ref) ? p : ref;
    if (callee.parent?.type === 'call_expression' && sameNode(callee.parent.childForFieldName('function'), callee)) continue;
    const fn = enclosingFunction(ref);
    out.push({
      file: f.path,
      ...positionOf(f, callee),
      function: fn ? functionName(fn) : '(package level)',
      status: UNSUPPORTED,
      reason: `${callee.text} is used as a value (${callee.parent?.type.replace(/_/g, ' ') ?? 'expression'}), not called: kpatch cannot see where or whether it runs`,
      node: callee,
      source: f,
    });
  }
  return out;
}

function classify(f: GoFile, call: SyntaxNode, pkg: GoFile[], seen: Set<string>): { status: string; reason: string } {
  const guard = guardingIf(call);
  if (guard) {
    const cond = guard.childForFieldName('condition')?.text ?? '';
    if (hasGuardMarker(f, guard)) return { status: 'patched', reason: `kpatch guard \`${cond}\`` };
    return { status: 'guarded', reason: `inside \`if ${cond}\`` };
  }
  const fn = enclosingFunction(call);
  const name = fn?.type === 'function_declaration' ? fn.childForFieldName('name')?.text : undefined;
  // Only unexported functions can be helpers: an exported one may be called
  // from other packages, whose call sites we cannot see here.
  if (!fn || !name || !/^[a-z_]/.test(name)) return { status: 'unguarded', reason: 'no KernelMemory guard around the call' };
  const key = `${path.posix.dirname(f.path)}:${name}`;
  if (seen.has(key)) return { status: 'unguarded', reason: `${name} is recursive` };
  seen.add(key);
  const callers = helperCallers(pkg, name, f, fn);
  if (callers.length === 0) return { status: 'unguarded', reason: `${name} has no caller in its package and no guard` };
  for (const c of callers) {
    const r = classify(c.file, c.node, pkg, seen);
    if (r.status === 'unguarded') {
      const pos = positionOf(c.file, c.node);
      return { status: 'unguarded', reason: `${name} is called without a guard at ${c.file.path}:${pos.line}` };
    }
  }
  const where = callers.map((c) => `${path.posix.basename(c.file.path)}:${positionOf(c.file, c.node).line}`).join(', ');
  return { status: 'guarded-by-caller', reason: `every caller of ${name} is guarded (${where})` };
}

/** Calls of the helper `name` in its package, outside the helper itself. */
function helperCallers(pkg: GoFile[], name: string, selfFile: GoFile, self: SyntaxNode): { file: GoFile; node: SyntaxNode }[] {
  const out: { file: GoFile; node: SyntaxNode }[] = [];
  for (const f of pkg) {
    if (!f.text.includes(name)) continue;
    for (const m of findMatches(f.tree.rootNode, QUERIES.plainCall)) {
      if (m.name.text !== name) continue;
      if (f === selfFile && contains(self, m.call)) continue;
      out.push({ file: f, node: m.call });
    }
  }
  return out;
}

/** The nearest `if` whose condition asks for a kmem limit and whose then-branch holds `call`. */
export function guardingIf(call: SyntaxNode): SyntaxNode | undefined {
  for (const a of ancestors(call)) {
    if (a.type === 'function_declaration' || a.type === 'method_declaration') return undefined;
    if (a.type !== 'if_statement') continue;
    const then = a.childForFieldName('consequence');
    const cond = a.childForFieldName('condition');
    if (then && cond && contains(then, call) && isGuardCondition(cond)) return a;
  }
  return undefined;
}

/** True for `X.KernelMemory != 0`, `X.KernelMemory > 0` (either order), possibly one side of `&&`. */
export function isGuardCondition(cond: SyntaxNode): boolean {
  if (cond.type === 'parenthesized_expression') return cond.namedChildren.some(isGuardCondition);
  if (cond.type !== 'binary_expression') return false;
  const op = cond.childForFieldName('operator')?.type ?? '';
  const left = cond.childForFieldName('left');
  const right = cond.childForFieldName('right');
  if (!left || !right) return false;
  if (op === '&&') return isGuardCondition(left) || isGuardCondition(right);
  const isField = (n: SyntaxNode) => n.type === 'selector_expression' && n.childForFieldName('field')?.text === GUARD_FIELD;
  const isZero = (n: SyntaxNode) => n.type === 'int_literal' && /^0+$/.test(n.text);
  if (isField(left) && isZero(right)) return (GUARD_OPERATORS as readonly string[]).includes(op);
  // `0 != x.KernelMemory` and `0 < x.KernelMemory` read the same way round.
  if (isZero(left) && isField(right)) return op === '!=' || op === '<';
  return false;
}

/** True when the line right above `ifNode` is kpatch's guard marker. */
function hasGuardMarker(f: GoFile, ifNode: SyntaxNode): boolean {
  const row = ifNode.startPosition.row - 1;
  if (row < 0) return false;
  return f.text.slice(lineStart(f, row), lineEnd(f, row)).trim() === MARKERS.guard;
}
