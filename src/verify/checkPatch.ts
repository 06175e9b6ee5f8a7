/**
 * `kpatch verify`, part two: the patch against the pristine release. The tag
 * must still name the commit the manifest records, the patch must apply
 * (`git apply --check`), the recipe must find the patched tag fixed, and
 * each patched file must hash to what the manifest says was compiled. This
 * is what ties the binaries' source to a public tag plus a reviewable
 * change. This file gathers the facts and decides nothing: the outcomes
 * are the rows of patchOutcomes.ts.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Manifest } from '../manifest/manifest.js';
import { loadTargets } from '../engine/loadTargets.js';
import { KpatchError } from '../errors.js';
import type { Io } from '../io.js';
import { GitFailure, runGit } from '../source/runGit.js';
import { hashRegular, readRegular, UnsafeFile } from '../safeFiles.js';
import { patchPaths } from '../patchfile/patchPaths.js';
import { MAX_RECORD_BYTES, staysInside } from './checkFiles.js';
import type { Claim } from './fixClaim.js';
import { decide, FILE_ROWS, FILE_WORDS, PATCH_ROWS, PATCH_WORDS, type PatchedFileFacts, type PatchFacts } from './patchOutcomes.js';
import { firstLine, sitesNeedingFix, type Pristine } from './pristine.js';
import { repeated } from './repeated.js';
import type { Findings } from './verifyResult.js';

/** Checks the manifest's patch against the pristine tag (which it changes: the caller releases it); adds findings. */
export async function checkPatch(
  dir: string,
  m: Manifest,
  claim: Claim,
  pristine: Pristine,
  io: Io,
  found: Findings,
  hashed: Set<string>,
): Promise<void> {
  const { facts, files } = await gatherFacts(dir, m, claim, pristine, io, hashed);
  found.list.push(...decide(PATCH_ROWS, PATCH_WORDS, facts));
  for (const f of files) found.list.push(...decide(FILE_ROWS, FILE_WORDS, f));
}

/** Reads, applies and hashes what the rows decide on. */
async function gatherFacts(
  dir: string,
  m: Manifest,
  claim: Claim,
  pristine: Pristine,
  io: Io,
  hashed: Set<string>,
): Promise<{ facts: PatchFacts; files: PatchedFileFacts[] }> {
  const tag = pristine.tree.tag;
  const facts: PatchFacts = {
    kind: claim.kind,
    mode: claim.mode,
    recipe: claim.recipe.id,
    patch: m.patch?.path,
    patchedFiles: m.patchedFiles.length,
    repeatedFiles: repeated(m.patchedFiles.map((f) => f.path)),
    tag,
    repo: pristine.repo,
    recordedCommit: m.source.commit,
    fetchedCommit: pristine.tree.commit,
    unrecorded: [],
  };
  if (!m.patch) return { facts, files: [] };
  if (!staysInside(m.patch.path)) return { facts: { ...facts, file: 'outside' }, files: [] };
  if (!hashed.has(m.patch.path)) return { facts: { ...facts, file: 'unchecked' }, files: [] };
  // Read once, safely; git is given a private copy, never a path into the untrusted folder.
  const text = await readRegular(path.resolve(dir, m.patch.path), { inside: dir, signal: io.signal, maxBytes: MAX_RECORD_BYTES }).catch(
    (e) => {
      if (e instanceof UnsafeFile || (e as NodeJS.ErrnoException).code) return undefined;
      throw e;
    },
  );
  if (text === undefined) return { facts: { ...facts, file: 'changed' }, files: [] };
  facts.file = 'read';
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'kpatch-verify-'));
  try {
    const abs = path.join(scratch, path.basename(m.patch.path));
    await writeFile(abs, text);
    const root = pristine.tree.root;
    try {
      await runGit(['apply', '--check', abs], { cwd: root, io });
    } catch (e) {
      if (!(e instanceof GitFailure) || e.kind !== 'exit') throw e;
      const why = e.stderr.split('\n').filter((l) => l.startsWith('error:'))[0] ?? e.stderr.trim().split('\n')[0] ?? '';
      return { facts: { ...facts, apply: { fails: why.replace(/^error:\s*/, '') } }, files: [] };
    }
    await runGit(['apply', abs], { cwd: root, io });
    facts.apply = 'applies';
    facts.after = await patchedReading(root, claim);
    const touched = patchPaths(text.toString('utf8'));
    const listed = new Set(m.patchedFiles.map((f) => f.path));
    facts.unrecorded = touched.filter((t) => !listed.has(t));
    const files: PatchedFileFacts[] = [];
    for (const f of m.patchedFiles) {
      const file: PatchedFileFacts = {
        path: f.path,
        tag,
        inside: staysInside(f.path),
        touched: touched.includes(f.path),
        recorded: f.sha256,
      };
      // A patch can create links: the patched file is read like any untrusted one.
      if (file.inside && file.touched)
        file.actual = await hashRegular(path.join(root, f.path), { inside: root, signal: io.signal }).then(
          (h) => ({ sha256: h.sha256 }),
          (e) => {
            if (e instanceof UnsafeFile || (e as NodeJS.ErrnoException).code)
              return { unreadable: e instanceof UnsafeFile ? e.reason : (e as Error).message };
            throw e;
          },
        );
      files.push(file);
    }
    return { facts, files };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The recipe's reading of the patched tag: its verdict and where it still needs the fix. */
async function patchedReading(root: string, claim: Claim): Promise<PatchFacts['after']> {
  try {
    const report = claim.recipe.scan((await loadTargets(root, claim.recipe)).files);
    return { verdict: report.verdict, sites: sitesNeedingFix(report, claim.recipe) };
  } catch (e) {
    if (!(e instanceof KpatchError) || e.id === 'interrupted') throw e;
    return { unreadable: firstLine(e) };
  }
}
