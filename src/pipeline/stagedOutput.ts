/**
 * The artifact folder, written all or nothing: everything goes to a
 * temporary folder beside `--out` (same file system, so the final rename is
 * atomic) and is renamed into place only when the build succeeded. A failed
 * or interrupted build leaves no `--out`; an existing one is replaced only
 * with `--force`, and only when kpatch wrote it (its manifest.json says so).
 * `--out` is never the checkout, the cache or the current folder, nor a
 * folder around one of them.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, realpath, rename, rm, stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import { fail, KpatchError } from '../errors.js';
import { readBounded } from '../readBounded.js';

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

/** Folders `--out` must never be, nor contain: replacing it would delete them. */
export interface ProtectedFolders {
  /** `--src`, the user's checkout. */
  src?: string;
  /** kpatch's cache. */
  cacheDir: string;
  /** The current folder (and so its ancestors). */
  cwd: string;
}

/**
 * Refuses an existing `out` without `force`, and with `force` any folder
 * kpatch did not write (recognised by its manifest.json); with `protect`,
 * refuses (a usage error, with or without `--force`) an `out` that is or
 * contains the checkout, the cache, or the current folder. Call before any
 * work starts.
 */
export async function checkOutput(out: string, force: boolean, protect?: ProtectedFolders): Promise<void> {
  if (protect) await refuseProtected(out, protect);
  if (!(await exists(out))) return;
  if (!force) fail('out_exists', { where: out });
  await checkOurs(out);
}

/** `p` with every existing part's links resolved, so a link cannot disguise a protected folder. */
async function realish(p: string): Promise<string> {
  const abs = path.resolve(p);
  const tail: string[] = [];
  let head = abs;
  for (;;) {
    const real = await realpath(head).catch(() => undefined);
    if (real !== undefined) return path.join(real, ...tail.reverse());
    const up = path.dirname(head);
    if (up === head) return abs;
    tail.push(path.basename(head));
    head = up;
  }
}

/** True when `inner` is `outer` or lies inside it. */
function within(inner: string, outer: string): boolean {
  const rel = path.relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

async function refuseProtected(out: string, protect: ProtectedFolders): Promise<void> {
  const o = await realish(out);
  const named: [string, string | undefined][] = [
    ['the source tree (--src)', protect.src],
    ["kpatch's cache folder", protect.cacheDir],
    ['the current folder', protect.cwd],
  ];
  for (const [what, p] of named) {
    if (p === undefined) continue;
    const r = await realish(p);
    if (within(r, o)) {
      fail('usage', {
        where: `--out ${out}`,
        detail: `${r === o ? 'is' : 'contains'} ${what} (${p}): the artifact folder is replaced as a whole, so it can never be that folder or one around it (with or without --force)`,
        hint: 'name a new folder for the artifacts, e.g. --out ./_kpatch/<tag>',
      });
    }
  }
}

/** Whether `dir` is an artifact folder kpatch wrote: a folder whose manifest.json is a kpatch build manifest. */
export async function writtenByKpatch(dir: string): Promise<boolean> {
  const st = await lstat(dir).catch(() => undefined);
  if (!st?.isDirectory()) return false;
  try {
    // A manifest.json that is a FIFO or a device (readBounded.ts refuses it) is no kpatch manifest.
    const text = (await readBounded(path.join(dir, 'manifest.json'), { maxBytes: 64 << 20 })).toString('utf8');
    const m = JSON.parse(text) as Record<string, unknown>;
    return typeof m.kpatchVersion === 'string' && typeof m.schemaVersion === 'number' && Array.isArray(m.artifacts);
  } catch {
    return false;
  }
}

async function checkOurs(out: string): Promise<void> {
  if (await writtenByKpatch(out)) return;
  fail('out_exists', {
    where: out,
    detail: 'it is not an artifact folder kpatch wrote (no kpatch manifest.json in it), so --force does not replace it',
    hint: 'choose another --out, or move that folder away yourself; it was left as it is',
  });
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
        // Checked again at the last moment: --force only ever replaces a folder kpatch wrote.
        await checkOurs(out);
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
