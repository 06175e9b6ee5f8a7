/**
 * The artifact folder, written all or nothing: everything goes to a
 * temporary folder beside `--out` (same file system, so the final rename is
 * atomic) and is renamed into place only when the build succeeded. A failed
 * or interrupted build leaves no `--out`; an existing one is replaced only
 * with `--force`.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import { fail, KpatchError } from '../errors.js';

/** A temporary artifact folder on its way to `out`. */
export interface StagedOutput {
  /** The final folder. */
  out: string;
  /** Where to write now. */
  dir: string;
  /** Moves `dir` to `out` (replacing an old `out` when forced). */
  commit(): Promise<void>;
  /** Removes `dir`; safe to call twice. */
  discard(): Promise<void>;
}

/** True when `p` exists. */
async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** Refuses an existing `out` without `force`; call before any work starts. */
export async function checkOutput(out: string, force: boolean): Promise<void> {
  if (!force && (await exists(out))) {
    fail('out_exists', { where: out });
  }
}

/** Creates the temporary folder beside `out`. */
export async function stageOutput(out: string, force: boolean): Promise<StagedOutput> {
  await checkOutput(out, force);
  const parent = path.dirname(out);
  const dir = path.join(parent, `.${path.basename(out)}.kpatch-tmp-${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(parent, { recursive: true });
    await mkdir(dir);
  } catch (e) {
    fail('out_unwritable', { where: parent, detail: (e as Error).message });
  }
  return {
    out,
    dir,
    async commit() {
      let old: string | undefined;
      if (await exists(out)) {
        if (!force) fail('out_exists', { where: out });
        old = path.join(parent, `.${path.basename(out)}.kpatch-old-${randomBytes(4).toString('hex')}`);
        await rename(out, old);
      }
      try {
        await rename(dir, out);
      } catch (e) {
        if (old) await rename(old, out).catch(() => {});
        fail('out_unwritable', { where: out, detail: (e as Error).message });
      }
      if (old) await rm(old, { recursive: true, force: true });
    },
    async discard() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// Errors that mean the disk or the folder would not take what was written.
const UNWRITABLE = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'EFBIG']);

/**
 * `out_unwritable` for a file-system error met while writing into the staged
 * folder (a full disk, a read-only or quota-limited file system), or
 * undefined for any other error. Without it such a failure surfaced as an
 * internal error with a stack trace, though it is the user's to fix.
 */
export async function outputWriteError(e: unknown, staged: StagedOutput): Promise<KpatchError | undefined> {
  const err = e as NodeJS.ErrnoException & { dest?: string };
  if (e instanceof KpatchError || !err || typeof err.code !== 'string' || !UNWRITABLE.has(err.code)) return undefined;
  const inside = (p: unknown) => typeof p === 'string' && (p === staged.dir || p.startsWith(staged.dir + path.sep));
  let ours = inside(err.path) || inside(err.dest);
  if (!ours && err.path === undefined && err.code === 'ENOSPC') {
    // write() errors name no file: blame --out only when its file system is the full one.
    const fs = await statfs(path.dirname(staged.out)).catch(() => undefined);
    ours = fs !== undefined && fs.bavail * fs.bsize < 1024 * 1024;
  }
  if (!ours) return undefined;
  return new KpatchError('out_unwritable', {
    where: path.dirname(staged.out),
    detail: `${err.message}\nnothing was left behind: no ${path.basename(staged.out)}, no temporary folder`,
  });
}
