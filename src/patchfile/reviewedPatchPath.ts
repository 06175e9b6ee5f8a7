/**
 * Where a reviewed patch lives: plain naming, apart from the patch format
 * itself (reviewedPatch.ts, which brings git and jsdiff along), so that
 * `kpatch matrix` can name each build's `--patch` without loading either.
 * (patchPaths.ts is another thing: the paths a patch's text changes.)
 */
import path from 'node:path';

/** `0001-<recipe>-<mode>.patch`: the name the patch has everywhere. */
export function patchFileName(recipe: string, mode: string): string {
  return `0001-${recipe}-${mode}.patch`;
}

/** `<dir>/<tag>/0001-<recipe>-<mode>.patch`, the stable place of a reviewed patch. */
export function reviewedPatchPath(dir: string, tag: string, recipe: string, mode: string): string {
  return path.join(dir, tag, patchFileName(recipe, mode));
}
