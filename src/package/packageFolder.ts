/**
 * `kpatch package DIR`: packages an artifact folder build wrote (here or in
 * CI) and updates its records as `build --package` would have written them.
 * All or nothing: the folder is checked first (its files against
 * SHA256SUMS and the manifest: a binary that no longer matches its records is
 * never packaged), everything is written into a copy beside it, and the copy
 * replaces the folder by renames only when every package was made and read
 * back. Any error leaves the folder byte for byte as it was.
 *
 * A signed folder (SHA256SUMS.sig) gets new sums, which the old signature
 * would not match: with `--sign-key` the new sums are signed; without it the
 * folder is refused (`package_signed`), since leaving a stale signature, or
 * silently dropping the one someone vouched with, are both wrong.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fail } from '../errors.js';
import type { Manifest } from '../manifest/manifest.js';
import { updateReleaseRecords } from '../manifest/releaseRecords.js';
import { SIGNATURE_FILE, type SigningKey } from '../manifest/signature.js';
import { checkOutput, writtenByKpatch } from '../pipeline/stagedOutput.js';
import { checkFiles, listFolder } from '../verify/checkFiles.js';
import { readManifest } from '../verify/readManifest.js';
import { Findings, renderFinding } from '../verify/verifyResult.js';
import { checkPackageTools } from './packageTools.js';
import { writePackages, type PackagingRequest } from './writePackages.js';

/** What `kpatch package` runs with (absolute paths). */
export interface PackageFolderRequest extends PackagingRequest {
  dir: string;
  /** `--out`: write a new folder (DIR with its packages) and leave DIR as it is. */
  out?: string;
  force: boolean;
  signKey?: SigningKey;
}

/** Reads and checks the folder; returns its manifest. Every refusal names what is wrong. */
export async function readArtifactFolder(dir: string, signal?: AbortSignal): Promise<Manifest> {
  const st = await stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) fail('artifact_dir_missing', { where: dir, detail: st ? 'it is a file' : 'no such folder' });
  if (!(await writtenByKpatch(dir)))
    fail('artifact_dir_invalid', { where: dir, detail: 'it has no manifest.json that kpatch build wrote' });
  const listing = await listFolder(dir, signal);
  const found = new Findings();
  // Read as verify reads it: strict UTF-8, each key once, the published schema.
  const m = await readManifest(dir, listing, found, signal);
  if (!m)
    fail('artifact_dir_invalid', {
      where: path.join(dir, 'manifest.json'),
      detail: `not a manifest kpatch can package from: ${found.list.map((f) => f.message).join('; ')}`,
    });
  await checkFiles(dir, listing, m, found, signal);
  if (found.failures.length)
    fail('artifacts_mismatch', {
      where: dir,
      detail: `its files do not match SHA256SUMS and manifest.json, so nothing is packaged from it (nothing was written):\n${found.failures.slice(0, 5).map(renderFinding).join('\n')}`,
      hint: 'run kpatch verify on the folder to see every difference; package the folder build wrote, unchanged',
    });
  return m;
}

/** True when `inner` is `outer` or inside it. */
function within(inner: string, outer: string): boolean {
  const rel = path.relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Copies `from` into the new folder `to` (reflinks where the file system has them), files and folders only. */
async function copyTree(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const e of await readdir(from, { withFileTypes: true })) {
    const [a, b] = [path.join(from, e.name), path.join(to, e.name)];
    if (e.isDirectory()) await copyTree(a, b);
    else if (e.isFile()) await copyFile(a, b, constants.COPYFILE_FICLONE);
  }
}

/** Packages the folder; returns where the result is and its manifest. */
export async function packageFolder(
  req: PackageFolderRequest,
  env: Record<string, string | undefined>,
  signal?: AbortSignal,
): Promise<{ dir: string; manifest: Manifest }> {
  checkPackageTools(req.formats, env);
  const m = await readArtifactFolder(req.dir, signal);
  const signed = await stat(path.join(req.dir, SIGNATURE_FILE)).then(
    () => true,
    () => false,
  );
  if (signed && !req.signKey)
    fail('package_signed', { where: path.join(req.dir, SIGNATURE_FILE), detail: 'the new SHA256SUMS would not match it' });
  const dest = req.out ?? req.dir;
  if (req.out) {
    if (within(req.out, req.dir) || within(req.dir, req.out))
      fail('usage', {
        where: `--out ${req.out}`,
        detail: `${within(req.out, req.dir) ? 'is inside' : 'contains'} the artifact folder ${req.dir}: give a folder apart from it, or leave out --out to add the packages to it`,
      });
    await checkOutput(req.out, req.force);
  }
  const parent = path.dirname(dest);
  const staged = path.join(parent, `.${path.basename(dest)}.kpatch-tmp-${randomBytes(4).toString('hex')}`);
  try {
    await copyTree(req.dir, staged);
    const packaged = await writePackages(staged, m, req, env, signal);
    await updateReleaseRecords(staged, packaged, req.signKey);
    if (signal?.aborted) fail('interrupted');
    await swapIn(staged, dest);
    return { dir: dest, manifest: packaged };
  } catch (e) {
    await rm(staged, { recursive: true, force: true });
    throw e;
  }
}

/** Puts `staged` where `dest` is, by renames on one file system; the old `dest` (if any) is removed after. */
async function swapIn(staged: string, dest: string): Promise<void> {
  const exists = await stat(dest).then(
    () => true,
    () => false,
  );
  if (!exists) return rename(staged, dest);
  const old = path.join(path.dirname(dest), `.${path.basename(dest)}.kpatch-old-${randomBytes(4).toString('hex')}`);
  await rename(dest, old);
  try {
    await rename(staged, dest);
  } catch (e) {
    await rename(old, dest).catch(() => {});
    throw e;
  }
  await rm(old, { recursive: true, force: true });
}
