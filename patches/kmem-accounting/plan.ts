/**
 * How each mode edits an unguarded call site: `guard` wraps the statement in
 * a KernelMemory test, `remove` replaces it with a marker comment. Both keep
 * the package compiling (no unused variable or import left behind) and
 * gofmt-clean (tabs, the file's own line endings).
 */
import { fail } from '../../src/errors.js';
import { indentLines, verbatimRows, type TextEdit } from '../../src/engine/edits.js';
import {
  enclosingFunction,
  enclosingStatement,
  identifierUses,
  importSpecs,
  leadingCommentRows,
  parameterOfType,
  sameNode,
  shadowingDeclaration,
} from '../../src/engine/goSyntax.js';
import type { SyntaxNode } from '../../src/engine/parse.js';
import { indentOf, lineEnd, lineStart, type GoFile } from '../../src/engine/sourceFile.js';
import { UNSUPPORTED, type CallSite } from './classify.js';
import { GUARDS, MARKERS, type EditMode } from './rules.js';

/** The text span a rewrite replaces: whole lines, from the attached comments to the statement's end. */
interface Span {
  start: number;
  end: number;
  firstRow: number;
  indent: string;
  stmt: SyntaxNode;
}

/** Edits for every unguarded site, by file path. Throws `unsupported_shape` on the first site it cannot rewrite. */
export function planEdits(sites: CallSite[], mode: EditMode): Map<string, TextEdit[]> {
  const plan = new Map<string, TextEdit[]>();
  const removedByFile = new Map<GoFile, Span[]>();
  const done = new Set<string>();
  // Refused before anything is planned: a use kpatch cannot see cannot be half fixed.
  const unseen = sites.find((s) => s.status === UNSUPPORTED);
  if (unseen)
    refuse(
      unseen,
      `${unseen.reason}; guard or remove every call made through it by hand, or build with -tags=nokmem where the tree offers it (kpatch build --mode nokmem)`,
    );
  for (const site of sites) {
    if (site.status !== 'unguarded') continue;
    const f = site.source;
    const span = statementSpan(site);
    const key = `${f.path}:${span.start}`;
    if (done.has(key)) continue; // two calls in one statement: one rewrite
    done.add(key);
    const edits = plan.get(f.path) ?? [];
    if (mode === 'guard') {
      edits.push({ start: span.start, end: span.end, text: guardText(site, span) });
    } else {
      edits.push({ start: span.start, end: span.end, text: removeText(site, span) });
      removedByFile.set(f, [...(removedByFile.get(f) ?? []), span]);
    }
    plan.set(f.path, edits);
  }
  for (const [f, spans] of removedByFile) plan.get(f.path)!.push(...unusedImportEdits(f, spans));
  return plan;
}

function refuse(site: CallSite, why: string): never {
  fail('unsupported_shape', {
    where: `${site.file}:${site.line}`,
    detail: `${why}\nin ${site.function}: ${site.source.text.slice(lineStart(site.source, site.line - 1), lineEnd(site.source, site.line - 1)).trim()}`,
  });
}

/** The statement holding the call, checked to be a shape both modes can rewrite. */
function statementSpan(site: CallSite): Span {
  const f = site.source;
  const call = site.node;
  const stmt = enclosingStatement(call);
  if (!stmt) refuse(site, 'the call is not inside a statement block');
  if (!isRewritableStatement(stmt, call)) {
    refuse(
      site,
      `the call's value is used by a ${stmt.type.replace(/_/g, ' ')}; only \`if err := Call(...); err != nil {...}\`, a bare call or \`_ = Call(...)\` can be rewritten`,
    );
  }
  const commentRows = leadingCommentRows(f, stmt);
  const firstRow = commentRows[0] ?? stmt.startPosition.row;
  const indent = indentOf(f, stmt.startPosition.row);
  const start = lineStart(f, firstRow);
  if (f.text.slice(start, stmt.startIndex).trim() !== '' && commentRows.length === 0) {
    refuse(site, 'another statement shares the line with the call');
  }
  const end = lineEnd(f, stmt.endPosition.row);
  const rest = f.text.slice(stmt.endIndex, end).trim();
  if (rest !== '' && !rest.startsWith('//')) refuse(site, 'another statement shares the line with the call');
  return { start, end, firstRow, indent, stmt };
}

/** `if err := Call(); err != nil {...}`, `Call()` or `_ = Call()`, where Call is the whole right-hand side. */
function isRewritableStatement(stmt: SyntaxNode, call: SyntaxNode): boolean {
  const only = (list: SyntaxNode | null) =>
    list?.namedChildCount === 1 && list.namedChildren[0].startIndex === call.startIndex && list.namedChildren[0].endIndex === call.endIndex;
  switch (stmt.type) {
    case 'expression_statement':
      return stmt.namedChildren[0]?.startIndex === call.startIndex && stmt.namedChildren[0]?.endIndex === call.endIndex;
    case 'if_statement': {
      const init = stmt.childForFieldName('initializer');
      return (init?.type === 'short_var_declaration' || init?.type === 'assignment_statement') && only(init.childForFieldName('right'));
    }
    case 'assignment_statement':
      return stmt.childForFieldName('left')?.text === '_' && only(stmt.childForFieldName('right'));
    default:
      return false;
  }
}

