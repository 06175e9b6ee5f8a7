/**
 * `kpatch verify`, part one: the files of an artifact folder against
 * `SHA256SUMS` and against the hashes `manifest.json` records. With two
 * records of each artifact's hash, a disagreement usually shows which side
 * was changed, and the finding names that file: a kubelet that matches
 * neither was changed; a SHA256SUMS line that alone disagrees was edited.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { listFiles, sha256File, SUMS_FILE } from '../build/checksums.js';
import type { Manifest } from '../build/manifest.js';
import type { Findings } from './verifyResult.js';

const MANIFEST = 'manifest.json';

/** SHA256SUMS as path -> sha256; undefined when the file is missing. Malformed lines are findings. */
async function readSums(dir: string, found: Findings): Promise<Map<string, string> | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(dir, SUMS_FILE), 'utf8');
  } catch {
    found.fail(SUMS_FILE, 'missing: every artifact folder kpatch writes has one');
    return undefined;
  }
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

/** The hash and size the manifest records for each artifact and for the patch. */
function manifestRecords(m: Manifest | undefined): Map<string, { sha256: string; size?: number }> {
  const out = new Map<string, { sha256: string; size?: number }>();
  for (const a of m?.artifacts ?? []) out.set(a.path, { sha256: a.sha256, size: a.size });
  if (m?.patch) out.set(m.patch.path, { sha256: m.patch.sha256 });
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

/** Checks every file of `dir` against SHA256SUMS and the manifest; adds one finding per file. */
export async function checkFiles(dir: string, manifest: Manifest | undefined, found: Findings): Promise<void> {
  const sums = await readSums(dir, found);
  const records = manifestRecords(manifest);
  const present = new Set(await listFiles(dir));
  const names = [...new Set([...present, ...(sums?.keys() ?? []), ...records.keys()])].sort();
  for (const name of names) {
    if (!staysInside(name)) {
      found.fail(records.has(name) ? MANIFEST : SUMS_FILE, `names ${JSON.stringify(name)}, a path outside the artifact folder`);
      continue;
    }
    const listed = sums?.get(name);
    const recorded = records.get(name);
    if (!present.has(name)) {
      const where = [listed ? SUMS_FILE : '', recorded ? MANIFEST : ''].filter(Boolean).join(' and ');
      found.fail(name, `missing (listed in ${where})`);
      continue;
    }
    const abs = path.join(dir, name);
    const actual = await sha256File(abs);
    if (sums && listed === undefined) {
      found.fail(name, `not listed in ${SUMS_FILE} (sha256 ${short(actual)})`);
      continue;
    }
    const sumsOk = !sums || listed === actual;
    const recordOk = !recorded || recorded.sha256 === actual;
    if (sumsOk && recordOk) {
      if (recorded?.size !== undefined && (await stat(abs)).size !== recorded.size) {
        found.fail(MANIFEST, `records size ${recorded.size} for ${name}, the file has ${(await stat(abs)).size} bytes`);
        continue;
      }
      found.ok(name, `sha256 ${short(actual)} matches ${[sums ? SUMS_FILE : '', recorded ? MANIFEST : ''].filter(Boolean).join(' and ') || 'nothing (no record)'}`);
    } else if (!sumsOk && recorded && recordOk) {
      found.fail(SUMS_FILE, `says ${short(listed)} for ${name}, but the file is ${short(actual)}, as ${MANIFEST} records: ${SUMS_FILE} was changed`);
    } else if (sumsOk && recorded && !recordOk && sums) {
      found.fail(MANIFEST, `records ${short(recorded.sha256)} for ${name}, but the file is ${short(actual)}, as ${SUMS_FILE} says: ${MANIFEST} was changed`);
    } else {
      const says = [!sumsOk ? `${SUMS_FILE} says ${short(listed)}` : '', recorded && !recordOk ? `${MANIFEST} says ${short(recorded.sha256)}` : ''].filter(Boolean);
      found.fail(name, `sha256 is ${short(actual)}, but ${says.join(' and ')}: the file was changed`);
    }
  }
}
