/**
 * `kpatch verify`, part three: the published records. provenance.json (an
 * in-toto Statement with SLSA provenance v1): its subjects against the files
 * and the manifest, its resolved dependencies against the manifest (the
 * tag's commit, the patch's sha256, the image digest); sbom.spdx.json (SPDX
 * 2.3): the schema, its element ids, and each binary's SHA256; and with
 * `--key` the signature SHA256SUMS.sig over SHA256SUMS. Every kpatch build
 * writes provenance.json and sbom.spdx.json: a folder without one fails (a
 * dropped record is never a skipped check); without `--key` the signature
 * is a `skip`, said as such.
 */
import path from 'node:path';
import type { KeyObject } from 'node:crypto';
import { recordedFiles, type Manifest } from '../manifest/manifest.js';
import { DEPENDENCY, PROVENANCE_FILE, sourceUri, type ProvenanceStatement } from '../manifest/provenance.js';
import { SBOM_FILE } from '../manifest/sbom.js';
import { checkSignature, SIGNATURE_FILE } from '../manifest/signature.js';
import { SUMS_FILE } from '../manifest/checksums.js';
import { hashRegular, UnsafeFile } from '../safeFiles.js';
import { readRecord, staysInside, type FolderListing } from './checkFiles.js';
import { documentProblems } from './manifestSchema.js';
import { parseJsonRecord } from './jsonRecord.js';
import { repeated } from './repeated.js';
import type { Findings } from './verifyResult.js';

const short = (h: string | undefined) => (h ? h.slice(0, 16) + '…' : '?');

/** Reads and parses a JSON record; a finding and undefined when it is not JSON valid against `schema`. */
async function readJsonRecord(
  dir: string,
  name: string,
  schema: string,
  listing: FolderListing,
  found: Findings,
  signal?: AbortSignal,
): Promise<unknown> {
  const bytes = await readRecord(dir, name, listing, found, signal);
  if (bytes === undefined) return undefined;
  const doc = parseJsonRecord(name, bytes, found);
  if (doc === undefined) return undefined;
  const problems = documentProblems(schema, doc);
  if (problems.length) {
    found.fail(name, `does not match schemas/${schema}: ${problems.join('; ')}`);
    return undefined;
  }
  return doc;
}

/** The sha256 of a regular file inside the folder, or undefined (checkFiles has said why). */
async function fileHash(dir: string, name: string, hashed: Set<string>, signal?: AbortSignal): Promise<string | undefined> {
  if (!staysInside(name) || !hashed.has(name)) return undefined;
  return hashRegular(path.join(dir, name), { inside: dir, signal }).then(
    (h) => h.sha256,
    (e) => {
      if (e instanceof UnsafeFile || (e as NodeJS.ErrnoException).code) return undefined;
      throw e;
    },
  );
}

/** The provenance and SBOM as parsed and checked against their schemas (absent when they are not). */
export interface ParsedRecords {
  provenance?: unknown;
  sbom?: unknown;
}

/** Runs the checks of the three records; `key` is `--key`'s public key. Returns the records that parsed. */
export async function checkRecords(
  dir: string,
  m: Manifest | undefined,
  listing: FolderListing,
  hashed: Set<string>,
  found: Findings,
  opts: { key?: KeyObject; signal?: AbortSignal },
): Promise<ParsedRecords> {
  const hashes = new Map<string, string | undefined>();
  // A file checkFiles already failed (changed, missing, odd) is not reported again by each record that names it.
  const failed = new Set(found.failures.map((f) => f.file));
  const hashOf = async (name: string) => {
    if (failed.has(name)) return undefined;
    if (!hashes.has(name)) hashes.set(name, await fileHash(dir, name, hashed, opts.signal));
    return hashes.get(name);
  };
  const parsed: ParsedRecords = {};
  if (m) {
    parsed.provenance = await checkProvenance(dir, m, listing, found, hashOf, opts.signal);
    parsed.sbom = await checkSbom(dir, m, listing, found, hashOf, opts.signal);
  }
  await checkSigned(dir, listing, found, opts.key, opts.signal);
  return parsed;
}

