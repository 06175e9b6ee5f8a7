/**
 * Work trees handed out from the cache: `git worktree add` shares the cache's
 * object store, so a tree costs its checked-out files and an index, never a
 * copy of the objects. Patching or building in a tree never changes the cache.
 *
 * Temporary trees carry the owner's host and pid in their name, so trees left
 * behind by a killed process can be told apart from trees a live process (or
 * the user, with --keep) still uses.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { linkedGitDir } from './linkedGitDir.js';
import type { Io } from '../io.js';
import { type CacheLayout, hostTag, makeDirs } from './cacheLayout.js';
import { processAlive } from './cacheLock.js';
import { GitFailure, runGit } from './runGit.js';
import { gitError } from './cacheRepo.js';

const TEMP_RE = /\.tmp\.([0-9a-f]{6})\.(\d+)\.[0-9a-f]+$/;

/** The path a new tree of `tag` gets: `<tag>-<random>` when kept, else a temporary name with host and pid. */
export function newTreePath(layout: CacheLayout, tag: string, keep: boolean): string {
  const rand = randomBytes(4).toString('hex');
  const name = keep ? `${tag}-${rand}` : `${tag}.tmp.${hostTag()}.${process.pid}.${rand}`;
  return path.join(layout.treesDir, name);
}

/**
 * Checks `commit` out into a new work tree at `treePath` (detached HEAD, so
 * `git describe` there still finds the release tag, which Kubernetes' version
 * stamping needs). On failure or Ctrl-C nothing is left behind.
 */
export async function addWorktree(layout: CacheLayout, treePath: string, commit: string, io: Io): Promise<void> {
  await makeDirs(path.dirname(treePath));
  try {
    // Registered first, checked out second, each git a direct child of kpatch.
    // A plain `worktree add` runs the checkout as a grandchild (`git reset
    // --hard`) that a signal to its parent does not stop: killed by SIGTERM
    // or SIGHUP, the parent removed its half-made tree while the grandchild
    // went on writing files into it, a tree no later run knew about. Here the
    // signal reaches the git that writes, and kpatch removes the tree only
    // once that git has exited.
    await runGit(['worktree', 'add', '--no-checkout', '--detach', '--quiet', '--', treePath, commit], { cwd: layout.repoDir, io });
    await runGit(['reset', '--hard', '--quiet', commit], { cwd: treePath, io });
  } catch (e) {
    // git removes its half-made tree on SIGINT, but not on every failure.
    await removeWorktree(layout, treePath);
    throw e instanceof GitFailure ? gitError(e) : e;
  }
}

/**
 * Removes a work tree and its entry in the cache repository, without starting
 * git: deleting both folders is exactly what `git worktree remove --force`
 * does, and it works while another process holds the cache lock.
 */
export async function removeWorktree(layout: CacheLayout, treePath: string): Promise<void> {
  const admin = await adminDirOf(layout, treePath);
  await rm(treePath, { recursive: true, force: true, maxRetries: 3 });
  if (admin) await rm(admin, { recursive: true, force: true, maxRetries: 3 });
}

/** The `worktrees/<name>` folder in the cache repository that belongs to `treePath`, if any. */
async function adminDirOf(layout: CacheLayout, treePath: string): Promise<string | undefined> {
  const admin = await linkedGitDir(treePath);
  // Never delete outside the cache repository's own worktrees/ folder.
  const root = path.join(layout.repoDir, 'worktrees') + path.sep;
  return admin?.startsWith(root) ? admin : undefined;
}

/**
 * Housekeeping, run while holding the cache lock: removes temporary trees of
 * dead kpatch processes on this host and, after a crash (`afterCrash`), trees
 * git itself marked as half-made; then `git worktree prune` drops entries
 * whose folder is gone (e.g. a kept tree the user deleted with rm -rf).
 * Kept trees are never touched.
 */
export async function sweepWorktrees(layout: CacheLayout, io: Io, afterCrash: boolean): Promise<void> {
  const me = hostTag();
  let names: string[] = [];
  try {
    names = await readdir(layout.treesDir);
  } catch {
    // No trees yet.
  }
  const doomed: string[] = [];
  for (const name of names) {
    const m = TEMP_RE.exec(name);
    if (m && m[1] === me && !processAlive(Number(m[2]))) doomed.push(path.join(layout.treesDir, name));
  }

  let prune = false;
  const adminRoot = path.join(layout.repoDir, 'worktrees');
  let admins: string[] = [];
  try {
    admins = await readdir(adminRoot);
  } catch {
    // No worktrees registered.
  }
  for (const a of admins) {
    const dir = path.join(adminRoot, a);
    const gitdir = await readFile(path.join(dir, 'gitdir'), 'utf8').catch(() => '');
    // Absolute in git 2.39; relative with worktree.useRelativePaths (git 2.48+).
    const tree = gitdir.trim() ? path.dirname(path.resolve(dir, gitdir.trim())) : '';
    const locked = await readFile(path.join(dir, 'locked'), 'utf8').catch(() => undefined);
    if (afterCrash && locked !== undefined && locked.trim() === 'initializing') {
      // `git worktree add` was killed before it finished: a partial tree.
      if (tree.startsWith(layout.treesDir + path.sep)) doomed.push(tree);
      await rm(dir, { recursive: true, force: true });
      continue;
    }
    if (tree === '' || doomed.includes(tree) || !(await exists(tree))) prune = true;
  }

  await Promise.all(doomed.map((d) => removeWorktree(layout, d)));
  if (prune) {
    try {
      await runGit(['worktree', 'prune'], { cwd: layout.repoDir, io });
    } catch (e) {
      throw e instanceof GitFailure ? gitError(e) : e;
    }
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await readdir(p);
    return true;
  } catch {
    return false;
  }
}
