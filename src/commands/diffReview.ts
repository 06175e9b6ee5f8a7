/**
 * `kpatch diff --write DIR` and `--check DIR`: the reviewed-patch folder a
 * team commits, one file per release at `DIR/<tag>/0001-<recipe>-<mode>.patch`.
 * --write makes the folder match what kpatch generates now (writing the file,
 * or removing a stale one for a tree that needs no patch any more); --check
 * says whether it still does.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { describeCommit } from '../build/commitFacts.js';
import { patchDrift } from '../build/patchDrift.js';
import { renderPatch, reviewedPatchPath } from '../build/reviewedPatch.js';
import { sha256Text } from '../build/checksums.js';
import { paintDiff, painter } from '../colour.js';
import type { FileChange } from '../engine/diff.js';
import type { ScanReport } from '../engine/recipe.js';
import { EXIT, fail } from '../errors.js';
import type { Io } from '../io.js';
import { readUserText, writeFileAtomic } from '../safeFiles.js';
import { nothingToDo } from './prepareRewrite.js';
import type { SourceTree } from './sourceOptions.js';

/** What the diff command hands over. */
export interface ReviewRequest {
  source: SourceTree;
  report: ScanReport;
  changes: FileChange[];
  mode: string;
  write?: string;
  check?: string;
  json: boolean;
  /** The fields every `diff --json` document has. */
  doc: Record<string, unknown>;
  /** The source flag as the user gave it (`--src DIR`, `--k8s TAG`, `--runc TAG`), for hints. */
  sourceFlag?: string;
}

/** Writes or checks the reviewed patch; returns the exit code (or throws patch_drift). */
export async function reviewPatch(r: ReviewRequest, io: Io): Promise<number> {
  const commit = await describeCommit(r.source);
  if (!commit.tag) {
    fail('usage', {
      where: `--${r.write !== undefined ? 'write' : 'check'} with --src ${r.source.root}`,
      detail: 'reviewed patches are filed by release tag, and this checkout is not at one',
      hint: 'use --k8s TAG, or check out the release tag in --src',
    });
  }
  const dir = path.resolve(io.cwd, (r.write ?? r.check) as string);
  const file = reviewedPatchPath(dir, commit.tag, r.report.recipe, r.mode);
  const fresh = r.changes.length ? await renderPatch(r.changes, r.report, r.mode, commit) : '';
  const out = (human: string, json: Record<string, unknown>) =>
    io.stdout.write(r.json ? JSON.stringify({ ...r.doc, files: r.changes.map((c) => c.path).sort(), ...json }, null, 2) + '\n' : human);

  if (r.write !== undefined) {
    if (fresh === '') {
      const removed = await rm(file).then(
        () => true,
        () => false,
      );
      out(`kpatch: ${nothingToDo(r.report)}; ${removed ? `removed the stale ${file}` : `no patch written for ${commit.tag}`}\n`, { written: null, removed: removed ? file : null });
      return EXIT.ok;
    }
    // Write then rename: a reader (or an interrupted run) never sees half a patch; a failure is out_unwritable.
    await writeFileAtomic(file, fresh, '--write');
    out(`${file}\n`, { written: { path: file, sha256: sha256Text(fresh) }, removed: null });
    return EXIT.ok;
  }

  const committed = await readUserText(file, '--check', io.signal);
  const label = `generated now from ${commit.tag}${commit.sha ? ` (${commit.sha.slice(0, 12)})` : ''} by this kpatch`;
  const rel = path.relative(io.cwd, file);
  const drift = patchDrift(rel && !rel.startsWith('..') ? rel : file, committed, fresh, label);
  if (r.json) {
    out('', { check: { path: file, status: drift.status, difference: drift.difference } });
  } else if (drift.difference) {
    io.stdout.write(paintDiff(drift.difference, painter(io.stdout, io.env)));
  } else {
    io.stdout.write(`kpatch: ${fresh ? file : `${commit.tag} needs no patch and none is committed`}: up to date\n`);
  }
  if (drift.status === 'same') return EXIT.ok;
  const what = {
    drift: 'the committed patch and the one generated now differ (difference above: - committed, + generated now)',
    missing: `no reviewed patch is committed for ${commit.tag}, and the tree needs one`,
    stale: `a patch is committed, but ${commit.tag} needs none now (${nothingToDo(r.report)})`,
  }[drift.status];
  // The hint repeats the user's own source flag (--src DIR, --k8s TAG or --runc TAG), not a generic one.
  const again = `kpatch diff ${r.sourceFlag ?? (r.source.tag ? `--k8s ${r.source.tag}` : `--src ${r.source.root}`)} --mode ${r.mode} --write ${r.check}`;
  fail('patch_drift', { where: file, detail: what, hint: `read the difference above; if it is right, rewrite the file with \`${again}\`, review and commit it` });
}
