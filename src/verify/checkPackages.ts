/**
 * `kpatch verify`, the packages: each package the manifest lists is opened
 * with the package managers' tools (src/package/readPackage.ts) and must
 * carry, at its install path, byte for byte the artifact it names (whose
 * hash checkFiles has already tied to SHA256SUMS and the manifest); its
 * header must say the name, version, release and architecture the manifest
 * records, the architecture must be the artifact's platform, a package kpatch
 * made must hold exactly the files and modes of its layout (so it carries no
 * other binary), and an RPM must install on rpm 4.11.3. A machine without
 * the tools gets a `skip` line naming them.
 */
import path from 'node:path';
import type { Manifest } from '../manifest/manifest.js';
import { platformOfArch } from '../package/arch.js';
import { packageLayout, type PackageChoices } from '../package/packageLayout.js';
import { missingReadTools } from '../package/packageTools.js';
import { comparePackage, UnreadablePackage } from '../package/readPackage.js';
import { packageFileName } from '../package/versionScheme.js';
import { DEFAULT_MAINTAINER } from '../package/layout.js';
import { staysInside } from './checkFiles.js';
import type { Findings } from './verifyResult.js';

/** The layout's file list does not depend on these choices: any will do to compute it. */
const ANY_CHOICES: PackageChoices = { rebuild: 1, rebootSentinel: true, maintainer: DEFAULT_MAINTAINER };

/** Runs the package checks; `hashed` are the files checkFiles read and hashed (the only ones opened here). */
export async function checkPackages(
  dir: string,
  m: Manifest,
  hashed: Set<string>,
  found: Findings,
  env: Record<string, string | undefined>,
  signal?: AbortSignal,
): Promise<void> {
  const failed = new Set(found.failures.map((f) => f.file));
  for (const p of m.packages ?? []) {
    // A package or artifact checkFiles already failed (changed, missing, odd) is not opened.
    if (!staysInside(p.path) || !hashed.has(p.path) || failed.has(p.path)) continue;
    const artifact = m.artifacts.find((a) => a.path === p.binary.artifact);
    if (!artifact) {
      found.fail(p.path, `manifest.json says it carries ${p.binary.artifact}, which is not an artifact of the folder`);
      continue;
    }
    if (failed.has(artifact.path)) continue;
    const named = packageFileName(p.format, p.name, p.version, p.release, p.arch);
    if (path.posix.basename(p.path) !== named) found.fail(p.path, `is not named as ${p.format} names this package (${named})`);
    if (platformOfArch(p.format, p.arch) !== artifact.platform)
      found.fail(p.path, `is for ${p.arch}, but ${artifact.path} was built for ${artifact.platform}`);
    const missing = missingReadTools(p.format, env);
    if (missing.length) {
      found.skip(p.path, `not opened: ${missing.join(', ')} not installed; its sha256 matches the records`);
      continue;
    }
    let expected: { path: string; mode: number }[] | undefined;
    if (!p.from) {
      try {
        expected = packageLayout(p.format, m, artifact.platform, ANY_CHOICES).files.map((f) => ({ path: f.path, mode: f.mode }));
      } catch (e) {
        found.fail(p.path, `kpatch makes no such package from this manifest: ${(e as Error).message}`);
        continue;
      }
    }
    try {
      const r = await comparePackage(p, path.join(dir, p.path), artifact.sha256, expected, env, signal);
      for (const x of r.problems) found.fail(p.path, x);
      if (!r.problems.length) found.ok(p.path, r.ok.join('; '));
    } catch (e) {
      if (!(e instanceof UnreadablePackage)) throw e;
      found.fail(p.path, `cannot be read as ${p.format === 'rpm' ? 'an RPM' : 'a DEB'}: ${e.message}`);
    }
  }
}
