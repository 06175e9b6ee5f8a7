/**
 * SHA-256 of artifacts, and the `SHA256SUMS` file that `sha256sum -c
 * SHA256SUMS` verifies from inside the artifact folder.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fail } from '../errors.js';
import { NOT_UTF8, showBytes, strictUtf8 } from './fileNames.js';

/** Name of the checksum file in an artifact folder. */
export const SUMS_FILE = 'SHA256SUMS';

/** Hex SHA-256 of a file, streamed (kubelets are ~100 MB). */
export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (c) => h.update(c))
      .on('error', reject)
      .on('end', () => resolve(h.digest('hex')));
  });
}

/** Hex SHA-256 of a string or buffer. */
export function sha256Text(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Every file under `dir` (relative, forward slashes, sorted), except
 * SHA256SUMS itself and its signature (made after it). A name that is not
 * UTF-8 is refused (fileNames.ts): SHA256SUMS records names as UTF-8.
 */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    for (const e of await readdir(path.join(dir, rel), { withFileTypes: true, encoding: 'buffer' })) {
      const name = strictUtf8(e.name);
      if (name === undefined) fail('name_not_utf8', { where: path.join(dir, rel), detail: `${showBytes(e.name)}: ${NOT_UTF8}` });
      const r = rel ? `${rel}/${name}` : name;
      if (e.isDirectory()) await walk(r);
      else if (r !== SUMS_FILE && r !== `${SUMS_FILE}.sig`) out.push(r);
    }
  };
  await walk('');
  return out.sort();
}

/** The SHA256SUMS text for every file under `dir`, in sha256sum's format (`<hex>  <path>`). */
export async function sha256Sums(dir: string): Promise<string> {
  const lines: string[] = [];
  for (const f of await listFiles(dir)) lines.push(`${await sha256File(path.join(dir, f))}  ${f}`);
  return lines.join('\n') + '\n';
}
