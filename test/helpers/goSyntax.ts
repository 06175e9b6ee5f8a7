/**
 * Small walks over a tree-sitter Go syntax tree shared by the test oracles
 * (perturb.ts, rewriteOracle.ts), which work out what the recipe should do
 * without asking the recipe's own queries.
 */
import type { SyntaxNode } from '../../src/engine/parse.js';

/** A call of EnableKernelMemoryAccounting, plain or package-qualified (spaces around the dot allowed). */
export function isTargetCall(n: SyntaxNode): boolean {
  const f = n.childForFieldName('function');
  return (
    n.type === 'call_expression' &&
    (f?.type === 'selector_expression' ? f.childForFieldName('field')?.text : f?.text) === 'EnableKernelMemoryAccounting'
  );
}

/** Every node below `n` (and `n` itself), in document order. */
export function descendants(n: SyntaxNode, out: SyntaxNode[] = []): SyntaxNode[] {
  out.push(n);
  for (const c of n.children) descendants(c, out);
  return out;
}
