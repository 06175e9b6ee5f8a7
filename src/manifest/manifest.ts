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
  /** What was built: `kubelet` or `runc` (absent in manifests written before runc builds existed: kubelet). */
  target?: 'kubelet' | 'runc';
  /**
   * Where the source came from. `--src` builds: `path` (the checkout, built
   * from a private copy), `treeState` (`dirty` when the checkout had changes
   * besides kpatch's fix), and `fixCommittedOn` (the tag, when HEAD is that
   * tag plus a committed kpatch fix).
   */
  source: { repo?: string; tag?: string; commit?: string; path?: string; treeState?: 'clean' | 'dirty'; fixCommittedOn?: string };
  recipe: string;
  /** What the build did: `guard`, `remove` (source patches), `nokmem` (build tag), `none` (built as it is). */
  mode: string;
  /** What `--mode` asked for (`auto` shows here when it chose). */
  modeRequested?: string;
  /** Why `mode` was chosen, naming the evidence. */
  modeReason?: string;
  verdictBefore: string;
  verdictAfter: string;
  sites: SiteChange[];
  /**
   * The patch applied, as kept in the artifact folder, with its sha256;
   * `reviewedFrom` is the reviewed file given to `build --patch` (absent when
   * kpatch generated the patch).
   */
  patch?: { path: string; sha256: string; reviewedFrom?: string };
  /** sha256 of each patched source file as compiled. */
  patchedFiles: { path: string; sha256: string }[];
  runner: string;
  command: string[];
  /** Every make command line, when more than one ran (runc: one per platform); `command` is the first. */
  commands?: string[][];
  /** GOFLAGS kpatch gave the build (a build-tag mode), the user's own flags merged in. */
  goflags?: string;
  /** runc: the BUILDTAGS its make ran with (`seccomp`, `seccomp nokmem`). */
  buildtags?: string;
  image?: ImageRecord;
  goVersion?: string;
  platforms: string[];
  versionString: string;
  sourceDateEpoch?: number;
  artifacts: { path: string; platform: string; sha256: string; size: number }[];
  startedAt: string;
  finishedAt: string;
  /** Proof that the fix reached the binaries (see Verification). */
  verification?: Verification;
  /** The RPM and DEB packages in `packages/` (kpatch package, build --package), each carrying one artifact. */
  packages?: PackageRecord[];
}

/** One package file of the folder: what it is called and carries, and what it was made from. */
export interface PackageRecord {
  /** `packages/<file>`, named as the package manager names it. */
  path: string;
  format: 'rpm' | 'deb';
  name: string;
  /** Upstream version (`1.12.4`). */
  version: string;
  /** RPM Release or DEB revision (`0.kpatch1.guard`, `00+kpatch1.guard`). */
  release: string;
  /** In the package manager's words (`x86_64`, `amd64`). */
  arch: string;
  sha256: string;
  /** Where the binary goes on the node, and which artifact of the folder it is, byte for byte. */
  binary: { installPath: string; artifact: string };
  /** For a repackaged file (`--from`): the original package's file name and sha256. */
  from?: { file: string; sha256: string };
}

/** Every file the manifest records a sha256 for that provenance and the SBOM list as subjects: the artifacts, then the packages. */
export function recordedFiles(m: Manifest): { path: string; sha256: string }[] {
  return [
    ...m.artifacts.map((a) => ({ path: a.path, sha256: a.sha256 })),
    ...(m.packages ?? []).map((p) => ({ path: p.path, sha256: p.sha256 })),
  ];
}

/** What happened to one candidate image reference. */
export interface ImageAttempt {
  ref: string;
  /** `present`: already local, used without pulling; `pulled`; `failed`: the pull failed (`message` says why). */
  result: 'present' | 'pulled' | 'failed';
  message?: string;
}

/** The build image of a container build: which reference was used, why, and what else was tried. */
export interface ImageRecord {
  /** The reference the build ran in. */
  ref: string;
  /** How the candidates were chosen, in words. */
  source: string;
  /** The digest the engine reported for `ref` (its RepoDigests), when it has one. */
  digest?: string;
  /** Every reference kpatch would have used, in order (absent in manifests before candidates existed). */
  candidates?: string[];
  /** The candidates tried, in order, and what happened: `present` (local already), `pulled`, `failed`. */
  attempts?: ImageAttempt[];
}

/**
 * Proof that the fix reached what was built. `binary` (build-tag modes):
 * each kubelet carries a string only the tag's variant compiles in, and/or
 * its Go build info lists the tag. `source` (guard, remove): the sha256 of
 * each patched file as compiled is in `patchedFiles`, and `kpatch verify`
 * re-applies the patch to the pristine tag and compares. `none`: nothing was
 * changed (`--build-anyway`).
 */
export interface Verification {
  /** `verified`: every check that could run passed, and one ran for each artifact; `unverified`: none could run. */
  status: 'verified' | 'unverified' | 'not-needed';
  method: 'binary' | 'source' | 'none';
  /** One sentence for people. */
  summary: string;
  /** binary: the tag that had to reach the compiler. */
  buildTag?: string;
  /** binary: strings only the tag's variant compiles in, taken from the tree (empty when it has none). */
  proofStrings?: string[];
  /** binary: per artifact, what was found; `null` where that check could not run. */
  artifacts?: ArtifactProof[];
}

/** What one binary showed. */
export interface ArtifactProof {
  /** Artifact path, as in `artifacts`. */
  path: string;
  /** The proof strings found in the file; `null` when the tree has none to look for. */
  proofStringsFound: string[] | null;
  /** The `-tags` of its Go build info; `null` when unreadable (no host Go, or built before Go 1.18). */
  buildTags: string[] | null;
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
