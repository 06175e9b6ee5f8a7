/**
 * `kpatch diff --write DIR` and `--check DIR`: the reviewed-patch folder a
 * team commits, one file per release at `DIR/<tag>/0001-<recipe>-<mode>.patch`.
 * --write makes the folder match what kpatch generates now (writing the file,
 * or removing a stale one for a release that needs no patch); --check says
 * whether it still does. Both work from the tag's own content
 * (build/pristineRewrite.ts): a checkout's local edits never enter the patch,
 * and a checkout patched already is not taken for a release that needs none.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { describeCommit } from '../source/commitFacts.js';
import { patchDrift } from '../patchfile/patchDrift.js';
import { pristineRewrite } from '../pipeline/pristineRewrite.js';
import { renderPatch } from '../patchfile/reviewedPatch.js';
import { reviewedPatchPath } from '../patchfile/reviewedPatchPath.js';
import { sha256Text } from '../manifest/checksums.js';
import { paintDiff, painter } from '../colour.js';
import type { ScanReport } from '../engine/recipe.js';
import { EXIT, fail } from '../errors.js';
import type { Io } from '../io.js';
import { readUserText, writeFileAtomic } from '../safeFiles.js';
import { nothingToDo } from '../rewrite/prepareRewrite.js';
import type { SourceTree } from '../source/openSource.js';

/** What the diff command hands over. */
export interface ReviewRequest {
  source: SourceTree;
  mode: string;
  write?: string;
  check?: string;
  json: boolean;
  /** The fields every `diff --json` document has, for the tag's scan. */
  docFor(report: ScanReport): Record<string, unknown>;
  /** How the user named the tree (`--src DIR`, `--k8s TAG`), for hints. */
  sourceFlag: string;
}

/** Writes or checks the reviewed patch; returns the exit code (or throws patch_drift). */
export async function reviewPatch(r: ReviewRequest, io: Io): Promise<number> {
  const commit = await describeCommit(r.source, io);
  if (!commit.tag) {
    fail('usage', {
      where: `--${r.write !== undefined ? 'write' : 'check'} with --src ${r.source.root}`,
      detail: 'reviewed patches are filed by release tag, and this checkout is not at one',
      hint: 'use --k8s TAG, or check out the release tag in --src',
    });
  }
  if (!commit.sha) fail('git_failed', { where: r.source.root, detail: 'git cannot name the commit the tag points to' });
  const { report, changes, differs, notInTag } = await pristineRewrite(r.source.root, commit.sha, commit.tag, r.mode, io);
  // Say what is true of the checkout: its targets are not what the patch was made from.
  if (differs.length) {
    io.stderr.write(
      `kpatch: note: ${differs.length} target file(s) in ${r.source.root} differ from ${commit.tag} (local edits, or a patch applied already): ${differs.join(', ')}\n`,
    );
    io.stderr.write(`kpatch: note: the reviewed patch is made from ${commit.tag} as tagged, not from those files\n`);
  }
  if (notInTag.length) io.stderr.write(`kpatch: note: not part of ${commit.tag}, left out of the reviewed patch: ${notInTag.join(', ')}\n`);
  const dir = path.resolve(io.cwd, (r.write ?? r.check) as string);
  const file = reviewedPatchPath(dir, commit.tag, report.recipe, r.mode);
  const fresh = changes.length ? await renderPatch(changes, report, r.mode, commit) : '';
  const checkout = { differs, notInTag };
  const out = (human: string, json: Record<string, unknown>) =>
    io.stdout.write(
      r.json ? JSON.stringify({ ...r.docFor(report), files: changes.map((c) => c.path).sort(), checkout, ...json }, null, 2) + '\n' : human,
    );

  if (r.write !== undefined) {
    if (fresh === '') {
      const removed = await rm(file).then(
        () => true,
        () => false,
      );
      out(
        `kpatch: ${commit.tag} as tagged is ${nothingToDo(report)}; ${removed ? `removed the stale ${file}` : `no patch written for ${commit.tag}`}\n`,
        { written: null, removed: removed ? file : null },
      );
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
    stale: `a patch is committed, but ${commit.tag} as tagged needs none (${nothingToDo(report)})`,
  }[drift.status];
  fail('patch_drift', {
    where: file,
    detail:
      what +
      (differs.length ? `\n(made from ${commit.tag} as tagged; the checkout's own edits to ${differs.join(', ')} play no part)` : ''),
    hint: `read the difference above; if it is right, rewrite the file with \`kpatch diff ${r.sourceFlag} --mode ${r.mode} --write ${r.check}\`, review and commit it`,
  });
}
