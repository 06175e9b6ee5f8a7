/**
 * manifest.json of an artifact folder, read as untrusted input: UTF-8 JSON
 * with each key once per object (jsonRecord.ts), of this schemaVersion, and
 * valid against the published schema before any field is used.
 */
import type { Manifest } from '../manifest/manifest.js';
import { MANIFEST_SCHEMA_VERSION } from '../manifest/manifest.js';
import { readRecord, type FolderListing } from './folderListing.js';
import { parseJsonRecord } from './jsonRecord.js';
import { manifestProblems } from './manifestSchema.js';
import type { Findings } from './verifyResult.js';

/**
 * The manifest, if it is one: valid JSON that matches the published schema.
 * Anything else is a finding naming the field, and the checks that would
 * read the manifest's fields do not run.
 */
export async function readManifest(
  dir: string,
  listing: FolderListing,
  found: Findings,
  signal?: AbortSignal,
): Promise<Manifest | undefined> {
  const bytes = await readRecord(dir, 'manifest.json', listing, found, signal);
  if (bytes === undefined) return undefined;
  const m = parseJsonRecord('manifest.json', bytes, found);
  if (m === undefined) return undefined;
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
