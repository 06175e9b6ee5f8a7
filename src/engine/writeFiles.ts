/**
 * Writing a set of files all or nothing: every new content goes to a
 * temporary file beside its target first; only when all are written are they
 * renamed into place, and if a rename fails the files already replaced are
 * put back. A reader never sees a half-written file.
 */
import { randomBytes } from 'node:crypto';
import { rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fail } from '../errors.js';

/** A file to replace: absolute path, its current text (for rollback) and the new text. */
export interface FileWrite {
  abs: string;
  /** Shown in messages. */
  path: string;
  before: string;
  after: string;
}

/**
 * Replaces every file or none; throws `write_failed` naming the file that
 * could not be written. When `signal` (Ctrl-C) is aborted before the first
 * file is replaced, nothing is replaced and `interrupted` is thrown; the
 * renames themselves are not interrupted, so a tree is never half patched.
 */
export async function writeFilesAtomically(writes: FileWrite[], signal?: AbortSignal): Promise<void> {
  const staged: { w: FileWrite; tmp: string }[] = [];
  try {
    for (const w of writes) {
      const tmp = path.join(path.dirname(w.abs), `.${path.basename(w.abs)}.kpatch-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
      const mode = (await stat(w.abs)).mode & 0o7777;
      staged.push({ w, tmp });
      await writeFile(tmp, w.after, { mode, flag: 'wx' });
    }
  } catch (e) {
    await Promise.all(staged.map((s) => unlink(s.tmp).catch(() => {})));
    const failed = staged[staged.length - 1]?.w.path ?? writes[0]?.path;
    fail('write_failed', { where: failed, detail: `${(e as Error).message}\nno file was changed` });
  }
  if (signal?.aborted) {
    await Promise.all(staged.map((s) => unlink(s.tmp).catch(() => {})));
    fail('interrupted', { detail: 'no file was changed' });
  }
  const done: FileWrite[] = [];
  for (const s of staged) {
    try {
      await rename(s.tmp, s.w.abs);
      done.push(s.w);
    } catch (e) {
      await Promise.all(staged.map((x) => unlink(x.tmp).catch(() => {})));
      await rollback(done);
      fail('write_failed', { where: s.w.path, detail: `${(e as Error).message}\nthe files already replaced were restored` });
    }
  }
}

async function rollback(done: FileWrite[]): Promise<void> {
  for (const w of done) {
    const tmp = `${w.abs}.kpatch-restore-${randomBytes(4).toString('hex')}`;
    await writeFile(tmp, w.before).then(() => rename(tmp, w.abs)).catch(() => {});
  }
}
