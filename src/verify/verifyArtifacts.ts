/**
 * `kpatch verify DIR`: everything that can be re-checked about an artifact
 * folder `kpatch build` wrote (or CI downloaded), without trusting the
 * machine that built it: SHA256SUMS and the manifest against the files, the
 * patch against the pristine tag, and the binary proofs the manifest
 * records. It proves the folder is consistent and its source is a public tag
 * plus the reviewed patch; it cannot prove who made it (sign SHA256SUMS for
 * that).
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { proveBinary } from '../build/binaryProof.js';
import type { Manifest } from '../build/manifest.js';
import { MANIFEST_SCHEMA_VERSION } from '../build/manifest.js';
import { fail } from '../errors.js';
import type { Io } from '../io.js';
import { checkFiles, staysInside } from './checkFiles.js';
import { checkPatch, type PristineSource } from './checkPatch.js';
import { Findings } from './verifyResult.js';

/** Runs every check on `dir`; the findings say what held and what did not. */
export async function verifyArtifacts(dir: string, src: PristineSource, io: Io): Promise<Findings> {
  const st = await stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) fail('artifact_dir_missing', { where: dir, detail: st ? 'it is a file' : 'no such folder' });
  const found = new Findings();
  const manifest = await readManifest(dir, found);
  await checkFiles(dir, manifest, found);
  if (!manifest) return found;
  await checkPatch(dir, manifest, src, io, found);
  await checkProofs(dir, manifest, io, found);
  return found;
}

async function readManifest(dir: string, found: Findings): Promise<Manifest | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(dir, 'manifest.json'), 'utf8');
  } catch {
    found.fail('manifest.json', 'missing: every artifact folder kpatch writes has one');
    return undefined;
  }
  let m: Manifest;
  try {
    m = JSON.parse(text) as Manifest;
  } catch (e) {
    found.fail('manifest.json', `not valid JSON: ${(e as Error).message}`);
    return undefined;
  }
  if (typeof m !== 'object' || m === null || m.schemaVersion !== MANIFEST_SCHEMA_VERSION || !Array.isArray(m.artifacts)) {
    found.fail('manifest.json', `not a kpatch manifest of schemaVersion ${MANIFEST_SCHEMA_VERSION}`);
    return undefined;
  }
  return m;
}

/**
 * The binary proofs of a build-tag mode, run again on the files as they are
 * now. A check the build could run but this machine cannot (no host Go) is
 * a `skip`, not a failure: the hashes above already tie the file to the one
 * that was checked at build time.
 */
async function checkProofs(dir: string, m: Manifest, io: Io, found: Findings): Promise<void> {
  const v = m.verification;
  if (v?.method !== 'binary' || !v.buildTag) return;
  // Every artifact, not only those the verification lists: a kubelet must not escape the proof by being left out.
  for (const art of m.artifacts) {
    const a = v.artifacts?.find((x) => x.path === art.path) ?? { path: art.path, buildTags: null, proofStringsFound: null };
    if (!staysInside(a.path)) continue;
    const abs = path.join(dir, a.path);
    if (!(await stat(abs).catch(() => undefined))?.isFile()) continue; // reported by checkFiles
    const o = await proveBinary(abs, a.path, { tag: v.buildTag, proofStrings: v.proofStrings ?? [] }, io.env);
    for (const p of o.problems) found.fail(a.path, p);
    if (o.problems.length) continue;
    if (o.proofStringsFound?.length) found.ok(a.path, `carries the ${v.buildTag} variant's string ${JSON.stringify(o.proofStringsFound[0])}`);
    if (o.buildTags) found.ok(a.path, `Go build info lists -tags=${o.buildTags.join(',')}`);
    else if (a.buildTags) found.skip(a.path, `build info not read here (no host Go); at build time it listed -tags=${a.buildTags.join(',')}`);
    if (o.ran === 0) found.skip(a.path, `no proof that -tags=${v.buildTag} reached it can be checked (the manifest says ${v.status})`);
  }
}
