/**
 * A `--src` tree that already carries kpatch's fix (a checkout patched with
 * `kpatch patch`, or a branch with a committed reviewed patch) is built as
 * that fix, not refused as "nothing to build": the mode comes from its kpatch
 * marker, the version is `<tag>+kpatch.<mode>`, and the patch, the manifest
 * and the source proof are those of the fix against the pristine tag, read
 * from the checkout's own git (`git show <tag>:<path>`).
 */
import path from 'node:path';
import { fail } from '../errors.js';
import type { ScanReport } from '../engine/recipe.js';
import { makeGoFile, type GoFile } from '../engine/sourceFile.js';
import type { FileChange } from '../engine/diff.js';
import { DEFAULT_RECIPE } from '../recipes.js';
import type { ChosenMode } from './chooseMode.js';
import type { CheckoutFacts } from '../source/commitFacts.js';
import { queryGit, type GitIo } from '../source/runGit.js';

/** The fix a tree carries, as a build uses it. */
export interface CarriedFix {
  chosen: ChosenMode;
  /** The pristine tag's scan (the `before` of the manifest's sites); the tree's own when there is no tag to read. */
  before: ScanReport;
  /** Each target file that differs from the tag: pristine text and the tree's. */
  changes: FileChange[];
}

/**
 * The fix of a tree whose scan is `patched`. `checkout` is the user's
 * checkout (whose git holds the tag), `files` the target files read from the
 * tree being built. Without a tag (a `--version-string` build of an untagged
 * commit) the mode still comes from the marker, but there is no pristine
 * source to diff against, so no patch is written.
 */
export async function carriedFix(
  report: ScanReport,
  files: GoFile[],
  commit: CheckoutFacts,
  checkout: string,
  io: GitIo,
): Promise<CarriedFix> {
  const modes = [...new Set(report.markers.map((m) => m.mode))];
  if (modes.length !== 1) {
    fail('unsupported_shape', {
      where: report.markers.map((m) => `${m.file}:${m.line} (${m.mode})`).join(', '),
      detail:
        'the tree carries kpatch markers of different modes, so it is not one kpatch fix; restore the files from the tag and build again',
    });
  }
  const mode = modes[0];
  const marks = report.markers.map((m) => `${m.file}:${m.line}`).join(', ');
  const where = commit.fixCommittedOn ? `committed on ${commit.fixCommittedOn} (HEAD ${commit.sha?.slice(0, 12)})` : 'in the checkout';
  const chosen: ChosenMode = {
    requested: { kind: 'edit', mode },
    fix: { kind: 'edit', mode },
    tagFiles: [],
    versionMode: mode,
    reason: `the tree already carries kpatch's ${mode} fix ${where} (marker at ${marks}), so it is built as that fix`,
  };
  if (!commit.tag) return { chosen, before: report, changes: [] };
  const changes: FileChange[] = [];
  const pristine: GoFile[] = [];
  for (const f of files) {
    const before = await showAtTag(checkout, commit.tag, f.path, io);
    if (before === undefined) {
      fail('unsupported_shape', {
        where: f.path,
        detail: `the file is not in ${commit.tag}, so kpatch cannot tell its fix from the release; build from the tag`,
      });
    }
    pristine.push(makeGoFile(f.path, f.abs, before));
    if (before !== f.text) changes.push({ path: f.path, before, after: f.text });
  }
  return { chosen, before: DEFAULT_RECIPE.scan(pristine), changes };
}

/** A file's text at `tag`, from the checkout's git; undefined when the tag has no such file. */
function showAtTag(checkout: string, tag: string, rel: string, io: GitIo): Promise<string | undefined> {
  return queryGit(['show', `${tag}:./${rel.split(path.sep).join('/')}`], { cwd: checkout, io });
}
