/**
 * The build's output steps: collect each platform's binary from where the
 * target's make writes it (buildTarget.ts) into the staged artifact folder,
 * refusing one this make did not write; write the patch (generated, or the
 * reviewed one kept byte for byte), the manifest and the checksums beside them.
 */
import { copyFile, mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fail } from '../errors.js';
import { sha256File, sha256Text } from '../manifest/checksums.js';
import { writeReleaseRecords, type RecordOptions } from '../manifest/releaseRecords.js';
import type { Manifest } from '../manifest/manifest.js';
import type { ScanReport } from '../engine/recipe.js';
import { renderPatch, type ReviewedBuild } from '../patchfile/reviewedPatch.js';
import { patchFileName } from '../patchfile/reviewedPatchPath.js';
import type { CommitFacts } from '../source/commitFacts.js';
import type { BuildTarget } from './buildTarget.js';
import type { MakeRun } from './makeContract.js';

// File systems with coarse timestamps (2 s on FAT-like mounts) may date a fresh binary slightly before make started.
const MTIME_SLACK_MS = 2000;

/** Where the binaries are and what the make left: the inputs of {@link collectArtifacts}. */
export interface CollectRequest {
  tree: string;
  stagedDir: string;
  platforms: string[];
  target: BuildTarget;
  made: MakeRun;
  /** When make started (ms): a binary in the tree's output folder older than this was not written by it. */
  makeStarted: number;
  logPath: string;
}

/**
 * Copies each platform's binary to `<staged>/<os>-<arch>/<binary>` and
 * records its checksum and size. Throws `artifact_missing` for a platform
 * whose binary is absent, or older than the make.
 */
export async function collectArtifacts(r: CollectRequest): Promise<Manifest['artifacts']> {
  const artifacts: Manifest['artifacts'] = [];
  for (const platform of r.platforms) {
    const [os, arch] = platform.split('/');
    const moved = r.made.binaries?.[platform];
    const built = moved ?? r.target.builtBinary(r.tree, os, arch);
    const rel = `${os}-${arch}/${r.target.binary}`;
    const st = await stat(built).catch(() => undefined);
    if (!st?.isFile()) {
      fail('artifact_missing', {
        where: built,
        detail: `platform ${platform}: make exited 0 but wrote no ${r.target.binary} there; full log: ${r.logPath}`,
      });
    }
    if (!moved && st.mtimeMs < r.makeStarted - MTIME_SLACK_MS) {
      fail('artifact_missing', {
        where: built,
        detail: `platform ${platform}: the ${r.target.binary} there is older than this make (${st.mtime.toISOString()}), so this make did not write it; full log: ${r.logPath}`,
      });
    }
    const dest = path.join(r.stagedDir, rel);
    await mkdir(path.dirname(dest), { recursive: true });
    await copyFile(built, dest);
    artifacts.push({ path: rel, platform, sha256: await sha256File(dest), size: (await stat(dest)).size });
  }
  return artifacts;
}

/** Writes `manifest.json`, then the release records (provenance, SBOM, SHA256SUMS over everything, the signature). */
export async function writeManifest(stagedDir: string, manifest: Manifest, records: RecordOptions): Promise<void> {
  await writeFile(path.join(stagedDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  // provenance.json, sbom.spdx.json, SHA256SUMS over everything, and with --sign-key its signature.
  await writeReleaseRecords(stagedDir, manifest, records);
}

/** Writes `patches/0001-<recipe>-<mode>.patch` in git format-patch form; returns its path and sha256. */
export async function writePatch(
  dir: string,
  changes: { path: string; before: string; after: string }[],
  report: ScanReport,
  mode: string,
  commit: CommitFacts,
): Promise<{ path: string; sha256: string }> {
  // The same text `kpatch diff --write` files for review (reviewedPatch.ts).
  const text = await renderPatch(changes, report, mode, commit);
  const rel = `patches/${patchFileName(report.recipe, mode)}`;
  await mkdir(path.join(dir, 'patches'), { recursive: true });
  await writeFile(path.join(dir, rel), text);
  return { path: rel, sha256: sha256Text(text) };
}

/** Copies the reviewed patch, byte for byte, to where a generated one would be; records where it came from. */
export async function keepReviewedPatch(
  dir: string,
  r: ReviewedBuild,
  recipe: string,
): Promise<{ path: string; sha256: string; reviewedFrom: string }> {
  const rel = `patches/${patchFileName(recipe, r.mode)}`;
  await mkdir(path.join(dir, 'patches'), { recursive: true });
  await writeFile(path.join(dir, rel), r.applied.text);
  return { path: rel, sha256: r.applied.sha256, reviewedFrom: r.file };
}
