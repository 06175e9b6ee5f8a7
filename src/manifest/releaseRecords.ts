/**
 * The records a build folder publishes beside its binaries, written in the
 * staging step once the manifest is: provenance.json (provenance.ts),
 * sbom.spdx.json (sbom.ts), SHA256SUMS over every file (those two
 * included), and with a signing key SHA256SUMS.sig (signature.ts). One call
 * from the pipeline, so the order (signature last, over the final sums) is
 * kept in one place.
 */
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { KPATCH_VERSION } from '../version.js';
import { sha256Sums, SUMS_FILE } from './checksums.js';
import type { Manifest } from './manifest.js';
import { PROVENANCE_FILE, provenanceFor } from './provenance.js';
import { binaryModules, SBOM_FILE, sbomFor, vendorModules, type GoModule, type ModuleSource } from './sbom.js';
import { SIGNATURE_FILE, signSums, type SigningKey } from './signature.js';

/** What the records need besides the manifest. */
export interface RecordOptions {
  /** The source tree that was built (for vendor/modules.txt when a binary carries no module list). */
  tree: string;
  env: Record<string, string | undefined>;
  /** `--sign-key`: sign SHA256SUMS. */
  signKey?: SigningKey;
}

/** Writes provenance.json, sbom.spdx.json, SHA256SUMS and (with a key) SHA256SUMS.sig into the staged folder `dir`. */
export async function writeReleaseRecords(dir: string, manifest: Manifest, opts: RecordOptions): Promise<void> {
  const invocationId = `urn:uuid:${randomUUID()}`;
  const builder = { kpatch: KPATCH_VERSION, node: process.version };
  await writeFile(path.join(dir, PROVENANCE_FILE), JSON.stringify(provenanceFor(manifest, invocationId, builder), null, 2) + '\n');
  const modules = new Map<string, { modules: GoModule[]; source: ModuleSource }>();
  let vendored: GoModule[] | undefined | null = null;
  for (const a of manifest.artifacts) {
    const fromBinary = await binaryModules(path.join(dir, a.path), opts.env);
    if (fromBinary) {
      modules.set(a.path, { modules: fromBinary, source: 'go version -m' });
      continue;
    }
    if (vendored === null) vendored = await vendorModules(opts.tree);
    modules.set(a.path, vendored ? { modules: vendored, source: 'vendor/modules.txt' } : { modules: [], source: 'none' });
  }
  const sbom = sbomFor(manifest, { modules, invocationId, tool: `Tool: kpatch-${KPATCH_VERSION}` });
  await writeFile(path.join(dir, SBOM_FILE), JSON.stringify(sbom, null, 2) + '\n');
  // One buffer: the bytes written are the bytes signed.
  const sums = Buffer.from(await sha256Sums(dir), 'utf8');
  await writeFile(path.join(dir, SUMS_FILE), sums);
  if (opts.signKey) await writeFile(path.join(dir, SIGNATURE_FILE), signSums(sums, opts.signKey));
}

/**
 * After `manifest` changed in a folder whose records build already wrote
 * (kpatch package added packages): writes manifest.json, the provenance's
 * subjects and the SBOM's package entries (everything else in them as build
 * wrote it; a record the folder lacks stays absent), SHA256SUMS over
 * everything, and with a key the signature. Without a key an old signature
 * is removed: it would no longer match (the caller refuses a signed folder
 * without a key before anything is written).
 */
export async function updateReleaseRecords(dir: string, manifest: Manifest, signKey?: SigningKey): Promise<void> {
  const { updateProvenance, updateSbom } = await import('./packageRecords.js');
  const { readFile, rm } = await import('node:fs/promises');
  await writeFile(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  const update = async (name: string, change: (doc: never) => unknown) => {
    const text = await readFile(path.join(dir, name), 'utf8').catch(() => undefined);
    if (text !== undefined) await writeFile(path.join(dir, name), JSON.stringify(change(JSON.parse(text) as never), null, 2) + '\n');
  };
  await update(PROVENANCE_FILE, (doc) => updateProvenance(doc, manifest));
  await update(SBOM_FILE, (doc) => updateSbom(doc, manifest));
  // The bytes written are the bytes signed.
  const sums = Buffer.from(await sha256Sums(dir), 'utf8');
  await writeFile(path.join(dir, SUMS_FILE), sums);
  if (signKey) await writeFile(path.join(dir, SIGNATURE_FILE), signSums(sums, signKey));
  else await rm(path.join(dir, SIGNATURE_FILE), { force: true });
}