type HashOf = (name: string) => Promise<string | undefined>;

async function checkProvenance(
  dir: string,
  m: Manifest,
  listing: FolderListing,
  found: Findings,
  hashOf: HashOf,
  signal?: AbortSignal,
): Promise<ProvenanceStatement | undefined> {
  const doc = (await readJsonRecord(dir, PROVENANCE_FILE, 'provenance.schema.json', listing, found, signal)) as
    ProvenanceStatement | undefined;
  if (!doc) return undefined;
  let bad = 0;
  const fail = (msg: string) => {
    bad++;
    found.fail(PROVENANCE_FILE, msg);
  };
  const names = doc.subject.map((s) => s.name ?? '');
  for (const n of repeated(names)) fail(`names the subject ${JSON.stringify(n)} more than once: every record names each file once`);
  const subjects = new Map(doc.subject.map((s) => [s.name ?? '', s.digest?.sha256]));
  // The artifacts and the packages: both are subjects.
  const recorded = recordedFiles(m);
  for (const a of recorded) if (!subjects.has(a.path)) fail(`has no subject for ${a.path}, which manifest.json lists`);
  for (const [name, digest] of subjects) {
    if (!recorded.some((a) => a.path === name)) {
      fail(`subject ${JSON.stringify(name)} is not an artifact or package manifest.json lists`);
      continue;
    }
    const actual = await hashOf(name);
    if (actual === undefined) continue; // checkFiles reported the file
    if (digest !== actual) fail(`subject ${name} says sha256 ${short(digest)}, but the file is ${short(actual)}`);
  }
  const deps = doc.predicate.buildDefinition.resolvedDependencies ?? [];
  const dep = (name: string) => deps.find((d) => d.name === name);
  const source = dep(DEPENDENCY.source);
  if (m.source.commit && source?.digest?.gitCommit !== m.source.commit)
    fail(`resolvedDependencies "source" records commit ${source?.digest?.gitCommit ?? 'none'}, manifest.json ${m.source.commit}`);
  const uri = sourceUri(m.source.repo, m.source.tag);
  if (uri && source?.uri !== uri) fail(`resolvedDependencies "source" names ${source?.uri ?? 'nothing'}, manifest.json ${uri}`);
  const patch = dep(DEPENDENCY.patch);
  if (m.patch) {
    const actual = staysInside(m.patch.path) ? await hashOf(m.patch.path) : undefined;
    if (patch?.digest?.sha256 !== m.patch.sha256)
      fail(`resolvedDependencies "patch" records sha256 ${short(patch?.digest?.sha256)}, manifest.json ${short(m.patch.sha256)}`);
    else if (actual !== undefined && actual !== patch.digest.sha256)
      fail(`resolvedDependencies "patch" records sha256 ${short(patch.digest.sha256)}, but ${m.patch.path} is ${short(actual)}`);
  } else if (patch) fail('records a patch, but manifest.json has none');
  const image = dep(DEPENDENCY.image);
  const digest = m.image?.digest?.split(':');
  if (digest?.length === 2 && image?.digest?.[digest[0]] !== digest[1])
    fail(
      `resolvedDependencies "build-image" records ${image?.digest ? JSON.stringify(image.digest) : 'no digest'}, manifest.json ${m.image!.digest}`,
    );
  if (!bad)
    found.ok(
      PROVENANCE_FILE,
      `${subjects.size} subject(s) match the files; source ${m.source.tag ?? ''} ${short(m.source.commit)}${m.patch ? `, the patch` : ''}${digest ? ', the image digest' : ''} match manifest.json`,
    );
  return doc;
}

interface SpdxPackage {
  SPDXID: string;
  packageFileName?: string;
  checksums?: { algorithm: string; checksumValue: string }[];
  annotations?: { comment: string }[];
}

