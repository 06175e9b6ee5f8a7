/**
 * `kpatch verify`, part one: the files of an artifact folder against
 * `SHA256SUMS` and against the hashes `manifest.json` records. With two
 * records of each artifact's hash, a disagreement usually shows which side
 * was changed, and the finding names that file: a kubelet that matches
 * neither was changed; a SHA256SUMS line that alone disagrees was edited.
 *
 * The folder is untrusted (downloaded from CI): only regular files inside it
 * are read. A link (inside or out: kpatch build writes none), a FIFO, a
 * device or a socket is a finding of its own and is never opened for a
 * read that could block or leave the folder (see safeFiles.ts).
 */
import path from 'node:path';
import { SUMS_FILE } from '../manifest/checksums.js';
import { NOT_UTF8 } from '../manifest/fileNames.js';
import { SIGNATURE_FILE } from '../manifest/signature.js';
import type { Manifest } from '../manifest/manifest.js';
import { hashRegular, UnsafeFile } from '../safeFiles.js';
import { staysInside, type FolderListing } from './folderListing.js';
import { readSums } from './readSums.js';
import type { Findings } from './verifyResult.js';

export { listFolder, MAX_RECORD_BYTES, readRecord, staysInside, type FolderListing } from './folderListing.js';

const MANIFEST = 'manifest.json';

/** The hash and size the manifest records for each artifact, the patch and each package. */
function manifestRecords(m: Manifest | undefined): Map<string, { sha256: string; size?: number }> {
  const out = new Map<string, { sha256: string; size?: number }>();
  for (const a of m?.artifacts ?? []) out.set(a.path, { sha256: a.sha256, size: a.size });
  if (m?.patch) out.set(m.patch.path, { sha256: m.patch.sha256 });
  for (const p of m?.packages ?? []) out.set(p.path, { sha256: p.sha256 });
  return out;
}

const short = (h: string | undefined) => (h ? h.slice(0, 16) + '…' : '?');

/**
 * Checks every file of `dir` against SHA256SUMS and the manifest; adds one
 * finding per file. Returns the names that were read and hashed as regular
 * files inside the folder: the only ones later checks may open.
 */
export async function checkFiles(
  dir: string,
  listing: FolderListing,
  manifest: Manifest | undefined,
  found: Findings,
  signal?: AbortSignal,
): Promise<Set<string>> {
  for (const name of listing.notUtf8) found.fail(name, NOT_UTF8);
  const sums = await readSums(dir, listing, found, signal);
  const records = manifestRecords(manifest);
  // SHA256SUMS.sig signs SHA256SUMS, so it cannot be listed in it: checkRecords checks it.
  const present = new Set([...listing.regular].filter((n) => n !== SUMS_FILE && n !== SIGNATURE_FILE));
  const hashed = new Set<string>();
  const names = [...new Set([...present, ...listing.odd.keys(), ...(sums?.keys() ?? []), ...records.keys()])]
    .filter((n) => n !== SUMS_FILE && n !== SIGNATURE_FILE)
    .sort();
  for (const name of names) {
    if (!staysInside(name)) {
      found.fail(records.has(name) ? MANIFEST : SUMS_FILE, `names ${JSON.stringify(name)}, a path outside the artifact folder`);
      continue;
    }
    const odd = listing.odd.get(name);
    if (odd) {
      if (name !== MANIFEST)
        found.fail(name, `is ${odd}: verify reads only regular files inside the folder, and kpatch build writes no other kind`);
      continue;
    }
    const listed = sums?.get(name);
    const recorded = records.get(name);
    if (!present.has(name)) {
      const where = [listed ? SUMS_FILE : '', recorded ? MANIFEST : ''].filter(Boolean).join(' and ');
      found.fail(name, `missing (listed in ${where})`);
      continue;
    }
    let actual: string;
    let size: number;
    try {
      ({ sha256: actual, size } = await hashRegular(path.join(dir, name), { inside: dir, signal }));
    } catch (e) {
      if (!(e instanceof UnsafeFile) && !(e as NodeJS.ErrnoException).code) throw e;
      found.fail(name, e instanceof UnsafeFile ? e.reason : `cannot be read: ${(e as Error).message}`);
      continue;
    }
    hashed.add(name);
    if (sums && listed === undefined) {
      found.fail(name, `not listed in ${SUMS_FILE} (sha256 ${short(actual)})`);
      continue;
    }
    const sumsOk = !sums || listed === actual;
    const recordOk = !recorded || recorded.sha256 === actual;
    if (sumsOk && recordOk) {
      if (recorded?.size !== undefined && size !== recorded.size) {
        found.fail(MANIFEST, `records size ${recorded.size} for ${name}, the file has ${size} bytes`);
        continue;
      }
      found.ok(
        name,
        `sha256 ${short(actual)} matches ${[sums ? SUMS_FILE : '', recorded ? MANIFEST : ''].filter(Boolean).join(' and ') || 'nothing (no record)'}`,
      );
    } else if (!sumsOk && recorded && recordOk) {
      found.fail(
        SUMS_FILE,
        `says ${short(listed)} for ${name}, but the file is ${short(actual)}, as ${MANIFEST} records: ${SUMS_FILE} was changed`,
      );
    } else if (sumsOk && recorded && !recordOk && sums) {
      found.fail(
        MANIFEST,
        `records ${short(recorded.sha256)} for ${name}, but the file is ${short(actual)}, as ${SUMS_FILE} says: ${MANIFEST} was changed`,
      );
    } else {
      const says = [
        !sumsOk ? `${SUMS_FILE} says ${short(listed)}` : '',
        recorded && !recordOk ? `${MANIFEST} says ${short(recorded.sha256)}` : '',
      ].filter(Boolean);
      found.fail(name, `sha256 is ${short(actual)}, but ${says.join(' and ')}: the file was changed`);
    }
  }
  return hashed;
}
