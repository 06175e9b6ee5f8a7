/**
 * Set-ups for the bad-input rows of the section "untrusted folders and
 * streams": artifact folders as CI would hand them over (and as someone
 * could spoil them), and a remote whose release has enough files that its
 * checkout takes long enough to be interrupted.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Manifest } from '../../src/manifest/manifest.js';
import { provenanceFor } from '../../src/manifest/provenance.js';
import { sbomFor } from '../../src/manifest/sbom.js';
import { schemaErrors } from './jsonSchema.js';

/** Where a row's artifact folder goes: outside the snapshotted tree, cache and --out (verify only reads it). */
export const artifactsOf = (dir: string) => path.join(dir, 'artifacts');
/** The kubelet's path in a hand-made artifact folder. */
export const KUBELET = 'linux-amd64/kubelet';

const sha = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/**
 * A schema-valid manifest of a nokmem build (no patch, no binary proof to
 * run), recording `kubelet` at KUBELET. `spoil` edits it before it is written.
 */
export function manifestFor(kubelet: Buffer): Record<string, any> {
  const doc = {
    schemaVersion: 1,
    kpatchVersion: '0.1.0',
    target: 'kubelet',
    source: { repo: 'file:///nowhere/kubernetes.git', tag: 'v1.12.4', commit: 'a'.repeat(40) },
    recipe: 'kmem-accounting',
    mode: 'nokmem',
    verdictBefore: 'affected',
    verdictAfter: 'affected',
    sites: [],
    patchedFiles: [],
    runner: 'local',
    command: ['make', 'WHAT=cmd/kubelet'],
    platforms: ['linux/amd64'],
    versionString: 'v1.12.4',
    artifacts: [{ path: KUBELET, platform: 'linux/amd64', sha256: sha(kubelet), size: kubelet.length }],
    startedAt: '2026-01-01T00:00:00Z',
    finishedAt: '2026-01-01T00:01:00Z',
  };
  const problems = schemaErrors('build.schema.json', doc);
  if (problems.length) throw new Error(`the test's manifest is not valid: ${problems.join('; ')}`);
  return doc;
}

/**
 * Writes an artifact folder under `dir` (kubelet, manifest.json, and the
 * provenance.json and sbom.spdx.json kpatch would write for that manifest,
 * SHA256SUMS over all four, in that order) after `spoil` has had its way with
 * the manifest; returns its path. `kubelet: false` leaves the kubelet for the
 * row to put in place.
 */
export function artifactFolder(dir: string, spoil: (m: Record<string, any>) => void = () => {}, opts: { kubelet?: boolean } = {}): string {
  const out = artifactsOf(dir);
  const kubelet = Buffer.from('a stand-in kubelet\n');
  mkdirSync(path.join(out, 'linux-amd64'), { recursive: true });
  if (opts.kubelet !== false) writeFileSync(path.join(out, KUBELET), kubelet);
  const m = manifestFor(kubelet);
  spoil(m);
  const manifest = JSON.stringify(m, null, 2) + '\n';
  writeFileSync(path.join(out, 'manifest.json'), manifest);
  const records = recordsFor(m);
  for (const [name, text] of Object.entries(records)) writeFileSync(path.join(out, name), text);
  writeFileSync(
    path.join(out, 'SHA256SUMS'),
    `${sha(kubelet)}  ${KUBELET}\n${sha(manifest)}  manifest.json\n` +
      Object.entries(records)
        .map(([name, text]) => `${sha(text)}  ${name}\n`)
        .join(''),
  );
  return out;
}

/** provenance.json and sbom.spdx.json as kpatch writes them for manifest `m` (no module list); none for a manifest they cannot be made from. */
function recordsFor(m: Record<string, any>): Record<string, string> {
  try {
    const id = 'urn:uuid:00000000-0000-4000-8000-000000000000';
    const provenance = provenanceFor(m as Manifest, id, { kpatch: '0.1.0' });
    const sbom = sbomFor(m as Manifest, { modules: new Map(), invocationId: id, tool: 'Tool: kpatch-0.1.0' });
    return { 'provenance.json': JSON.stringify(provenance, null, 2) + '\n', 'sbom.spdx.json': JSON.stringify(sbom, null, 2) + '\n' };
  } catch {
    // A manifest spoilt past reading (artifacts: [null]): the row is about the manifest.
    return {};
  }
}

let bigRemote: string | undefined;

/**
 * A bare repository whose tag v1.12.4 holds `files` small files: `git
 * checkout` of it takes a few seconds, long enough to signal kpatch while
 * the work tree is being written. Made once with git fast-import (one blob,
 * many paths), so it costs about a second.
 */
export function manyFilesRemote(root: string, files = 20_000): string {
  if (bigRemote) return bigRemote;
  const repo = path.join(root, 'many-files.git');
  if (!existsSync(repo)) {
    execFileSync('git', ['init', '-q', '--bare', repo]);
    const lines = [
      'blob',
      'mark :1',
      'data 11',
      'package x',
      '',
      'commit refs/heads/main',
      'mark :2',
      'committer t <t@kpatch.invalid> 1600000000 +0000',
      'data 2',
      'v',
      '',
    ];
    const body: string[] = [];
    for (let i = 0; i < files; i++) body.push(`M 100644 :1 vendor/d${i % 200}/f${i}.go`);
    const stream = [
      ...lines.slice(0, -1),
      ...body,
      '',
      'tag v1.12.4',
      'from :2',
      'tagger t <t@kpatch.invalid> 1600000000 +0000',
      'data 2',
      't',
      '',
    ].join('\n');
    execFileSync('git', ['fast-import', '--quiet'], { cwd: repo, input: stream, stdio: ['pipe', 'pipe', 'pipe'] });
  }
  bigRemote = pathToFileURL(repo).href;
  return bigRemote;
}
