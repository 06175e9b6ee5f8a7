/**
 * What someone who changed a downloaded artifact folder does next: rewrite
 * every hash record so that the records agree with the files again
 * (manifest.json's artifacts and patch, provenance.json's subjects and
 * patch, sbom.spdx.json's checksums and patch annotation, SHA256SUMS), so
 * that only checks that do not trust the records can notice the change.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** sha256 of a file. */
export const shaOf = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

const readJson = (dir: string, name: string) => JSON.parse(readFileSync(path.join(dir, name), 'utf8'));
const writeJson = (dir: string, name: string, doc: unknown) => writeFileSync(path.join(dir, name), JSON.stringify(doc, null, 2) + '\n');

/** Every regular file of `dir` (relative, sorted), SHA256SUMS and its signature left out. */
function filesOf(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...filesOf(dir, r));
    else if (e.isFile() && r !== 'SHA256SUMS' && r !== 'SHA256SUMS.sig') out.push(r);
  }
  return out.sort();
}

/**
 * Lets `edit` change the manifest (and the files), then rewrites every hash
 * record of `dir` from the files as they now are. The signature, if any, is
 * left as it was (a tamperer without the key cannot remake it).
 */
export function tamper(dir: string, edit: (m: Record<string, any>) => void = () => {}): void {
  const m = readJson(dir, 'manifest.json');
  edit(m);
  const oldPatch = m.patch?.sha256 as string | undefined;
  for (const a of m.artifacts ?? []) {
    if (!existsSync(path.join(dir, a.path))) continue;
    a.sha256 = shaOf(path.join(dir, a.path));
    a.size = statSync(path.join(dir, a.path)).size;
  }
  if (m.patch && existsSync(path.join(dir, m.patch.path))) m.patch.sha256 = shaOf(path.join(dir, m.patch.path));
  writeJson(dir, 'manifest.json', m);
  const digestOf = (name: string) => (existsSync(path.join(dir, name)) ? shaOf(path.join(dir, name)) : undefined);
  if (existsSync(path.join(dir, 'provenance.json'))) {
    const p = readJson(dir, 'provenance.json');
    for (const s of p.subject) s.digest = { sha256: digestOf(s.name) ?? s.digest?.sha256 };
    const text = JSON.stringify(p, null, 2) + '\n';
    writeFileSync(path.join(dir, 'provenance.json'), oldPatch && m.patch ? text.replaceAll(oldPatch, m.patch.sha256) : text);
  }
  if (existsSync(path.join(dir, 'sbom.spdx.json'))) {
    const s = readJson(dir, 'sbom.spdx.json');
    for (const pkg of s.packages) {
      const sum = pkg.packageFileName && digestOf(pkg.packageFileName);
      if (sum) pkg.checksums = [{ algorithm: 'SHA256', checksumValue: sum }];
    }
    const text = JSON.stringify(s, null, 2) + '\n';
    writeFileSync(path.join(dir, 'sbom.spdx.json'), oldPatch && m.patch ? text.replaceAll(oldPatch, m.patch.sha256) : text);
  }
  resum(dir);
}

/** Rewrites SHA256SUMS from every file of `dir`. */
export function resum(dir: string): void {
  writeFileSync(
    path.join(dir, 'SHA256SUMS'),
    filesOf(dir)
      .map((f) => `${shaOf(path.join(dir, f))}  ${f}`)
      .join('\n') + '\n',
  );
}

/** Rewrites a JSON record of `dir` through `edit` (then call resum or tamper). */
export function editJson(dir: string, name: string, edit: (doc: Record<string, any>) => void): void {
  const doc = readJson(dir, name);
  edit(doc);
  writeJson(dir, name, doc);
}
