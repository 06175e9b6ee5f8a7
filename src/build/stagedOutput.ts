/**
 * The artifact folder, written all or nothing: everything goes to a
 * temporary folder beside `--out` (same file system, so the final rename is
 * atomic) and is renamed into place only when the build succeeded. A failed
 * or interrupted build leaves no `--out`; an existing one is replaced only
 * with `--force`.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fail } from '../errors.js';

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
