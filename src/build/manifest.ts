/**
 * manifest.json: what was built, from what, how, and the sha256 of every
 * artifact; what CI publishes and a reviewer or `kpatch verify` reads.
 */
import type { ScanReport, Site } from '../engine/recipe.js';

/** Version of the manifest document. */
export const MANIFEST_SCHEMA_VERSION = 1;

/** One call site before and after the patch. */
export interface SiteChange {
  file: string;
  function: string;
  before: { line: number; column: number; status: string };
  /** `removed` when the mode deleted the call. */
  after: { line: number; column: number; status: string } | 'removed';
}

/** The manifest document. */
export interface Manifest {
  schemaVersion: number;
  kpatchVersion: string;
  source: { repo?: string; tag?: string; commit?: string; path?: string };
  recipe: string;
  mode: string;
  verdictBefore: string;
  verdictAfter: string;
  sites: SiteChange[];
  patch?: { path: string; sha256: string };
  /** sha256 of each patched source file as compiled. */
  patchedFiles: { path: string; sha256: string }[];
  runner: string;
  command: string[];
  image?: { ref: string; source: string; digest?: string };
  goVersion?: string;
  platforms: string[];
  versionString: string;
  sourceDateEpoch?: number;
  artifacts: { path: string; platform: string; sha256: string; size: number }[];
  startedAt: string;
  finishedAt: string;
}

/**
 * Pairs the sites of the pristine tree with those of the patched tree, file
 * by file in order: guard keeps every call (lines move), remove drops the
 * unguarded ones.
 */
export function pairSites(before: ScanReport, after: ScanReport, mode: string): SiteChange[] {
  const remaining = new Map<string, Site[]>();
  for (const s of after.sites) remaining.set(s.file, [...(remaining.get(s.file) ?? []), s]);
  return before.sites.map((b) => {
    const removed = mode === 'remove' && b.status === 'unguarded';
    const a = removed ? undefined : remaining.get(b.file)?.shift();
    return {
      file: b.file,
      function: b.function,
      before: { line: b.line, column: b.column, status: b.status },
      after: a ? { line: a.line, column: a.column, status: a.status } : 'removed',
    };
  });
}