async function checkSbom(
  dir: string,
  m: Manifest,
  listing: FolderListing,
  found: Findings,
  hashOf: HashOf,
  signal?: AbortSignal,
): Promise<unknown> {
  const doc = (await readJsonRecord(dir, SBOM_FILE, 'spdx-2.3.schema.json', listing, found, signal)) as
    | { packages?: SpdxPackage[]; files?: { SPDXID: string }[]; relationships?: { spdxElementId: string; relatedSpdxElement: string }[] }
    | undefined;
  if (!doc) return undefined;
  const problems = spdxIdProblems(doc);
  for (const n of repeated((doc.packages ?? []).flatMap((p) => (p.packageFileName === undefined ? [] : [p.packageFileName]))))
    problems.push(`has more than one package with packageFileName ${JSON.stringify(n)}: every record names each file once`);
  // Each binary and each package file is an SPDX package with its SHA256.
  for (const a of recordedFiles(m)) {
    const pkg = doc.packages?.find((p) => p.packageFileName === a.path);
    const sum = pkg?.checksums?.find((c) => c.algorithm === 'SHA256')?.checksumValue;
    if (!pkg) problems.push(`has no package for ${a.path}`);
    else if (!sum) problems.push(`package ${pkg.SPDXID} (${a.path}) has no SHA256 checksum`);
    else {
      const actual = await hashOf(a.path);
      if (actual !== undefined && actual !== sum)
        problems.push(`package ${pkg.SPDXID} says ${a.path} has SHA256 ${short(sum)}, but the file is ${short(actual)}`);
    }
  }
  if (m.patch && !doc.packages?.some((p) => p.annotations?.some((n) => n.comment.includes(m.patch!.sha256))))
    problems.push(`no package is annotated as modified by the patch (sha256 ${short(m.patch.sha256)})`);
  for (const p of problems) found.fail(SBOM_FILE, p);
  if (!problems.length)
    found.ok(
      SBOM_FILE,
      `SPDX 2.3; ${m.artifacts.length} binary package(s)${m.packages?.length ? ` and ${m.packages.length} package file(s)` : ''} with the files' SHA256${m.patch ? ', the modified module annotated with the patch' : ''}`,
    );
  return doc;
}

/** What an SPDX validator checks beyond the schema: unique element ids, relationships that name elements of the document. */
export function spdxIdProblems(doc: {
  packages?: { SPDXID: string }[];
  files?: { SPDXID: string }[];
  relationships?: { spdxElementId: string; relatedSpdxElement: string }[];
}): string[] {
  const ids = ['SPDXRef-DOCUMENT', ...(doc.packages ?? []).map((p) => p.SPDXID), ...(doc.files ?? []).map((f) => f.SPDXID)];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const id of ids) {
    if (seen.has(id)) problems.push(`element id ${id} is used twice`);
    seen.add(id);
  }
  for (const r of doc.relationships ?? []) {
    for (const id of [r.spdxElementId, r.relatedSpdxElement])
      if (!seen.has(id) && id !== 'NONE' && id !== 'NOASSERTION') problems.push(`a relationship names ${id}, which is not in the document`);
  }
  return [...new Set(problems)];
}

async function checkSigned(
  dir: string,
  listing: FolderListing,
  found: Findings,
  key: KeyObject | undefined,
  signal?: AbortSignal,
): Promise<void> {
  const present = listing.regular.has(SIGNATURE_FILE) || listing.odd.has(SIGNATURE_FILE);
  if (!key) {
    found.skip(
      SIGNATURE_FILE,
      present
        ? 'not checked: give --key PUB.pem (the public key of --sign-key) to check it'
        : 'the folder is not signed (kpatch build --sign-key, or kpatch sign), and no --key was given',
    );
    return;
  }
  if (!present) {
    found.fail(SIGNATURE_FILE, 'missing: --key was given, but the folder is not signed');
    return;
  }
  const sig = await readRecord(dir, SIGNATURE_FILE, listing, found, signal);
  if (sig === undefined) return;
  const sums = await readRecord(dir, SUMS_FILE, listing, found, signal);
  if (sums === undefined) return;
  // The file's bytes, as openssl and cosign read them: never decoded and re-encoded.
  const r = checkSignature(sums, sig, key);
  if (r.ok) found.ok(SIGNATURE_FILE, `a valid ECDSA P-256 signature of ${SUMS_FILE} by --key`);
  else found.fail(SIGNATURE_FILE, r.reason);
}
