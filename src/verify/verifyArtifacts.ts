/**
 * `kpatch verify DIR`: everything that can be re-checked about an artifact
 * folder `kpatch build` wrote (or CI downloaded), without trusting the
 * machine that built it: SHA256SUMS and the manifest against the files, the
 * records against each other, and what the build's mode claims against the
 * pristine tag and the binaries: the patch applied to the tag (source
 * modes), the build tag's proof in each binary (build-tag modes), the tag
 * needing nothing (a build of nothing changed). What must be proven follows
 * from the mode and the recipe, never from the manifest's description of its
 * own proofs. It cannot prove who made the folder (sign SHA256SUMS for that).
 */
import { stat } from 'node:fs/promises';
import type { Manifest } from '../manifest/manifest.js';
import { fail } from '../errors.js';
import type { Io } from '../io.js';
import { checkFiles, listFolder } from './checkFiles.js';
import { readManifest } from './readManifest.js';
import { checkPatch } from './checkPatch.js';
import { Findings } from './verifyResult.js';
import { checkRecords } from './checkRecords.js';
import { checkPackages } from './checkPackages.js';
import { checkArtifactList, checkVerificationRecord } from './checkClaimRecords.js';
import { checkProofs } from './checkProofs.js';
import { claimOf, type Claim } from './fixClaim.js';
import { openPristine, sitesNeedingFix, type Pristine, type PristineSource } from './pristine.js';
import { recordedTags } from './recordedTags.js';
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
  const records = await checkRecords(dir, manifest, listing, hashed, found, { key: opts.key, signal: io.signal });
  if (!manifest) return found;
  checkArtifactList(manifest, listing, found);
  // Packages are tied to the folder's binaries by bytes: no pristine tag needed.
  await checkPackages(dir, manifest, hashed, found, io.env, io.signal);
  const claim = claimOf(manifest);
  if ('problem' in claim) {
    found.fail('manifest.json', claim.problem);
    return found;
  }
  const pristine = await openPristine(manifest, claim.recipe, src, io);
  if ('problem' in pristine) {
    found.fail('manifest.json', pristine.problem);
    checkVerificationRecord(manifest, claim, undefined, found);
    return found;
  }
  if (pristine.repoFromManifest)
    found.skip(
      'manifest.json',
      `${pristine.tree.tag} was taken from ${pristine.repo}, the repository only this manifest names: the tag it fetches says what the binaries must show, so pass --repo URL to take it from a repository you trust`,
    );
  try {
    checkVerificationRecord(manifest, claim, pristine, found);
    checkUnchanged(manifest, claim, pristine, found);
    await checkProofs(dir, manifest, claim, pristine, recordedTags(manifest, records.provenance, records.sbom), hashed, io, found);
    // Last: applying the patch changes the pristine work tree.
    await checkPatch(dir, manifest, claim, pristine, io, found, hashed);
  } finally {
    await pristine.tree.release();
  }
  return found;
}

/** A build of nothing changed claims the release needed nothing: the recipe must find the pristine tag so. */
function checkUnchanged(m: Manifest, claim: Claim, pristine: Pristine, found: Findings): void {
  if (claim.kind !== 'none' || pristine.report.verdict !== 'affected') return;
  found.fail(
    'manifest.json',
    `mode none (built unchanged), but ${pristine.tree.tag} is affected (${sitesNeedingFix(pristine.report, claim.recipe)}): a ${m.target ?? 'kubelet'} built from it unchanged is not fixed`,
  );
}
