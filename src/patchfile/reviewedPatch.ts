/**
 * Reviewed patches: the one patch text kpatch generates for a tree (written by
 * `build` into `<out>/patches/` and by `diff --write` into a folder that a
 * team commits and reviews), and applying such a reviewed file instead of a
 * freshly generated one (`build --patch FILE`).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fail, KpatchError } from '../errors.js';
import { readUserText } from '../safeFiles.js';
import type { ScanReport } from '../engine/recipe.js';
import type { FileChange } from '../engine/diff.js';
import type { Io } from '../io.js';
import { DEFAULT_RECIPE } from '../recipes.js';
import { GitFailure, runGit } from '../source/runGit.js';
import { KPATCH_VERSION } from '../version.js';
import { sha256Text } from '../manifest/checksums.js';
import type { CommitFacts } from '../source/commitFacts.js';
import { formatPatch } from './formatPatch.js';
import { patchPaths } from './patchPaths.js';

/**
 * The patch text for a tree's changes, in git format-patch form. Byte for
 * byte reproducible: no clock (the date is the tag commit's), fixed `a/` `b/`
 * prefixes, files sorted (engine/diff.ts), the kpatch version in the
 * signature (a new kpatch may word a patch differently, and a reviewer should
 * see that as drift).
 */
export async function renderPatch(changes: FileChange[], report: ScanReport, mode: string, commit: CommitFacts): Promise<string> {
  // jsdiff is loaded only by the commands that render a diff (start-up time, see bench-scan).
  const { renderDiff } = await import('../engine/diff.js');
  const { subject, body, dep3 } = DEFAULT_RECIPE.describe(report, mode);
  return formatPatch({
    subject,
    body,
    diff: renderDiff(changes),
    date: new Date((commit.time ?? 0) * 1000),
    version: KPATCH_VERSION,
    dep3,
  });
}

/** A reviewed patch applied to a tree. */
export interface AppliedPatch {
  /** The file's bytes, as applied. */
  text: string;
  sha256: string;
  /** Each file the patch changed, before and after (the shape of a generated rewrite). */
  changes: (FileChange & { abs: string })[];
}

/**
 * Applies `file` to the tree at `root` with `git apply`: first `--check`, so
 * a patch that does not apply cleanly (no fuzz, no offset guessing beyond
 * git's own) changes nothing and fails with git's message, and a hint that
 * names the tree by `sourceFlag`.
 */
export async function applyReviewedPatch(root: string, file: string, io: Io, sourceFlag = '--k8s TAG'): Promise<AppliedPatch> {
  const text = (await readUserText(file, '--patch', io.signal)) ?? fail('usage', { where: `--patch ${file}`, detail: 'no such file' });
  const paths = [...new Set(patchPaths(text))].sort();
  if (!paths.length)
    fail('patch_does_not_apply', { where: file, detail: 'the file holds no git-style diff (no `diff --git a/... b/...` line)' });
  const before = new Map<string, string>();
  for (const p of paths) before.set(p, await readFile(path.join(root, p), 'utf8').catch(() => ''));
  try {
    await runGit(['apply', '--check', file], { cwd: root, io });
    await runGit(['apply', file], { cwd: root, io });
  } catch (e) {
    if (!(e instanceof GitFailure) || e.kind !== 'exit')
      throw e instanceof GitFailure && e.kind === 'abort' ? new KpatchError('interrupted') : e;
    fail('patch_does_not_apply', {
      where: file,
      detail: `git apply --check in ${root}:\n${e.stderr.trim()}`,
      // Named as the user named the tree: a --src user regenerates from the checkout, not from a tag.
      hint: `the release changed under the reviewed patch: regenerate it with \`kpatch diff ${sourceFlag} --mode M --write DIR\`, review it and retry; nothing was built`,
    });
  }
  const changes: AppliedPatch['changes'] = [];
  for (const p of paths)
    changes.push({ path: p, abs: path.join(root, p), before: before.get(p) ?? '', after: await readFile(path.join(root, p), 'utf8') });
  // git apply skips paths outside the current folder when the tree sits inside another repository.
  const untouched = changes.filter((c) => c.before === c.after).map((c) => c.path);
  if (untouched.length)
    fail('patch_does_not_apply', { where: file, detail: `git apply left ${untouched.join(', ')} unchanged in ${root}` });
  return { text, sha256: sha256Text(text), changes };
}

/** A reviewed patch in use by a build: applied, checked, and the mode it stands for. */
export interface ReviewedBuild {
  applied: AppliedPatch;
  /** Absolute path of the reviewed file. */
  file: string;
  /** The mode its kpatch markers name (`guard`, `remove`). */
  mode: string;
  /** Why, for the manifest's modeReason. */
  reason: string;
}

/**
 * `build --patch FILE`: refuses edited target files in a `--src` checkout
 * (like a generated patch), applies the file, and checks that the tree is
 * then fixed, all before anything is built. `sourceFlag` names the tree as
 * the user did (`--src DIR`, `--k8s v1.12.4`), for the hints.
 */
export async function useReviewedPatch(
  root: string,
  file: string,
  opts: { checkDirty: boolean; sourceFlag?: string },
  io: Io,
): Promise<ReviewedBuild> {
  if (opts.checkDirty) {
    const text = (await readUserText(file, '--patch', io.signal)) ?? '';
    const paths = patchPaths(text);
    const { refuseDirtyFiles } = await import('../source/dirtyFiles.js');
    await refuseDirtyFiles(root, paths, 'build --src applies the reviewed patch in place; no file was changed', io);
  }
  const applied = await applyReviewedPatch(root, file, io, opts.sourceFlag);
  const { loadTargets } = await import('../engine/loadTargets.js');
  const after = DEFAULT_RECIPE.scan((await loadTargets(root, DEFAULT_RECIPE)).files);
  const open = after.sites.filter((s) => DEFAULT_RECIPE.needsFix(s));
  if (after.verdict === 'affected' || !after.markers.length) {
    fail('patch_incomplete', {
      where: file,
      detail: open.length
        ? [
            `still ${[...new Set(open.map((s) => s.status))].join(' or ')} after the patch:`,
            ...open.map((s) => `  ${s.file}:${s.line} ${s.function} (${s.status}${s.reason ? `: ${s.reason}` : ''})`),
          ].join('\n')
        : `the patched tree carries no kpatch marker (verdict ${after.verdict}), so it is not a patch kpatch generated`,
    });
  }
  const mode = after.markers[0].mode;
  return { applied, file, mode, reason: `the reviewed patch ${file} (sha256 ${applied.sha256.slice(0, 16)}…), applied with git apply` };
}
