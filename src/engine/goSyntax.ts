/**
 * Generic questions about Go syntax trees: enclosing functions, statements,
 * comments attached to a statement, and parameter lookup by type. Nothing here
 * knows about any particular recipe.
 */
import type { SyntaxNode } from './parse.js';
import { indentOf, lineEnd, lineStart, type GoFile } from './sourceFile.js';

/** Ancestors of `node`, nearest first. */
export function ancestors(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let p = node.parent; p; p = p.parent) out.push(p);
  return out;
}

/** True when both are the same node (wrappers are not identity-stable). */
export function sameNode(a: SyntaxNode | null | undefined, b: SyntaxNode | null | undefined): boolean {
  return !!a && !!b && a.startIndex === b.startIndex && a.endIndex === b.endIndex && a.type === b.type;
}

/** True when `inner` lies within `outer` (or is it). */
export function contains(outer: SyntaxNode, inner: SyntaxNode): boolean {
  return inner.startIndex >= outer.startIndex && inner.endIndex <= outer.endIndex;
}

/** The nearest enclosing named function or method declaration. */
export function enclosingFunction(node: SyntaxNode): SyntaxNode | undefined {
  return ancestors(node).find((a) => a.type === 'function_declaration' || a.type === 'method_declaration');
}

/** Go-style display name: `f`, `(*T).M` or `(T).M`. */
export function functionName(fn: SyntaxNode): string {
  const name = fn.childForFieldName('name')?.text ?? '?';
  if (fn.type !== 'method_declaration') return name;
  const recvType = fn.childForFieldName('receiver')?.namedChildren[0]?.childForFieldName('type');
  const recv = recvType ? recvType.text.replace(/\s+/g, '').replace(/\[.*\]$/, '') : '?';
  return `(${recv}).${name}`;
}

/** The statement that holds `node` directly inside a block or statement list. */
export function enclosingStatement(node: SyntaxNode): SyntaxNode | undefined {
  let child: SyntaxNode = node;
  for (const a of ancestors(node)) {
    if (a.type === 'statement_list' || a.type === 'block') return child;
    child = a;
  }
  return undefined;
}

/** A parameter of `fn` whose type (white space removed) is `typeText`. */
export function parameterOfType(fn: SyntaxNode, typeText: string): string | undefined {
  const params = fn.childForFieldName('parameters');
  for (const decl of params?.namedChildren ?? []) {
    if (decl.type !== 'parameter_declaration') continue;
    const t = decl.childForFieldName('type')?.text.replace(/\s+/g, '');
    if (t !== typeText) continue;
    const name = decl.childrenForFieldName('name')[0]?.text;
    if (name && name !== '_') return name;
  }
  return undefined;
}

/** Rows of the line comments directly above `stmt` (no blank line between), topmost first. */
export function leadingCommentRows(f: GoFile, stmt: SyntaxNode): number[] {
  const rows: number[] = [];
  for (let r = stmt.startPosition.row - 1; r >= 0; r--) {
    const indent = indentOf(f, r);
    const text = f.text.slice(lineStart(f, r) + indent.length, lineEnd(f, r));
    if (!text.startsWith('//')) break;
    const at = f.tree.rootNode.descendantForIndex(lineStart(f, r) + indent.length);
    if (at.type !== 'comment') break;
    rows.unshift(r);
  }
  return rows;
}

/** Every `comment` node of the file whose text starts with `prefix`. */
export function commentsStartingWith(f: GoFile, prefix: string): SyntaxNode[] {
  return f.tree.rootNode.descendantsOfType('comment').filter((c) => c.text.startsWith(prefix));
}

