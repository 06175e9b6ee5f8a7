/**
 * `kpatch verify DIR`: everything that can be re-checked about an artifact
 * folder `kpatch build` wrote (or CI downloaded), without trusting the
 * machine that built it: SHA256SUMS and the manifest against the files, the
 * patch against the pristine tag, and the binary proofs the manifest
 * records. It proves the folder is consistent and its source is a public tag
 * plus the reviewed patch; it cannot prove who made it (sign SHA256SUMS for
 * that).
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { proveBinary } from '../manifest/binaryProof.js';
import type { Manifest } from '../manifest/manifest.js';
import { MANIFEST_SCHEMA_VERSION } from '../manifest/manifest.js';
import { fail } from '../errors.js';
import type { Io } from '../io.js';
import { checkFiles, listFolder, readRecord, staysInside, type FolderListing } from './checkFiles.js';
import { manifestProblems } from './manifestSchema.js';
import { checkPatch, type PristineSource } from './checkPatch.js';
import { Findings } from './verifyResult.js';
import { checkRecords } from './checkRecords.js';
import { checkPackages } from './checkPackages.js';
import type { KeyObject } from 'node:crypto';

/** Runs every check on `dir`; the findings say what held and what did not. */
export async function verifyArtifacts(dir: string, src: PristineSource, io: Io, opts: { key?: KeyObject } = {}): Promise<Findings> {
  const st = await stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) fail('artifact_dir_missing', { where: dir, detail: st ? 'it is a file' : 'no such folder' });
  const found = new Findings();
  const listing = await listFolder(dir, io.signal);
  const manifest = await readManifest(dir, listing, found, io.signal);
  const hashed = await checkFiles(dir, listing, manifest, found, io.signal);
  // provenance.json, sbom.spdx.json, and with --key the signature (a folder without a manifest still gets the signature check).
  await checkRecords(dir, manifest, listing, hashed, found, { key: opts.key, signal: io.signal });
  if (!manifest) return found;
  await checkPatch(dir, manifest, src, io, found, hashed);
  await checkProofs(dir, manifest, io, found, hashed);
  await checkPackages(dir, manifest, hashed, found, io.env, io.signal);
  return found;
}

/**
 * The manifest, if it is one: valid JSON that matches the published schema.
 * Anything else is a finding naming the field, and the checks that would
 * read the manifest's fields do not run.
 */
async function readManifest(dir: string, listing: FolderListing, found: Findings, signal?: AbortSignal): Promise<Manifest | undefined> {
  const text = await readRecord(dir, 'manifest.json', listing, found, signal);
  if (text === undefined) return undefined;
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch (e) {
    found.fail('manifest.json', `not valid JSON: ${(e as Error).message}`);
    return undefined;
  }
  if (typeof m !== 'object' || m === null || (m as Manifest).schemaVersion !== MANIFEST_SCHEMA_VERSION) {
    found.fail('manifest.json', `not a kpatch manifest of schemaVersion ${MANIFEST_SCHEMA_VERSION}`);
    return undefined;
  }
  const problems = manifestProblems(m);
  if (problems.length) {
    found.fail(
      'manifest.json',
      `does not match the manifest schema (schemas/build.schema.json), so none of its records is used: ${problems.join('; ')}`,
    );
    return undefined;
  }
  return m as Manifest;
}

/**
 * The binary proofs of a build-tag mode, run again on the files as they are
 * now. A check the build could run but this machine cannot (no host Go) is
 * a `skip`, not a failure: the hashes above already tie the file to the one
 * that was checked at build time.
 */
async function checkProofs(dir: string, m: Manifest, io: Io, found: Findings, hashed: Set<string>): Promise<void> {
  const v = m.verification;
  if (v?.method !== 'binary' || !v.buildTag) return;
  // Every artifact, not only those the verification lists: a kubelet must not escape the proof by being left out.
  for (const art of m.artifacts) {
    const a = v.artifacts?.find((x) => x.path === art.path) ?? { path: art.path, buildTags: null, proofStringsFound: null };
    // Only regular files inside the folder, already read once (the rest was reported by checkFiles).
    if (!staysInside(a.path) || !hashed.has(a.path)) continue;
    const abs = path.join(dir, a.path);
    const o = await proveBinary(abs, a.path, { tag: v.buildTag, proofStrings: v.proofStrings ?? [] }, io.env);
    for (const p of o.problems) found.fail(a.path, p);
    if (o.problems.length) continue;
    if (o.proofStringsFound?.length)
      found.ok(a.path, `carries the ${v.buildTag} variant's string ${JSON.stringify(o.proofStringsFound[0])}`);
    if (o.buildTags) found.ok(a.path, `Go build info lists -tags=${o.buildTags.join(',')}`);
    else if (a.buildTags)
      found.skip(a.path, `build info not read here (no host Go); at build time it listed -tags=${a.buildTags.join(',')}`);
    if (o.ran === 0) found.skip(a.path, `no proof that -tags=${v.buildTag} reached it can be checked (the manifest says ${v.status})`);
  }
}
