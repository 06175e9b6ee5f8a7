/**
 * Which of a set of files have uncommitted changes, when the tree is a git
 * work tree; so `patch` never overwrites a user's own edits.
 *
 * Each file is asked about in the repository that owns it: a file inside a
 * git submodule (or a nested repository, or behind a folder link) is
 * invisible to the outer repository's `git status -- path`, which reports at
 * most the submodule as a whole, so asking only the tree's root let a
 * submodule's local edits be patched over.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { fail } from '../errors.js';
import { statusPaths } from './gitStatus.js';
import { runGit, type GitIo } from './runGit.js';

/** The work tree that owns `dir` (its top-level folder, real path), or undefined outside git. */
async function owningWorkTree(dir: string, io: GitIo): Promise<string | undefined> {
  const inside = await runGit(['rev-parse', '--is-inside-work-tree'], { cwd: dir, io }).then(
    (o) => o.trim() === 'true',
    () => false,
  );
  if (!inside) return undefined;
  const top = (await runGit(['rev-parse', '--show-toplevel'], { cwd: dir, io })).trim();
  return realpath(top);
}

/**
 * Returns the subset of `paths` (relative to `root`) that git reports as
 * modified, added or untracked in the repository that owns each of them.
 * Files outside any git work tree are never reported.
 */
export async function dirtyFiles(root: string, paths: string[], io: GitIo): Promise<string[]> {
  if (paths.length === 0) return [];
  // Group the files by owning work tree; the folder's real path also sees through folder links.
  const byTop = new Map<string, { rel: string; inTop: string }[]>();
  const topOf = new Map<string, string | undefined>();
  for (const rel of paths) {
    const dir = await realpath(path.dirname(path.join(root, rel))).catch(() => undefined);
    if (!dir) continue;
    if (!topOf.has(dir)) topOf.set(dir, await owningWorkTree(dir, io));
    const top = topOf.get(dir);
    if (!top) continue;
    const inTop = path
      .relative(top, path.join(dir, path.basename(rel)))
      .split(path.sep)
      .join('/');
    byTop.set(top, [...(byTop.get(top) ?? []), { rel, inTop }]);
  }
  const dirty = new Set<string>();
  for (const [top, files] of byTop) {
    // --no-optional-locks: a plain `git status` refreshes the index it reads (a write into the user's
    // .git, e.g. a submodule's .git/modules/.../index, whenever a file's stat data changed).
    const out = await runGit(
      [
        '--no-optional-locks',
        'status',
        '--porcelain=v1',
        '-z',
        '--untracked-files=all',
        '--',
        ...files.map((f) => `:(top,literal)${f.inTop}`),
      ],
      { cwd: top, io },
    );
    const reported = new Set(statusPaths(out));
    for (const f of files) if (reported.has(f.inTop)) dirty.add(f.rel);
  }
  return paths.filter((p) => dirty.has(p));
}

/**
 * Throws `dirty_files` naming the paths (relative to `root`) that have
 * uncommitted changes; `detail` says what kpatch was about to do. The one
 * check behind patch, build --src and build --patch, so a user's own edits
 * are never overwritten.
 */
export async function refuseDirtyFiles(root: string, paths: string[], detail: string, io: GitIo): Promise<void> {
  const dirty = await dirtyFiles(root, paths, io);
  if (dirty.length) fail('dirty_files', { where: dirty.join(', '), detail });
}
