/**
 * Writes the packages of an artifact folder (staged by build, or a copy made
 * by packageFolder.ts) into its `packages/`, and returns the manifest with
 * `packages` listing them: one package per format and per artifact. The
 * records (provenance, SBOM, SHA256SUMS, signature) are written after, by
 * the caller, from that manifest.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fail } from '../errors.js';
import { sha256File } from '../manifest/checksums.js';
import type { Manifest, PackageRecord } from '../manifest/manifest.js';
import type { PackageFormat } from './layout.js';
import { makePackage } from './makePackage.js';
import { packageLayout, type PackageChoices } from './packageLayout.js';
import { checkMadePackage } from './readPackage.js';

/** The folder under an artifact folder where packages go. */
export const PACKAGES_DIR = 'packages';

/** What to package and how. */
export interface PackagingRequest extends PackageChoices {
  formats: readonly PackageFormat[];
}

/**
 * Makes every package of `formats` for every artifact of `m` in `dir`;
 * returns `m` with its `packages` replaced for those formats (packages of
 * other formats, and repackaged ones, `from`, are kept). Every package made
 * is read back with the real tools before it is recorded (checkMadePackage).
 */
export async function writePackages(
  dir: string,
  m: Manifest,
  req: PackagingRequest,
  env: Record<string, string | undefined>,
  signal?: AbortSignal,
): Promise<Manifest> {
  const epoch = m.sourceDateEpoch;
  if (epoch === undefined)
    fail('package_unsupported', {
      where: 'manifest.json',
      detail: 'it records no sourceDateEpoch (the tag commit time) to date the packages by',
    });
  // Layouts first: a release or platform the facts do not cover is refused before anything is written.
  const jobs = req.formats.flatMap((format) => m.artifacts.map((a) => ({ format, a, layout: packageLayout(format, m, a.platform, req) })));
  const kept = (m.packages ?? []).filter((p) => p.from !== undefined || !req.formats.includes(p.format));
  for (const old of (m.packages ?? []).filter((p) => !kept.includes(p))) await rm(path.join(dir, old.path), { force: true });
  const made: PackageRecord[] = [];
  for (const { format, a, layout } of jobs) {
    if (signal?.aborted) fail('interrupted');
    const file = await makePackage({
      layout,
      binary: path.join(dir, a.path),
      outDir: path.join(dir, PACKAGES_DIR),
      workParent: dir,
      sourceDateEpoch: epoch,
      env,
      signal,
    });
    const record: PackageRecord = {
      path: `${PACKAGES_DIR}/${path.basename(file)}`,
      format,
      name: layout.name,
      version: layout.version,
      release: layout.release,
      arch: layout.arch,
      sha256: await sha256File(file),
      binary: { installPath: layout.binaryPath, artifact: a.path },
    };
    if (made.some((p) => p.path === record.path) || kept.some((p) => p.path === record.path))
      fail('package_failed', { where: record.path, detail: 'two packages of this folder would have this name' });
    await checkMadePackage(file, record, a.sha256, env, signal);
    made.push(record);
  }
  // One order whatever was kept: by file name.
  return { ...m, packages: [...kept, ...made].sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0)) };
}
