/**
 * Read-only access to a node's files under a root folder (`/` on a real node,
 * a temporary folder standing in for it in tests).
 *
 * Every file-system call that `kpatch doctor` makes goes through this module,
 * and this module only ever reads (`readdir`, `stat`, `readlink`, and file
 * reads through readBounded.ts, which opens read-only). Keeping the calls in
 * one place makes the "doctor never writes to /sys or /proc" promise easy to
 * audit and to test: test/doctor/readOnly.test.ts checks the sources for any
 * writing API.
 *
 * A file doctor would not read (a FIFO, a device, a socket, a kernel file
 * that would wait: see readBounded.ts) is a fact of its own: it is recorded
 * in {@link NodeFs.refused}, and the node's state is then `unknown`, because
 * no kernel puts such a thing where doctor reads and no verdict should rest
 * on a root that holds one.
 */
import { readdirSync, statSync } from 'node:fs';
import { readlink } from 'node:fs/promises';
import type { Dirent, Stats } from 'node:fs';
import path from 'node:path';
import { readBoundedSync, UnsafeFile } from '../readBounded.js';

/**
 * What reading one file gave: its text, or the error code that stopped it
 * ({@link REFUSED} for a file doctor would not read; its `message` then says
 * what the file is: "is a FIFO (named pipe)").
 */
export type ReadResult = { ok: true; text: string } | { ok: false; code: string; message: string };

/** The code of a {@link ReadResult} for a file doctor would not read. */
export const REFUSED = 'REFUSED';

/** A node's file system seen from `root`, addressed by node paths such as `/proc/cgroups`. */
export class NodeFs {
  /** Absolute path of the folder that stands for the node's `/`. */
  readonly root: string;

  /** Files doctor would not read, as node paths with why (`/proc/cgroups is a FIFO (named pipe)`), in the order met. */
  readonly refused: string[] = [];

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /**
   * Records a file doctor would not read (see the module comment), with the
   * reason readBounded.ts gave; returns the reason as recorded, the kind of
   * file only ("is a FIFO (named pipe)"): the verdict's words say once that
   * doctor reads only regular files.
   */
  refuse(nodePath: string, reason: string): string {
    const kind = reason.replace(/: only regular files are read$/, '');
    const line = `${nodePath} ${kind}`;
    if (!this.refused.includes(line)) this.refused.push(line);
    return kind;
  }

  /** Host path of a node path: `/proc/cgroups` under root `/tmp/x` is `/tmp/x/proc/cgroups`. */
  host(nodePath: string): string {
    return path.join(this.root, nodePath);
  }

  /**
   * Reads the first `maxBytes` of a (small) file as UTF-8. Errors are
   * returned, not thrown, because on a node the error itself is a fact:
   * `EIO` from `memory.kmem.slabinfo` means kmem accounting is off for that
   * cgroup. A file that is not a regular file is refused (code
   * {@link REFUSED}) and recorded in {@link refused}.
   *
   * Synchronous inside, like every call here: doctor is a probe that runs on
   * every node every minute, and one blocking `read` of a tiny proc or cgroup
   * file costs a fraction of the three promise round trips (open, read,
   * close) of the async API (scripts/bench-startup.mjs). The buffer is sized
   * to what the caller will keep, not a fixed 64 KiB per file.
   */
  async read(nodePath: string, maxBytes = 1 << 20): Promise<ReadResult> {
    try {
      return { ok: true, text: readBoundedSync(this.host(nodePath), { maxBytes, head: true }).toString('utf8') };
    } catch (e) {
      if (e instanceof UnsafeFile) {
        const reason = this.refuse(nodePath, e.reason);
        return { ok: false, code: REFUSED, message: reason };
      }
      return errorResult(e);
    }
  }

  /** Like {@link read} for files that only matter when present; undefined on any error. */
  async readOptional(nodePath: string): Promise<string | undefined> {
    const r = await this.read(nodePath);
    return r.ok ? r.text : undefined;
  }

  /** `stat` of a node path, or undefined when it cannot be looked at. */
  async stat(nodePath: string): Promise<Stats | undefined> {
    return this.statSync(nodePath);
  }

  /**
   * {@link stat}, synchronously: doctor stats every pod cgroup (a thousand on a
   * busy node) to find the newest, and a promise each costs several times the
   * call itself.
   */
  statSync(nodePath: string): Stats | undefined {
    try {
      return statSync(this.host(nodePath));
    } catch {
      return undefined;
    }
  }

  /** Where a symbolic link points (`/proc/<pid>/exe`), or undefined when it cannot be read. */
  async readLink(nodePath: string): Promise<string | undefined> {
    try {
      return await readlink(this.host(nodePath));
    } catch {
      return undefined;
    }
  }

  /** True when the node path is a folder. */
  async isDir(nodePath: string): Promise<boolean> {
    return (await this.stat(nodePath))?.isDirectory() ?? false;
  }

  /**
   * Names of the sub-folders of a host folder, synchronously: the memory
   * hierarchy walk lists tens of thousands of folders, and one blocking
   * `readdir` each is several times faster than a promise each. Symbolic links
   * are not followed (cgroupfs has none). On failure, the error code instead.
   */
  subdirsSync(hostDir: string): { names: string[] } | { code: string } {
    try {
      const names: string[] = [];
      for (const e of readdirSync(hostDir, { withFileTypes: true })) if (e.isDirectory()) names.push(e.name);
      return { names };
    } catch (e) {
      return { code: (e as NodeJS.ErrnoException).code ?? 'UNKNOWN' };
    }
  }

  /**
   * How many sub-folders a host folder has, read from its link count without
   * listing it: 0 for a leaf, undefined when the link count says nothing.
   * cgroupfs (kernfs) sets a folder's link count to 2 plus its sub-folders,
   * as ext4 and tmpfs do, so a leaf cgroup (most of them: containers) costs
   * one `stat` instead of opening and listing its thirty-odd control files.
   * File systems that keep no such count (btrfs, some FUSE) report 1 and get
   * listed, the rule GNU find uses for its leaf optimisation.
   */
  subdirCountSync(hostDir: string): number | undefined {
    try {
      const { nlink } = statSync(hostDir);
      return nlink >= 2 ? nlink - 2 : undefined;
    } catch {
      return undefined;
    }
  }

  /** The entries of a folder, with their types; empty when it cannot be listed. */
  async list(nodePath: string): Promise<Dirent[]> {
    try {
      return readdirSync(this.host(nodePath), { withFileTypes: true });
    } catch {
      return [];
    }
  }
}

/** Why `name` gave no text, for a report: `name: EACCES`, or `name is a FIFO (named pipe)`. */
export function describeUnread(name: string, r: { code: string; message: string }): string {
  return r.code === REFUSED ? `${name} ${r.message}` : `${name}: ${r.code}`;
}

function errorResult(e: unknown): ReadResult {
  const err = e as NodeJS.ErrnoException;
  return { ok: false, code: err.code ?? 'UNKNOWN', message: err.message ?? String(e) };
}
