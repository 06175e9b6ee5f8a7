/**
 * `kpatch verify`, the manifest's own records of the claim: which binaries
 * it lists, and how it says its fix was proven (`verification`). Neither
 * chooses what verify proves (the mode and the recipe do, see fixClaim.ts);
 * each must agree with what a build of that claim writes, and a missing,
 * unknown or weakened record is a failure.
 */
import path from 'node:path';
import type { Manifest } from '../manifest/manifest.js';
import type { FolderListing } from './checkFiles.js';
import { RECORD_BY_KIND, type Claim } from './fixClaim.js';
import type { Pristine } from './pristine.js';
import { repeated } from './repeated.js';
import type { Findings } from './verifyResult.js';

const MANIFEST = 'manifest.json';

/** The binary names of the targets kpatch builds: a file of that name in the folder is a binary verify must prove. */
const TARGET_BINARIES = ['kubelet', 'runc'] as const;

/** How each proof method is said in a message. */
const METHOD_WORDS: Readonly<Record<string, string>> = {
  binary: 'from the binary',
  source: 'from the patched source',
  none: 'by nothing (built unchanged)',
};

/**
 * The artifacts list: each path once, one per platform in `platforms`, at
 * `<os>-<arch>/<binary>`; and no file in the folder named like a target
 * binary that the list leaves out (a proof runs only on listed binaries).
 */
export function checkArtifactList(m: Manifest, listing: FolderListing, found: Findings): void {
  const binary = m.target ?? 'kubelet';
  const paths = m.artifacts.map((a) => a.path);
  for (const p of repeated(paths)) found.fail(MANIFEST, `lists ${p} more than once in artifacts: every record names each file once`);
  for (const a of m.artifacts) {
    const expected = `${a.platform.replace('/', '-')}/${binary}`;
    if (a.path !== expected) found.fail(MANIFEST, `artifacts names ${a.path} for ${a.platform}; a ${binary} build writes ${expected}`);
    if (!m.platforms.includes(a.platform))
      found.fail(MANIFEST, `artifacts names ${a.path} for ${a.platform}, which platforms does not list`);
  }
  for (const p of m.platforms) {
    if (!m.artifacts.some((a) => a.platform === p)) found.fail(MANIFEST, `platforms lists ${p}, but artifacts has no ${binary} for it`);
  }
  for (const name of [...listing.regular, ...listing.odd.keys()].sort()) {
    const base = path.posix.basename(name);
    if ((TARGET_BINARIES as readonly string[]).includes(base) && !paths.includes(name))
      found.fail(name, `a ${base} that manifest.json does not list: verify proves only the binaries the manifest lists`);
  }
}

/**
 * The `verification` record against the claim: present, with the method
 * and a status a build of that kind writes; for a build tag, the tag and
 * the proof strings of the pristine release, and one entry per artifact.
 */
export function checkVerificationRecord(m: Manifest, claim: Claim, pristine: Pristine | undefined, found: Findings): void {
  const v = m.verification;
  const want = RECORD_BY_KIND[claim.kind];
  if (!v) {
    found.fail(MANIFEST, `has no verification record: a ${claim.mode} build records how its fix was proven (method ${want.method})`);
    return;
  }
  if (v.method !== want.method)
    found.fail(
      MANIFEST,
      `verification.method is ${JSON.stringify(v.method)}, but mode ${claim.mode} is proven ${METHOD_WORDS[want.method]} (${JSON.stringify(want.method)})`,
    );
  if (!want.status.includes(v.status))
    found.fail(
      MANIFEST,
      `verification.status is ${JSON.stringify(v.status)}, which a ${claim.mode} build never writes (${want.status.join(', ')})`,
    );
  if (claim.kind !== 'tag') return;
  if (v.buildTag !== claim.tag)
    found.fail(
      MANIFEST,
      `verification.buildTag is ${v.buildTag === undefined ? 'absent' : JSON.stringify(v.buildTag)}, but mode ${claim.mode} is proven by -tags=${claim.tag}`,
    );
  if (pristine) {
    const derived = claim.recipe.buildTag!.proofStrings(pristine.files);
    const recorded = v.proofStrings ?? [];
    const same = recorded.length === derived.length && [...recorded].sort().every((s, i) => s === derived[i]);
    if (!same)
      found.fail(
        MANIFEST,
        `verification.proofStrings lists ${JSON.stringify(recorded)}, but ${pristine.tree.tag}'s ${claim.tag} variant has ${JSON.stringify(derived)}`,
      );
  }
  const entries = (v.artifacts ?? []).map((a) => a.path);
  for (const p of repeated(entries))
    found.fail(MANIFEST, `verification.artifacts lists ${p} more than once: every record names each file once`);
  for (const a of m.artifacts)
    if (!entries.includes(a.path)) found.fail(MANIFEST, `verification.artifacts has no entry for ${a.path}, which artifacts lists`);
  for (const p of new Set(entries))
    if (!m.artifacts.some((a) => a.path === p)) found.fail(MANIFEST, `verification.artifacts names ${p}, which artifacts does not list`);
}
