/**
 * The one way kpatch opens a file it does not control for reading: a node's
 * /proc and /sys files (doctor), the settings file, a file in a user's
 * checkout or artifact folder. Nothing read this way can hang kpatch or
 * make it read without end:
 *
 * - the file is opened with O_NONBLOCK, so a FIFO opens at once instead of
 *   waiting for a writer, and a kernel file that would wait for data
 *   (`/proc/kmsg`) answers EAGAIN instead of waiting;
 * - the open file itself is judged with fstat (never the path, which could
 *   change in between): only a regular file is read, so a FIFO, a device
 *   (a link to /dev/zero never ends), a socket or a folder is refused by name;
 * - at most `maxBytes` are read: a larger file is refused, or, for callers
 *   that only need its head (`head`), the rest is left unread;
 * - reads go in chunks, checking the abort signal (Ctrl-C, SIGTERM, SIGHUP)
 *   between them.
 *
 * procfs, sysfs and cgroupfs files are regular files to fstat, so they pass
 * the same test with no exception by path or name. An exception by path
 * (anything under `<root>/proc`) would be unsafe: under `doctor --root` that
 * folder can hold anything. What differs is their size: st_size says nothing
 * there (0 in /proc, 4096 in sysfs and cgroupfs), so the bound is always on
 * the bytes read, and doctor reads them with `head`, which never trusts
 * st_size.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { fail } from './errors.js';

/** A file kpatch refuses to read, and why (one phrase, e.g. "is a FIFO (named pipe): only regular files are read"). */
export class UnsafeFile extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'UnsafeFile';
  }
}

/** What a file is, in words, for a refusal. */
export function describeKind(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  if (st.isDirectory()) return 'a folder';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

/** How to read one file. */
export interface BoundedReadOptions {
  /** The most bytes read: a larger file is refused, unless `head`. */
  maxBytes: number;
  /** Read the first `maxBytes` and leave the rest (for files whose head is all that matters), instead of refusing a larger file. */
  head?: boolean;
  /** Refuse a symbolic link instead of following it (ELOOP is thrown as it is). */
  noFollow?: boolean;
  /** Stops the read between chunks with `interrupted`. */
  signal?: AbortSignal;
}

const CHUNK = 64 * 1024;

function flags(noFollow?: boolean): number {
  return constants.O_RDONLY | constants.O_NONBLOCK | (noFollow ? constants.O_NOFOLLOW : 0);
}

/** The refusal for an opened file fstat says is not a regular file; undefined when it is one. */
function notRegular(file: string, st: Stats): UnsafeFile | undefined {
  return st.isFile() ? undefined : new UnsafeFile(file, `is ${describeKind(st)}: only regular files are read`);
}

function tooLarge(file: string, size: number, max: number): UnsafeFile {
  return new UnsafeFile(file, `is ${size} bytes, more than the ${max} a file of this kind can have`);
}

/** EAGAIN from a non-blocking read: a kernel file with nothing to read yet. */
function wouldBlock(file: string, e: unknown): UnsafeFile | undefined {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'EAGAIN' || code === 'EWOULDBLOCK' ? new UnsafeFile(file, 'has nothing to read yet: reading it would wait') : undefined;
}

/**
 * Opens `file` for reading if, and only if, it is a regular file; the handle
 * and its size (st_size) for callers that stream it (hashing, scanning a
 * binary). Throws UnsafeFile for anything else, and errno errors (ENOENT,
 * EACCES, ELOOP with `noFollow`) as they are.
 */
export async function openRegular(file: string, opts: { noFollow?: boolean } = {}): Promise<{ fh: FileHandle; size: number }> {
  const fh = await open(file, flags(opts.noFollow));
  const st = await fh.stat();
  const refused = notRegular(file, st);
  if (refused) {
    await fh.close();
    throw refused;
  }
  return { fh, size: st.size };
}

/** Reads a regular file (see the module comment), at most `maxBytes`, in chunks that honour the abort signal. */
export async function readBounded(file: string, opts: BoundedReadOptions): Promise<Buffer> {
  const { fh, size } = await openRegular(file, opts);
  try {
    if (!opts.head && size > opts.maxBytes) throw tooLarge(file, size, opts.maxBytes);
    const parts: Buffer[] = [];
    let total = 0;
    // One byte past the bound tells a file that grew past it from one that ends there.
    const limit = opts.head ? opts.maxBytes : opts.maxBytes + 1;
    while (total < limit) {
      if (opts.signal?.aborted) fail('interrupted');
      const buf = Buffer.allocUnsafe(Math.min(limit - total, CHUNK));
      const { bytesRead } = await fh.read(buf, 0, buf.length, null).catch((e: unknown) => {
        throw wouldBlock(file, e) ?? e;
      });
      if (bytesRead === 0) break;
      parts.push(buf.subarray(0, bytesRead));
      total += bytesRead;
    }
    if (total > opts.maxBytes) throw new UnsafeFile(file, `grew past ${opts.maxBytes} bytes while it was read`);
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  } finally {
    await fh.close();
  }
}

/**
 * {@link readBounded}, synchronously: for doctor, which reads a few dozen
 * tiny /proc and cgroup files per run, where one blocking read costs a
 * fraction of the promise round trips of the async API
 * (scripts/bench-startup.mjs). Safe to block on: the file is opened
 * non-blocking, checked to be a regular file and read to a bound, so every
 * call returns promptly, and the abort signal is checked before each chunk.
 */
export function readBoundedSync(file: string, opts: BoundedReadOptions): Buffer {
  if (opts.signal?.aborted) fail('interrupted');
  const fd = openSync(file, flags(opts.noFollow));
  try {
    const st = fstatSync(fd);
    const refused = notRegular(file, st);
    if (refused) throw refused;
    if (!opts.head && st.size > opts.maxBytes) throw tooLarge(file, st.size, opts.maxBytes);
    const parts: Buffer[] = [];
    let total = 0;
    const limit = opts.head ? opts.maxBytes : opts.maxBytes + 1;
    while (total < limit) {
      if (opts.signal?.aborted) fail('interrupted');
      // Sized to what the caller keeps (a cgroup file is a few bytes), not a fixed chunk per file.
      const buf = Buffer.allocUnsafe(Math.min(limit - total, CHUNK));
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        throw wouldBlock(file, e) ?? e;
      }
      if (n === 0) break;
      parts.push(buf.subarray(0, n));
      total += n;
    }
    if (total > opts.maxBytes) throw new UnsafeFile(file, `grew past ${opts.maxBytes} bytes while it was read`);
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  } finally {
    closeSync(fd);
  }
}
