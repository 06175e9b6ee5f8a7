/**
 * Reading files that come from someone else (an artifact folder downloaded
 * from CI, a reviewed patch named on the command line) and writing files
 * where a user pointed kpatch, without ever hanging or crashing on what is
 * found there.
 *
 * Reads go through readBounded.ts (O_NONBLOCK, only a regular file, judged
 * by fstat of the open file), with O_NOFOLLOW inside a folder so a link
 * cannot lead elsewhere. Reading goes in chunks and checks the abort signal
 * between them, so Ctrl-C, SIGTERM and SIGHUP are honoured during a read.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, realpath, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { fail } from './errors.js';
import { openRegular as openRegularFile, readBounded, UnsafeFile } from './readBounded.js';

export { describeKind, UnsafeFile } from './readBounded.js';

const CHUNK = 1 << 20;

/** How to open an untrusted file. */
export interface SafeReadOptions {
  /** The folder the file must stay inside: no link may lead out of it (the file itself may not be a link). */
  inside?: string;
  /** Aborts a long read (Ctrl-C, SIGTERM, SIGHUP). */
  signal?: AbortSignal;
  /** Refuse files larger than this (text read whole into memory). */
  maxBytes?: number;
}

/**
 * Opens `file` for reading if, and only if, it is a regular file (and, with
 * `inside`, a file inside that folder reached through no link). Throws
 * UnsafeFile for anything else; ENOENT and EACCES are thrown as they are.
 */
export async function openRegular(file: string, opts: SafeReadOptions = {}): Promise<{ fh: FileHandle; size: number }> {
  let target = file;
  if (opts.inside) {
    // The folders on the way may not be links out either: compare real paths.
    const root = await realpath(opts.inside);
    const parent = await realpath(path.dirname(file));
    if (parent !== root && !parent.startsWith(root + path.sep))
      throw new UnsafeFile(file, `is reached through a link to ${parent}, outside ${opts.inside}`);
    target = path.join(parent, path.basename(file));
  }
  let opened: { fh: FileHandle; size: number };
  try {
    opened = await openRegularFile(target, { noFollow: opts.inside !== undefined });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') {
      const to = await realpath(target).catch(() => undefined);
      const out = to && opts.inside && !to.startsWith((await realpath(opts.inside)) + path.sep);
      throw new UnsafeFile(
        file,
        `is a symbolic link${to ? ` to ${to}` : ''}${out ? ', outside the folder' : ''}: only regular files are read`,
      );
    }
    // Named as the caller named it, not by the real path it was opened through.
    if (e instanceof UnsafeFile) throw new UnsafeFile(file, e.reason);
    throw e;
  }
  const { fh, size } = opened;
  if (opts.maxBytes !== undefined && size > opts.maxBytes) {
    await fh.close();
    throw new UnsafeFile(file, `is ${size} bytes, more than the ${opts.maxBytes} a file of this kind can have`);
  }
  return { fh, size };
}

/** Reads the whole of a regular file (see openRegular), in chunks that honour the abort signal. */
export async function readRegular(file: string, opts: SafeReadOptions = {}): Promise<Buffer> {
  const parts: Buffer[] = [];
  await eachChunk(file, opts, (c) => void parts.push(Buffer.from(c)));
  return Buffer.concat(parts);
}

/** The SHA-256 and size of a regular file (see openRegular), streamed in chunks that honour the abort signal. */
export async function hashRegular(file: string, opts: SafeReadOptions = {}): Promise<{ sha256: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  await eachChunk(file, opts, (c) => {
    h.update(c);
    size += c.length;
  });
  return { sha256: h.digest('hex'), size };
}

async function eachChunk(file: string, opts: SafeReadOptions, use: (chunk: Buffer) => void): Promise<void> {
  const { fh } = await openRegular(file, opts);
  try {
    const buf = Buffer.alloc(CHUNK);
    let total = 0;
    for (;;) {
      if (opts.signal?.aborted) fail('interrupted');
      const { bytesRead } = await fh.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      // The file may grow while it is read.
      if (opts.maxBytes !== undefined && total > opts.maxBytes)
        throw new UnsafeFile(file, `grew past ${opts.maxBytes} bytes while it was read`);
      use(buf.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
}

/**
 * Writes `text` to `file` atomically (a temporary file beside it, then a
 * rename), making the folders on the way. Any failure (a read-only folder, a
 * path through a file, a folder where the file should be, /dev/null, a full
 * disk) is `out_unwritable` naming `flag`, and leaves nothing behind: neither
 * the temporary file nor a folder this call made.
 */
export async function writeFileAtomic(file: string, text: string, flag: string): Promise<void> {
  let made: string | undefined;
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    made = await makeDirs(path.dirname(file));
    const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    try {
      await fh.writeFile(text);
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {});
    if (made) await rm(made, { recursive: true, force: true }).catch(() => {});
    const err = e as NodeJS.ErrnoException;
    fail('out_unwritable', {
      where: `${flag} ${file}`,
      detail: `${err.code ?? 'error'}: ${explainWriteError(err.code)}`,
      hint: `pass ${flag} a folder you can write (it is made if missing); nothing was written`,
    });
  }
}

function explainWriteError(code: string | undefined): string {
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a folder';
    case 'EISDIR':
      return 'a folder is in the way where the file would go';
    case 'ENOSPC':
      return 'the disk is full';
    case 'EEXIST':
      return 'a file is in the way where a folder would go';
    default:
      return 'cannot write there';
  }
}

/**
 * `mkdir -p` that fails at once. Node's own recursive mkdir retries for ever
 * where a parent exists but refuses children with ENOENT (a cache path under
 * /proc or /sys): here each missing folder is made once, from the deepest
 * existing one down, and the first refusal is thrown. Returns the first
 * folder it made (undefined when all existed), so a caller can undo it.
 */
export async function makeDirs(dir: string): Promise<string | undefined> {
  const missing: string[] = [];
  let at = path.resolve(dir);
  for (;;) {
    try {
      const st = await stat(at);
      if (!st.isDirectory())
        throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${dir}' (${at} is a file)`), { code: 'ENOTDIR' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      const parent = path.dirname(at);
      missing.unshift(at);
      if (parent === at) break;
      at = parent;
    }
  }
  for (const d of missing) {
    try {
      await mkdir(d);
    } catch (e) {
      // Made meanwhile by another kpatch: fine; anything else is final.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  return missing[0];
}

/** The largest reviewed patch kpatch reads (a real one is a few KB). */
export const MAX_PATCH_BYTES = 16 << 20;

/**
 * A text file the user named (`build --patch FILE`, the `diff --check` file):
 * links are followed (it is the user's own path), but only a regular file is
 * read, so a FIFO or a link to /dev/zero is a usage error naming `flag`,
 * never a hang. Undefined when the file does not exist (the caller decides
 * whether that is an error).
 */
export async function readUserText(file: string, flag: string, signal?: AbortSignal): Promise<string | undefined> {
  try {
    return (await readBounded(file, { signal, maxBytes: MAX_PATCH_BYTES })).toString('utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') return undefined;
    if (e instanceof UnsafeFile) fail('usage', { where: `${flag} ${file}`, detail: e.reason, hint: `give ${flag} a regular file` });
    if (err.code) fail('usage', { where: `${flag} ${file}`, detail: err.message });
    throw e;
  }
}
