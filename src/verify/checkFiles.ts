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
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { SUMS_FILE } from '../manifest/checksums.js';
import { SIGNATURE_FILE } from '../manifest/signature.js';
import type { Manifest } from '../manifest/manifest.js';
import { fail } from '../errors.js';
import { describeKind, hashRegular, readRegular, UnsafeFile } from '../safeFiles.js';
import type { Findings } from './verifyResult.js';

const MANIFEST = 'manifest.json';

/** The largest SHA256SUMS or manifest.json verify reads (a real one is a few KB). */
export const MAX_RECORD_BYTES = 16 << 20;

/** What is in an artifact folder: its regular files, and everything else that verify will not read. */
export interface FolderListing {
  /** Regular files (relative, forward slashes), SHA256SUMS included. */
  regular: Set<string>;
  /** Links, FIFOs, devices, sockets: name -> what it is. */
  odd: Map<string, string>;
}

/** Lists `dir` without following any link; honours the abort signal. */
export async function listFolder(dir: string, signal?: AbortSignal): Promise<FolderListing> {
  const out: FolderListing = { regular: new Set(), odd: new Map() };
  const walk = async (rel: string): Promise<void> => {
    for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
      if (signal?.aborted) fail('interrupted');
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(r);
      else if (e.isFile()) out.regular.add(r);
      else out.odd.set(r, await describeOdd(dir, r));
    }
  };
  await walk('');
  return out;
}

/** What a non-regular entry is; for a link, where it points and whether that leaves the folder. */
async function describeOdd(dir: string, rel: string): Promise<string> {
  const abs = path.join(dir, rel);
  const st = await lstat(abs);
  if (!st.isSymbolicLink()) return describeKind(st);
  const to = path.resolve(path.dirname(abs), await readlink(abs));
  const inside = to.startsWith(path.resolve(dir) + path.sep);
  return `a symbolic link to ${inside ? path.relative(dir, to) : to}${inside ? '' : ', outside the folder'}`;
}

/** Reads a small record file of the folder (SHA256SUMS, manifest.json); a finding and undefined when it cannot be. */
export async function readRecord(
  dir: string,
  name: string,
  listing: FolderListing,
  found: Findings,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const odd = listing.odd.get(name);
  if (odd) {
    found.fail(name, `is ${odd}: verify reads only regular files, and kpatch build writes one here`);
    return undefined;
  }
  if (!listing.regular.has(name)) {
    found.fail(name, 'missing: every artifact folder kpatch writes has one');
    return undefined;
  }
  try {
    return (await readRegular(path.join(dir, name), { inside: dir, signal, maxBytes: MAX_RECORD_BYTES })).toString('utf8');
  } catch (e) {
    if (!(e instanceof UnsafeFile) && !(e as NodeJS.ErrnoException).code) throw e;
    found.fail(name, e instanceof UnsafeFile ? e.reason : `cannot be read: ${(e as Error).message}`);
    return undefined;
  }
}

/** SHA256SUMS as path -> sha256; undefined when the file is missing. Malformed lines are findings. */
async function readSums(
  dir: string,
  listing: FolderListing,
  found: Findings,
  signal?: AbortSignal,
): Promise<Map<string, string> | undefined> {
  const text = await readRecord(dir, SUMS_FILE, listing, found, signal);
  if (text === undefined) return undefined;
  const sums = new Map<string, string>();
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    // sha256sum's format; `*` marks binary mode, which changes nothing for sha256.
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (!m) found.fail(SUMS_FILE, `line ${i + 1} is not "<sha256>  <file>": ${JSON.stringify(line.slice(0, 80))}`);
    else sums.set(m[2], m[1]);
  });
  return sums;
}

/** The hash and size the manifest records for each artifact, the patch and each package. */
function manifestRecords(m: Manifest | undefined): Map<string, { sha256: string; size?: number }> {
  const out = new Map<string, { sha256: string; size?: number }>();
  for (const a of m?.artifacts ?? []) out.set(a.path, { sha256: a.sha256, size: a.size });
  if (m?.patch) out.set(m.patch.path, { sha256: m.patch.sha256 });
  for (const p of m?.packages ?? []) out.set(p.path, { sha256: p.sha256 });
  return out;
}

/**
 * True for a relative path that stays inside the folder. A downloaded
 * manifest is untrusted input: `../` in it must not make verify read
 * files elsewhere.
 */
export function staysInside(name: string): boolean {
  return !path.isAbsolute(name) && !name.split(/[\\/]/).includes('..');
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