function guardText(site: CallSite, span: Span): string {
  const f = site.source;
  const fn = enclosingFunction(site.node);
  let condition: string | undefined;
  const shadowed: string[] = [];
  for (const g of GUARDS) {
    const p = fn ? parameterOfType(fn, g.paramType) : undefined;
    if (!p) continue;
    // The guard is written at the call: there, the parameter's name must still be the parameter.
    const decl = shadowingDeclaration(site.node, p);
    if (decl) {
      const row = decl.startPosition.row;
      shadowed.push(
        `\`${p}\` (${g.paramType}) is redeclared at line ${row + 1} (\`${f.text.slice(lineStart(f, row), lineEnd(f, row)).trim().slice(0, 80)}\`), so \`${g.condition.replace('{p}', p)}\` there would not test the parameter`,
      );
      continue;
    }
    condition = g.condition.replace('{p}', p);
    break;
  }
  if (!condition && shadowed.length) refuse(site, `${shadowed.join('; ')}; rename the inner variable, or guard the call by hand`);
  if (!condition) {
    refuse(site, `${site.function} has no parameter of type ${GUARDS.map((g) => g.paramType).join(' or ')} to test KernelMemory on`);
  }
  const body = indentLines(f.text.slice(span.start, span.end), f.eol, '\t', span.firstRow, verbatimRows(span.stmt));
  const { eol } = f;
  return `${span.indent}${MARKERS.guard}${eol}${span.indent}if ${condition} {${eol}${body}${eol}${span.indent}}`;
}

/**
 * The marker, plus `_ = v` for each local variable whose only use was the
 * removed call (Go rejects unused variables; a parameter needs nothing).
 */
function removeText(site: CallSite, span: Span): string {
  const f = site.source;
  let text = `${span.indent}${MARKERS.remove}`;
  const fn = enclosingFunction(site.node);
  const body = fn?.childForFieldName('body');
  const args = site.node.childForFieldName('arguments');
  if (!body || !args) return text;
  const names = new Set(
    args
      .descendantsOfType('identifier')
      .filter((n) => n.parent?.type !== 'selector_expression' || sameNode(n.parent.childForFieldName('operand'), n))
      .map((n) => n.text),
  );
  for (const name of names) {
    // A name declared by an inner scope (`for _, d := range`) is that scope's
    // variable: count its uses there, or Go rejects the loop variable as unused.
    const inner = shadowingDeclaration(site.node, name);
    if (inner) {
      const declared = declaredIdentifiers(inner, name);
      const scope =
        inner.parent?.type === 'block' || inner.parent?.type === 'statement_list'
          ? inner.parent
          : inner.type === 'parameter_list'
            ? inner.parent!
            : (inner.parent ?? body);
      const uses = identifierUses(scope, name, span.start, span.end).filter((n) => !declared.some((d) => sameNode(d, n)));
      if (!uses.length) text += `${f.eol}${span.indent}_ = ${name}`;
      continue;
    }
    const outside = identifierUses(body, name, span.start, span.end);
    const declared = outside.some(isDeclaration);
    const used = outside.some((n) => !isDeclaration(n));
    if (declared && !used) text += `${f.eol}${span.indent}_ = ${name}`;
  }
  return text;
}

/** The identifiers named `name` that a declaring node (from shadowingDeclaration) introduces. */
function declaredIdentifiers(decl: SyntaxNode, name: string): SyntaxNode[] {
  const left = decl.childForFieldName('left') ?? decl.childForFieldName('alias');
  const where = left
    ? [left]
    : decl.type === 'parameter_list'
      ? decl.namedChildren.flatMap((p) => p.childrenForFieldName('name'))
      : decl.descendantsOfType(['var_spec', 'const_spec']).flatMap((v) => v.childrenForFieldName('name'));
  return where.flatMap((n) => (n.type === 'identifier' ? [n] : n.namedChildren)).filter((n) => n.type === 'identifier' && n.text === name);
}

/** True for the identifier being declared in `x := ...` or `var x ...`. */
function isDeclaration(id: SyntaxNode): boolean {
  const p = id.parent;
  if (!p) return false;
  if (p.type === 'expression_list' && p.parent?.type === 'short_var_declaration') return sameNode(p.parent.childForFieldName('left'), p);
  return p.type === 'var_spec';
}

/** Deletes imports whose only uses were inside the removed spans. */
function unusedImportEdits(f: GoFile, spans: Span[]): TextEdit[] {
  const edits: TextEdit[] = [];
  const inRemoved = (n: SyntaxNode) => spans.some((s) => n.startIndex >= s.start && n.endIndex <= s.end);
  for (const { name, spec } of importSpecs(f)) {
    if (name === '_' || name === '.') continue;
    // A package is used as `pkg.F(...)` (selector) or in a type, `pkg.T` (qualified_type).
    const uses = identifierUses(f.tree.rootNode, name).filter(
      (n) =>
        (n.parent?.type === 'selector_expression' && sameNode(n.parent.childForFieldName('operand'), n)) ||
        n.parent?.type === 'qualified_type',
    );
    if (!uses.some(inRemoved) || uses.some((n) => !inRemoved(n))) continue;
    const decl = spec.parent?.type === 'import_spec_list' ? spec : spec.parent!;
    const row = decl.startPosition.row;
    const lastRow = decl.endPosition.row;
    const start = lineStart(f, row);
    const end = lastRow + 1 < f.lineStarts.length ? lineStart(f, lastRow + 1) : lineEnd(f, lastRow);
    edits.push({ start, end, text: '' });
  }
  return edits;
}
