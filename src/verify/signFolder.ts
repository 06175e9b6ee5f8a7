/**
 * `kpatch sign DIR`: signs a folder `kpatch build` wrote elsewhere (CI builds,
 * a release engineer holds the key). Before signing, every file is checked
 * against SHA256SUMS (the same check as verify's first part): a signature
 * vouches for the sums, so sums that no longer match the files must never
 * be signed. The signature is written atomically; nothing else is touched.
 */
import path from 'node:path';
import { stat } from 'node:fs/promises';
import { fail } from '../errors.js';
import { SUMS_FILE } from '../manifest/checksums.js';
import { SIGNATURE_FILE, signSums, type SigningKey } from '../manifest/signature.js';
import { writeFileAtomic } from '../safeFiles.js';
import { checkFiles, listFolder, readRecord } from './checkFiles.js';
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
  await checkFiles(dir, listing, undefined, found, signal);
  const sums = await readRecord(dir, SUMS_FILE, listing, found, signal);
  const failures = found.failures;
  if (failures.length || sums === undefined) {
    fail('artifacts_mismatch', {
      where: dir,
      detail: `${SUMS_FILE} does not match the files, so it is not signed (nothing was written):\n${failures.slice(0, 5).map(renderFinding).join('\n')}`,
    });
  }
  const file = path.join(dir, SIGNATURE_FILE);
  await writeFileAtomic(file, signSums(Buffer.from(sums, 'utf8'), key), 'sign');
  return file;
}
