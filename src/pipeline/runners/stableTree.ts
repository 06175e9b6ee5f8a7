/**
 * One fixed path for the local runner's build tree. Kubernetes' harness
 * compiles with `-gcflags -trimpath=${KUBE_ROOT}` and
 * `-asmflags -trimpath=${KUBE_ROOT}` (hack/lib/golang.sh), so the tree's
 * absolute path is part of every compile's flags, hence of every Go build
 * cache key and of the build IDs in the binary. kpatch builds each release in
 * a new work tree (or private copy), so a second local build of the same tag
 * missed the whole cache and wrote a kubelet that differed from the first:
 * scripts/bench-warm.mjs measured warm/cold 1.00x and "bit-identical: no" on
 * the real v1.20.2. Container runners mount the tree at one fixed path
 * (runner.ts, CONTAINER_TREE); this gives the local runner the same: the tree
 * is renamed to `<cache>/build/local/tree/<name>` for make and renamed back
 * after, whatever happens. A symlink would not do: KUBE_ROOT is `pwd -P`.
 *
 * The fixed path holds one build at a time (a lock next to it). A build that
 * finds it taken waits, as two local builds would fight over two cores anyway.
 * A git work tree of the tag cache is locked (`git worktree lock`'s file)
 * while it is away, so a `git worktree prune` by another kpatch does not
 * drop it for missing.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fail } from '../../errors.js';
import { acquireLock } from '../../source/cacheLock.js';
import { linkedGitDir } from '../../source/linkedGitDir.js';

/** The tree to build in, and how to put it back. */
export interface StableTree {
  /** Where make runs: the fixed path, or the tree itself when it could not be moved. */
  tree: string;
  /** Renames the tree back and lets go of the fixed path. Safe to call twice. */
  restore(): Promise<void>;
}

/**
 * Moves `tree` (a tree kpatch owns: a fresh work tree or a private copy,
 * never the user's checkout) to the fixed path under `cacheDir`. `name` is
 * the last part of that path (`kubernetes`, `runc`). `say` reports waiting
 * and why a build runs at its own path (a tree on another file system than
 * the cache cannot be renamed: its build is cold).
 */
export async function atStablePath(
  tree: string,
  cacheDir: string,
  name: string,
  say: (line: string) => void,
  signal?: AbortSignal,
): Promise<StableTree> {
  const home = path.join(cacheDir, 'tree');
  await mkdir(home, { recursive: true });
  const lock = await acquireLock(path.join(home, `${name}.lock`), {
    signal,
    onWait: (o) => say(`kpatch: waiting for another local build (pid ${o.pid}) to free ${path.join(home, name)}`),
  });
  const stable = path.join(home, name);
  const unlockWorktree = await lockWorktree(tree);
  try {
    // Left by a build that was killed (SIGKILL, power): a kpatch-owned copy, never a user's tree.
    await rm(stable, { recursive: true, force: true });
    await rename(tree, stable);
  } catch (e) {
    await unlockWorktree();
    await lock.release();
    const err = e as NodeJS.ErrnoException;
    if (err.code !== 'EXDEV') {
      // The tree is kpatch's own (a cache work tree or private copy): a failure here is the cache's.
      fail('cache_error', { where: stable, detail: `cannot move the build tree ${tree} there: ${err.code ?? ''} ${err.message}`.trim() });
    }
    say(`kpatch: ${tree} is on another file system than the cache; building it in place, so Go's build cache will not be reused`);
    return { tree, restore: async () => {} };
  }
  let restored = false;
  return {
    tree: stable,
    async restore() {
      if (restored) return;
      restored = true;
      try {
        await rename(stable, tree);
      } finally {
        await unlockWorktree();
        await lock.release();
      }
    },
  };
}

/**
 * When `tree` is a linked git work tree (its `.git` is a file naming the
 * admin folder), writes the admin folder's `locked` file unless there is one;
 * returns what undoes it.
 */
async function lockWorktree(tree: string): Promise<() => Promise<void>> {
  const admin = await linkedGitDir(tree);
  if (!admin) return async () => {};
  const locked = path.join(admin, 'locked');
  try {
    await writeFile(locked, 'kpatch: building at a fixed path (src/pipeline/runners/stableTree.ts)\n', { flag: 'wx' });
  } catch {
    return async () => {}; // already locked (by the user, or not a work tree we know): leave it
  }
  return () => rm(locked, { force: true });
}