/** Names of imported packages used as `pkg.X` selectors, with their import specs. */
export function importSpecs(f: GoFile): { name: string; spec: SyntaxNode }[] {
  return f.tree.rootNode.descendantsOfType('import_spec').map((spec) => {
    const explicit = spec.childForFieldName('name')?.text;
    const p = spec.childForFieldName('path')?.text.replace(/^["`]|["`]$/g, '') ?? '';
    return { name: explicit ?? p.slice(p.lastIndexOf('/') + 1), spec };
  });
}

/** Identifier nodes named `name` under `root` that are not inside `[skipStart, skipEnd)`. */
export function identifierUses(root: SyntaxNode, name: string, skipStart = -1, skipEnd = -1): SyntaxNode[] {
  return root
    .descendantsOfType(['identifier', 'package_identifier'])
    .filter((n) => n.text === name && !(n.startIndex >= skipStart && n.endIndex <= skipEnd));
}

/**
 * The declaration that makes `name`, at `use`, mean something other than the
 * enclosing function's parameter of that name: a `:=`, `var`, `const` or
 * `type` earlier in an enclosing block, a `for ... := range` or `if`/`switch`
 * initializer around it, a type-switch alias, a `case v := <-ch`, or a
 * function literal's parameter. Undefined when `name` still names the
 * parameter there. (A `:=` in the function body's own block redeclares the
 * parameter itself, so it does not count.)
 */
export function shadowingDeclaration(use: SyntaxNode, name: string): SyntaxNode | undefined {
  const fn = enclosingFunction(use);
  const fnBody = fn?.childForFieldName('body');
  let child: SyntaxNode = use;
  for (const a of ancestors(use)) {
    if (fn && sameNode(a, fn)) return undefined;
    switch (a.type) {
      case 'block':
      case 'statement_list': {
        const top = sameNode(a, fnBody) || sameNode(a.parent, fnBody);
        for (const s of a.namedChildren) {
          if (s.endIndex > child.startIndex) break;
          if (declaresName(s, name, !top)) return s;
        }
        break;
      }
      case 'for_statement': {
        const body = a.childForFieldName('body');
        if (!body || !contains(body, use)) break;
        for (const h of a.namedChildren) {
          if (h.type === 'range_clause' && h.children.some((c) => c.type === ':=') && namesIn(h.childForFieldName('left')).includes(name))
            return h;
          if (h.type === 'for_clause' && declaresName(h.childForFieldName('initializer'), name, true)) return h;
        }
        break;
      }
      case 'if_statement':
      case 'expression_switch_statement':
      case 'type_switch_statement': {
        const init = a.childForFieldName('initializer');
        if (init && !contains(init, use) && declaresName(init, name, true)) return init;
        const alias = a.childForFieldName('alias');
        if (alias && !contains(alias, use) && namesIn(alias).includes(name)) return alias;
        break;
      }
      case 'communication_case': {
        const comm = a.childForFieldName('communication');
        if (
          comm?.type === 'receive_statement' &&
          comm.children.some((c) => c.type === ':=') &&
          !contains(comm, use) &&
          namesIn(comm.childForFieldName('left')).includes(name)
        )
          return comm;
        break;
      }
      case 'func_literal': {
        const params = a.childForFieldName('parameters');
        if (params && params.namedChildren.some((p) => p.childrenForFieldName('name').some((n) => n.text === name))) return params;
        break;
      }
    }
    child = a;
  }
  return undefined;
}

/** Identifiers directly in an expression list (or the node itself when it is one). */
function namesIn(list: SyntaxNode | null | undefined): string[] {
  if (!list) return [];
  if (list.type === 'identifier') return [list.text];
  return list.namedChildren.filter((n) => n.type === 'identifier').map((n) => n.text);
}

/** True when statement `s` declares `name` in its block (`:=` only when `shortCounts`). */
function declaresName(s: SyntaxNode | null | undefined, name: string, shortCounts: boolean): boolean {
  if (!s) return false;
  switch (s.type) {
    case 'short_var_declaration':
      return shortCounts && namesIn(s.childForFieldName('left')).includes(name);
    case 'var_declaration':
    case 'const_declaration':
    case 'type_declaration':
      return s
        .descendantsOfType(['var_spec', 'const_spec', 'type_spec', 'type_alias'])
        .some((spec) => spec.childrenForFieldName('name').some((n) => n.text === name));
    default:
      return false;
  }
}
