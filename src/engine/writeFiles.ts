/**
 * Writing a set of files all or nothing: every new content goes to a
 * temporary file beside its target first; only when all are written are they
 * renamed into place, and if a rename fails the files already replaced are
 * put back. A reader never sees a half-written file.
 *
 * The replacement is a new file, so what the old one carried besides its
 * text is copied over by hand: its permission bits (exactly, not through the
 * umask) and its owner and group. A file with other hard links is refused:
 * the rename would give only this name the new text and leave the others on
 * the old one, silently splitting what the user made one file. And just
 * before the first rename every target is read again: if it is no longer the
 * text the change was computed from (an editor saved it, a line was appended
 * meanwhile), nothing is replaced, so such an edit is never lost.
 */
import { randomBytes } from 'node:crypto';
import { lstat, open, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { fail } from '../errors.js';

/** A file to replace: absolute path, its current text (for rollback) and the new text. */
export interface FileWrite {
  abs: string;
  /** Shown in messages. */
  path: string;
  /** The text the change was computed from; the file must still hold it when the renames start. */
  before: string;
  after: string;
}

/**
 * Replaces every file or none; throws `write_failed` naming the file that
 * could not be written, `hard_linked` for a target with other names, and
 * `target_changed` when a target no longer holds `before`. When `signal`
 * (Ctrl-C) is aborted before the first file is replaced, nothing is replaced
 * and `interrupted` is thrown; the renames themselves are not interrupted, so
 * a tree is never half patched.
 */
export async function writeFilesAtomically(writes: FileWrite[], signal?: AbortSignal): Promise<void> {
  const staged: { w: FileWrite; tmp: string; st: Stats }[] = [];
  const dropStaged = () => Promise.all(staged.map((s) => unlink(s.tmp).catch(() => {})));
  for (const w of writes) {
    const st = await lstat(w.abs).catch(async (e: Error) => {
      await dropStaged();
      return fail('write_failed', { where: w.path, detail: `${e.message}\nno file was changed` });
    });
    if (st.isFile() && st.nlink > 1) {
      await dropStaged();
      fail('hard_linked', {
        where: w.path,
        detail: `${w.abs} has ${st.nlink} names (hard links); writing the patched text under one of them would leave the others on the old text\nno file was changed`,
      });
    }
    const tmp = path.join(path.dirname(w.abs), `.${path.basename(w.abs)}.kpatch-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
    staged.push({ w, tmp, st });
    try {
      await writeLike(tmp, w.after, st);
    } catch (e) {
      await dropStaged();
      fail('write_failed', { where: w.path, detail: `${(e as Error).message}\nno file was changed` });
    }
  }
  if (signal?.aborted) {
    await dropStaged();
    fail('interrupted', { detail: 'no file was changed' });
  }
  // The last look before anything is replaced: the file must still be the one read.
  for (const s of staged) {
    const why = await changedSince(s.w, s.st);
    if (why) {
      await dropStaged();
      fail('target_changed', { where: s.w.path, detail: `${why} after kpatch read it\nno file was changed` });
    }
  }
  const done: FileWrite[] = [];
  for (const s of staged) {
    try {
      await rename(s.tmp, s.w.abs);
      done.push(s.w);
    } catch (e) {
      await dropStaged();
      await rollback(done, staged);
      fail('write_failed', { where: s.w.path, detail: `${(e as Error).message}\nthe files already replaced were restored` });
    }
  }
}

/**
 * Writes `text` to the new file `file` with the owner, group and permission
 * bits of `like`. chown comes first: it clears set-id bits, which chmod then
 * restores; both go through the open descriptor, so the umask plays no part.
 */
async function writeLike(file: string, text: string, like: Stats): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(file, 'wx', 0o600);
    await fh.writeFile(text);
    const mine = await fh.stat();
    if (mine.uid !== like.uid || mine.gid !== like.gid) await fh.chown(like.uid, like.gid);
    await fh.chmod(like.mode & 0o7777);
  } finally {
    await fh?.close();
  }
}

/** Why the file at `w.abs` is no longer what was read (undefined when it still is). */
async function changedSince(w: FileWrite, was: Stats): Promise<string | undefined> {
  const now = await lstat(w.abs).catch(() => undefined);
  if (!now) return 'the file was removed';
  if (now.ino !== was.ino || now.dev !== was.dev) return 'the file was replaced by another one';
  if (now.nlink > 1) return `the file gained a hard link (${now.nlink} names)`;
  const text = await readFile(w.abs, 'utf8').catch(() => undefined);
  if (text !== w.before) return `the file changed (${was.size} -> ${now.size} bytes)`;
  return undefined;
}

async function rollback(done: FileWrite[], staged: { w: FileWrite; st: Stats }[]): Promise<void> {
  for (const w of done) {
    const st = staged.find((s) => s.w === w)?.st;
    const tmp = `${w.abs}.kpatch-restore-${randomBytes(4).toString('hex')}`;
    await (st ? writeLike(tmp, w.before, st) : Promise.reject(new Error('no stat')))
      .then(() => rename(tmp, w.abs))
      .catch(() => unlink(tmp).catch(() => {}));
  }
}
