/**
 * The one reader of a git-style patch's file headers, shared by the reviewed
 * patch (reviewedPatch.ts), build --src's dirty check (pipeline/srcCheckout.ts)
 * and verify's patch check (verify/checkPatch.ts).
 */

/**
 * The paths a git-style patch changes, in order: the `b/` side of each
 * `diff --git a/X b/X` line (kpatch refuses paths with spaces or odd
 * characters before it writes a patch, so `\S+` names them whole).
 */
export function patchPaths(text: string): string[] {
  return [...text.matchAll(/^diff --git a\/(\S+) b\/(\S+)$/gm)].map((m) => m[2]);
}
