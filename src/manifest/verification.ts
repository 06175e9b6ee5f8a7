/**
 * The manifest's `verification`: what a build can prove about its output, per
 * mode, checked before the artifact folder is committed so that a build whose
 * fix did not reach the kubelet never leaves artifacts behind.
 */
import path from 'node:path';
import { fail } from '../errors.js';
import type { ScanReport } from '../engine/recipe.js';
import { DEFAULT_RECIPE } from '../recipes.js';
import { proveBinary } from './binaryProof.js';
import { sha256File, sha256Text } from './checksums.js';
import type { Verification } from './manifest.js';

/**
 * Build-tag modes: every artifact must show the tag (proof strings found,
 * build info listing it) wherever a check can run; a check that ran and
 * failed stops the build (`build_unverified`). When no check can run for
 * some artifact, the result is `unverified` and the caller warns. With
 * several copies of the code (`copies`, from the recipe), each copy's own
 * proof strings are looked for as well.
 */
export async function binaryVerification(
  tag: string,
  proofStrings: string[],
  artifacts: { path: string; abs: string }[],
  env: Record<string, string | undefined>,
  binary = 'kubelet',
  copies: { copy: string; strings: string[] }[] = [],
): Promise<Verification> {
  const outcomes = [];
  for (const a of artifacts) {
    const o = await proveBinary(a.abs, a.path, { tag, proofStrings }, env);
    o.problems.push(...copyProblems(tag, copies, o.proofStringsFound));
    if (o.problems.length) {
      fail('build_unverified', { where: a.path, detail: `-tags=${tag} did not reach this ${binary}: ${o.problems.join('; ')}` });
    }
    outcomes.push(o);
  }
  const how = [
    proofStrings.length ? `carries the ${tag} variant's string` : '',
    outcomes.some((o) => o.buildTags) ? `its Go build info lists -tags=${tag}` : '',
  ]
    .filter(Boolean)
    .join(' and ');
  const unchecked = outcomes.filter((o) => o.ran === 0);
  const summary = unchecked.length
    ? // Only possible without proof strings: with some, the string check always runs.
      `cannot prove that -tags=${tag} reached ${unchecked.map((o) => o.path).join(', ')}: the tree's ${tag} files have no string of their own, and the Go build info is unreadable (no host Go, or the ${binary} was built before Go 1.18)`
    : `each ${binary} ${how}${copies.length > 1 ? `; each of the ${copies.length} copies of the vendored code that switch kmem on (${copies.map((c) => c.copy || './').join(', ')}) has the ${tag} variant` : ''}`;
  return {
    status: unchecked.length ? 'unverified' : 'verified',
    method: 'binary',
    summary,
    buildTag: tag,
    proofStrings,
    artifacts: outcomes.map(({ path: p, proofStringsFound, buildTags }) => ({ path: p, proofStringsFound, buildTags })),
  };
}

/**
 * Several copies of the code (`copies`, from the recipe): each copy's own
 * proof strings must be in the binary too, where it has some; one line per
 * copy whose strings are all missing. Used by build and by verify.
 */
export function copyProblems(tag: string, copies: { copy: string; strings: string[] }[], found: string[] | null): string[] {
  if (copies.length < 2 || !found) return [];
  return copies
    .filter((c) => c.strings.length && !c.strings.some((x) => found.includes(x)))
    .map(
      (c) =>
        `none of the strings of the ${tag} variant of ${c.copy || './'} is in the binary (looked for ${c.strings.map((x) => JSON.stringify(x)).join(', ')})`,
    );
}

/**
 * Source modes: the sha256 of each patched file as it was compiled (read back
 * after make), which must still be the patch's result; `kpatch verify` later
 * re-applies the patch to the pristine tag and compares with these.
 */
export async function sourceVerification(
  root: string,
  changes: { path: string; after: string }[],
): Promise<{ verification: Verification; patchedFiles: { path: string; sha256: string }[] }> {
  const patchedFiles = [];
  for (const c of changes) {
    const sha256 = await sha256File(path.join(root, c.path));
    if (sha256 !== sha256Text(c.after)) {
      fail('build_unverified', {
        where: c.path,
        detail: 'the file changed while the build ran, so the kubelet may not have been compiled from the patched source',
      });
    }
    patchedFiles.push({ path: c.path, sha256 });
  }
  return {
    verification: {
      status: 'verified',
      method: 'source',
      summary: `compiled from the patched source: sha256 of ${patchedFiles.length} patched file(s)${copiesNote(changes.map((c) => c.path))} in patchedFiles; kpatch verify re-applies the patch to the pristine tag and compares`,
    },
    patchedFiles,
  };
}

/** ` in 2 copies of the vendored code (a/, b/)` when the patched files span several copies; '' otherwise. */
function copiesNote(paths: string[]): string {
  const copies = [...new Set(paths.map((p) => DEFAULT_RECIPE.copyOf(p)))].sort();
  return copies.length > 1 ? ` in ${copies.length} copies of the vendored code (${copies.map((c) => c || './').join(', ')})` : '';
}

/** `--build-anyway`: nothing was changed, so there is nothing to prove. */
export function noneVerification(report: ScanReport): Verification {
  return {
    status: 'not-needed',
    method: 'none',
    summary: `built unchanged (--build-anyway): the tree was ${report.verdict} before the build`,
  };
}
