/**
 * What is in an artifact folder, read without following any link and with
 * names as bytes: regular files by their UTF-8 names, everything else (links,
 * FIFOs, devices, sockets) said as what it is, and names that are not UTF-8
 * apart (fileNames.ts), so no entry can hide behind another. Record files
 * (SHA256SUMS, manifest.json, the signature) are read whole, as bytes.
 */
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { fail } from '../errors.js';
import { showBytes, strictUtf8 } from '../manifest/fileNames.js';
import { describeKind, readRegular, UnsafeFile } from '../safeFiles.js';
import type { Findings } from './verifyResult.js';

/** The largest SHA256SUMS or manifest.json verify reads (a real one is a few KB). */
export const MAX_RECORD_BYTES = 16 << 20;

/** What is in an artifact folder: its regular files, and everything else that verify will not read. */
export interface FolderListing {
  /** Regular files (relative, forward slashes), SHA256SUMS included. */
  regular: Set<string>;
  /** Links, FIFOs, devices, sockets: name -> what it is. */
  odd: Map<string, string>;
  /** Entries whose name (or a folder's on the way) is not UTF-8, shown as showBytes does; never opened. */
  notUtf8: string[];
}

/** Lists `dir` without following any link; honours the abort signal. */
export async function listFolder(dir: string, signal?: AbortSignal): Promise<FolderListing> {
  const out: FolderListing = { regular: new Set(), odd: new Map(), notUtf8: [] };
  const walk = async (rel: string): Promise<void> => {
    for (const e of await readdir(path.join(dir, rel), { withFileTypes: true, encoding: 'buffer' })) {
      if (signal?.aborted) fail('interrupted');
      const name = strictUtf8(e.name);
      if (name === undefined) {
        out.notUtf8.push(rel ? `${rel}/${showBytes(e.name)}` : showBytes(e.name));
        continue;
      }
      const r = rel ? `${rel}/${name}` : name;
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

/** Reads a small record file of the folder (SHA256SUMS, manifest.json) as bytes; a finding and undefined when it cannot be. */
export async function readRecord(
  dir: string,
  name: string,
  listing: FolderListing,
  found: Findings,
  signal?: AbortSignal,
): Promise<Buffer | undefined> {
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
    return await readRegular(path.join(dir, name), { inside: dir, signal, maxBytes: MAX_RECORD_BYTES });
  } catch (e) {
    if (!(e instanceof UnsafeFile) && !(e as NodeJS.ErrnoException).code) throw e;
    found.fail(name, e instanceof UnsafeFile ? e.reason : `cannot be read: ${(e as Error).message}`);
    return undefined;
  }
}

/**
 * True for a relative path that stays inside the folder. A downloaded
 * manifest is untrusted input: `../` in it must not make verify read
 * files elsewhere.
 */
export function staysInside(name: string): boolean {
  return !path.isAbsolute(name) && !name.split(/[\\/]/).includes('..');
}
