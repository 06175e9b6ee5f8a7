/**
 * `kpatch sign DIR`: signs a folder `kpatch build` wrote elsewhere (CI builds,
 * a release engineer holds the key). A signature vouches for SHA256SUMS and
 * so for every record it covers, so before signing, the folder must pass
 * verify's first parts: every file against SHA256SUMS and the manifest,
 * every name UTF-8, and each record (SHA256SUMS, manifest.json,
 * provenance.json, sbom.spdx.json) naming each file once and agreeing with
 * the files. The signature is over SHA256SUMS's bytes as they are, written
 * atomically; nothing else is touched.
 */
import path from 'node:path';
import { stat } from 'node:fs/promises';
import { fail } from '../errors.js';
import { SUMS_FILE } from '../manifest/checksums.js';
import { SIGNATURE_FILE, signSums, type SigningKey } from '../manifest/signature.js';
import { writeFileAtomic } from '../safeFiles.js';
import { checkFiles, listFolder, readRecord } from './checkFiles.js';
import { checkArtifactList } from './checkClaimRecords.js';
import { checkRecords } from './checkRecords.js';
import { readManifest } from './readManifest.js';
import { Findings, renderFinding } from './verifyResult.js';

/** Signs `dir`'s SHA256SUMS with `key`; returns the signature file's path. */
export async function signFolder(dir: string, key: SigningKey, signal?: AbortSignal): Promise<string> {
  const st = await stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) fail('artifact_dir_missing', { where: dir, detail: st ? 'it is a file' : 'no such folder' });
  const listing = await listFolder(dir, signal);
  if (!listing.regular.has(SUMS_FILE)) {
    fail('sums_missing', {
      where: dir,
      detail: listing.odd.has(SUMS_FILE)
        ? `${SUMS_FILE} is ${listing.odd.get(SUMS_FILE)}`
        : `no ${SUMS_FILE} in it: is this the --out of kpatch build?`,
    });
  }
  const found = new Findings();
  const manifest = await readManifest(dir, listing, found, signal);
  const hashed = await checkFiles(dir, listing, manifest, found, signal);
  await checkRecords(dir, manifest, listing, hashed, found, { signal });
  if (manifest) checkArtifactList(manifest, listing, found);
  const sums = await readRecord(dir, SUMS_FILE, listing, found, signal);
  const failures = found.failures;
  if (failures.length || sums === undefined) {
    fail('artifacts_mismatch', {
      where: dir,
      detail: `the folder does not verify, so ${SUMS_FILE} is not signed (nothing was written):\n${failures.slice(0, 5).map(renderFinding).join('\n')}`,
    });
  }
  const file = path.join(dir, SIGNATURE_FILE);
  await writeFileAtomic(file, signSums(sums, key), 'sign');
  return file;
}
