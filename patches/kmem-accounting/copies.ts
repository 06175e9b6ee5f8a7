/**
 * A tree may hold several copies of runc's cgroups code: Kubernetes' own
 * `vendor/github.com/opencontainers/runc/` and a dependency's nested
 * `vendor/github.com/google/cadvisor/vendor/github.com/opencontainers/runc/`
 * (as cadvisor, cri-o or hydra ship). Go compiles each copy that is imported,
 * and `-tags=nokmem` fixes only the copies that have the `nokmem` variant,
 * so the tag is chosen, and proven, copy by copy.
 */
import type { ScanReport } from '../../src/engine/recipe.js';
import type { GoFile } from '../../src/engine/sourceFile.js';
import { UNSUPPORTED } from './classify.js';
import { nokmemFiles, nokmemProofStrings } from './nokmem.js';
import { NOKMEM_TAG, TARGET_PATH } from './rules.js';

/** The copy's root folder: the path up to `github.com/opencontainers/runc/`, or '' for runc's own tree. */
export function copyOf(rel: string): string {
  const at = rel.lastIndexOf(TARGET_PATH.vendored);
  if (at >= 0) return rel.slice(0, at + TARGET_PATH.vendored.length - 'libcontainer/cgroups/'.length);
  return '';
}

/** How a copy is named in messages. */
export function copyName(copy: string): string {
  return copy === '' ? "the tree's own runc (libcontainer/)" : copy;
}

/** Files by copy, in path order. */
function byCopy(files: GoFile[]): Map<string, GoFile[]> {
  const out = new Map<string, GoFile[]>();
  for (const f of files) out.set(copyOf(f.path), [...(out.get(copyOf(f.path)) ?? []), f]);
  return out;
}

/** Copies with a site that switches kmem on (unguarded, or a use kpatch cannot see), with their first such site. */
function needingCopies(report: ScanReport): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of report.sites) {
    if (s.status !== 'unguarded' && s.status !== UNSUPPORTED) continue;
    const c = copyOf(s.file);
    if (!out.has(c)) out.set(c, `${s.file}:${s.line}`);
  }
  return out;
}

/**
 * The copies that need the fix but have no file with the `nokmem` build
 * constraint: one line each, naming the copy, its call site and why.
 */
export function nokmemUncovered(files: GoFile[], report: ScanReport): string[] {
  const copies = byCopy(files);
  const out: string[] = [];
  for (const [copy, site] of needingCopies(report)) {
    if (nokmemFiles(copies.get(copy) ?? []).length) continue;
    out.push(
      `${copyName(copy)}: kmem is switched on at ${site}, and no file of this copy has a \`${NOKMEM_TAG}\` build constraint (a runc from before rc6), so -tags=${NOKMEM_TAG} leaves it unchanged`,
    );
  }
  return out;
}

/** Each needing copy's own proof strings (those of its nokmem files that no other target file holds). */
export function nokmemProofStringsByCopy(files: GoFile[], report: ScanReport): { copy: string; strings: string[] }[] {
  const all = new Set(nokmemProofStrings(files));
  const copies = byCopy(files);
  return [...needingCopies(report).keys()].map((copy) => ({
    copy,
    strings: nokmemProofStrings(copies.get(copy) ?? []).filter((s) => all.has(s)),
  }));
}
