/**
 * SHA256SUMS as bytes, line by line, in sha256sum's format (`<sha256>
 * <file>`, or `<sha256> *<file>`: binary mode changes nothing for sha256).
 * A name that is not UTF-8, a line of another shape, or a name listed twice
 * (sha256sum -c checks every line; a reader of the first line and one of
 * the last would accept different files) is a finding naming the line.
 */
import { SUMS_FILE } from '../manifest/checksums.js';
import { NOT_UTF8, showBytes, strictUtf8 } from '../manifest/fileNames.js';
import { readRecord, type FolderListing } from './folderListing.js';
import type { Findings } from './verifyResult.js';

/** The digest of each name SHA256SUMS lists (the first line's, when a name is listed twice). */
export type Sums = Map<string, string>;

/** Parses SHA256SUMS's bytes; adds a finding per bad or repeated line. */
export function parseSums(bytes: Buffer, found: Findings): Sums {
  const sums: Sums = new Map();
  const lineOf = new Map<string, number>();
  let start = 0;
  for (let i = 1; start < bytes.length; i++) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    const line = bytes.subarray(start, end);
    start = end + 1;
    if (!line.toString('latin1').trim()) continue;
    const m = /^([0-9a-f]{64}) [ *]/.exec(line.toString('latin1'));
    const nameBytes = line.subarray(66);
    if (!m || !nameBytes.length) {
      found.fail(SUMS_FILE, `line ${i} is not "<sha256>  <file>": ${JSON.stringify(line.toString('latin1').slice(0, 80))}`);
      continue;
    }
    const name = strictUtf8(nameBytes);
    if (name === undefined) {
      found.fail(SUMS_FILE, `line ${i} names ${showBytes(nameBytes)}: ${NOT_UTF8}`);
      continue;
    }
    const first = lineOf.get(name);
    if (first !== undefined) {
      found.fail(
        SUMS_FILE,
        `lists ${name} twice (lines ${first} and ${i}): every record names each file once, and readers of either line would accept different files`,
      );
      continue;
    }
    lineOf.set(name, i);
    sums.set(name, m[1]);
  }
  return sums;
}

/** SHA256SUMS of the folder, parsed; undefined (and a finding) when it is missing or unreadable. */
export async function readSums(dir: string, listing: FolderListing, found: Findings, signal?: AbortSignal): Promise<Sums | undefined> {
  const bytes = await readRecord(dir, SUMS_FILE, listing, found, signal);
  return bytes === undefined ? undefined : parseSums(bytes, found);
}
