/**
 * `kpatch build --src DIR` never changes the user's checkout: the patch,
 * make's outputs (`_output/`) and the files a real Kubernetes make
 * regenerates (tracked `zz_generated.*`) all land in a private copy of the
 * checkout as it is (committed state plus uncommitted and untracked
 * changes), which lives under kpatch's cache and is removed afterwards.
 *
 * The copy is a plain file copy that skips the root's `.git` and `_output/`,
 * and kpatch's own folders when the user put them inside the checkout: the
 * artifact folder, and the cache folder the copy itself is made in (CI
 * workspaces set `KPATCH_CACHE_DIR=.kpatch-cache`; copying it would copy the
 * copy into itself until ENAMETOOLONG). Folders are compared by real path,
 * so a checkout or cache reached through a link is still recognised:
 * measured on the real v1.20.2 tree it is faster than `git stash create` +
 * `git worktree add` + an overlay of untracked files (scripts/bench-private-copy.mjs,
 * figures in docs/benchmarks.md), and it writes nothing into the user's `.git`
 * (stash objects, worktree registrations) and works on trees without git.
 * Skipping `_output/` also gives make a fresh output folder, so a kubelet
 * from an earlier make can never be collected as this build's.
 */
import { randomBytes } from 'node:crypto';
import { constants, type Dirent } from 'node:fs';
import { copyFile, lstat, mkdir, readdir, readlink, realpath, rm, rmdir, stat, symlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import { fail, KpatchError } from '../errors.js';
import { processAlive } from '../source/cacheLock.js';

/** A private copy of a checkout, and how to let go of it. */
export interface PrivateCopy {
  /** The copy's root: same folder name as the checkout, so messages and logs read the same. */
  root: string;
  /** Removes the copy; safe to call twice. */
  remove(): Promise<void>;
}

/** Options of {@link copyCheckout}. */
export interface CopyOptions {
  /** Absolute paths not to copy (besides the root's `.git`, `_output` and the cache folder): e.g. an `--out` inside the checkout. */
  skip?: string[];
  /** Stops the copy (then removed) and throws `interrupted`. */
  signal?: AbortSignal;
}

// Entries of the checkout's root that are never copied: git's own data (facts
// come from the checkout itself) and make's output folder (a build must start
// from a fresh one).
const ROOT_SKIP = new Set(['.git', '_output']);
// Copies in flight at once: enough to keep the disk busy on small files.
const PARALLEL = 32;

// `<cache>/tmp/src-<pid>-<random>/<checkout name>`: the pid says whose copy it is.
const COPY_NAME = /^src-(\d+)-[0-9a-f]{8}$/;

/**
 * Copies `src` into a new folder `<cacheDir>/tmp/src-<pid>-<random>/`.
 * Regular files keep their mode and mtime (make compares mtimes), links are
 * copied as links, FIFOs, sockets and devices are left out (make never needs
 * them, and reading a FIFO would hang). Copies left by a kpatch that was
 * killed outright are removed first.
 */
export async function copyCheckout(src: string, cacheDir: string, opts: CopyOptions = {}): Promise<PrivateCopy> {
  const base = path.join(cacheDir, 'tmp');
  await sweepCopies(base);
  const holder = path.join(base, `src-${process.pid}-${randomBytes(4).toString('hex')}`);
  const root = path.join(holder, path.basename(src));
  // A tmp/ this build made goes with the copy (when empty), so a refused build leaves the cache as it found it.
  const madeBase = (await stat(base).catch(() => undefined)) === undefined;
  const remove = async () => {
    await rm(holder, { recursive: true, force: true, maxRetries: 3 });
    if (madeBase) await rmdir(base).catch(() => {});
  };
  try {
    await mkdir(holder, { recursive: true });
    // Real paths on both sides: the walk starts at the checkout's real path, so the entries it meets are real paths too.
    const skip = new Set(await Promise.all([cacheDir, ...(opts.skip ?? [])].map(realPathOf)));
    await copyTree(await realpath(src), root, skip, opts.signal);
  } catch (e) {
    await remove();
    if (e instanceof KpatchError) throw e;
    const err = e as NodeJS.ErrnoException;
    fail('cache_error', { where: holder, detail: `cannot make the private copy of ${src} to build in: ${err.message}` });
  }
  return { root, remove };
}

async function copyTree(src: string, dest: string, skip: Set<string>, signal?: AbortSignal): Promise<void> {
  const dirs: [string, string][] = [[src, dest]];
  const files: [string, string, Dirent][] = [];
  await mkdir(dest);
  // Folders first, breadth-first, so every file's folder exists when the file is copied.
  while (dirs.length) {
    const [from, to] = dirs.shift()!;
    for (const d of await readdir(from, { withFileTypes: true })) {
      const a = path.join(from, d.name);
      if ((from === src && ROOT_SKIP.has(d.name)) || skip.has(a)) continue;
      const b = path.join(to, d.name);
      if (d.isDirectory()) {
        await mkdir(b);
        dirs.push([a, b]);
      } else {
        files.push([a, b, d]);
      }
    }
    if (signal?.aborted) fail('interrupted');
  }
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      if (signal?.aborted) fail('interrupted');
      const [a, b, d] = files[next++];
      if (d.isSymbolicLink()) {
        await symlink(await readlink(a), b);
      } else if (d.isFile()) {
        // FICLONE: a reflink where the file system has them, else a plain copy.
        await copyFile(a, b, constants.COPYFILE_FICLONE);
        const st = await lstat(a);
        await utimes(b, st.atime, st.mtime);
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
}

/** The real path of `p`, also when it does not exist yet (an --out to be made): its deepest existing folder's, resolved. */
async function realPathOf(p: string): Promise<string> {
  const abs = path.resolve(p);
  const real = await realpath(abs).catch(() => undefined);
  if (real) return real;
  const parent = path.dirname(abs);
  return parent === abs ? abs : path.join(await realPathOf(parent), path.basename(abs));
}

/** Removes copies whose kpatch is gone (killed with SIGKILL, or the machine went down). */
async function sweepCopies(base: string): Promise<void> {
  const entries = await readdir(base).catch(() => [] as string[]);
  for (const name of entries) {
    const m = COPY_NAME.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid !== process.pid && !processAlive(pid)) {
      await rm(path.join(base, name), { recursive: true, force: true }).catch(() => {});
    }
  }
}
