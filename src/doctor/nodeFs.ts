/**
 * Read-only access to a node's files under a root folder (`/` on a real node,
 * a temporary folder standing in for it in tests).
 *
 * Every file-system call that `kpatch doctor` makes goes through this module,
 * and this module only ever opens files for reading (`readdir`, `stat`,
 * `open(..., O_RDONLY)` and `read`). Keeping the calls in one place makes the
 * "doctor never writes to /sys or /proc" promise easy to audit and to test:
 * test/doctor/readOnly.test.ts checks the sources for any writing API.
 */
import { closeSync, constants, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { open, readlink } from 'node:fs/promises';
import type { Dirent, Stats } from 'node:fs';
import path from 'node:path';

/** What reading one file gave: its text, or the error code that stopped it. */
export type ReadResult = { ok: true; text: string } | { ok: false; code: string; message: string };

/** A node's file system seen from `root`, addressed by node paths such as `/proc/cgroups`. */
export class NodeFs {
  /** Absolute path of the folder that stands for the node's `/`. */
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** Host path of a node path: `/proc/cgroups` under root `/tmp/x` is `/tmp/x/proc/cgroups`. */
  host(nodePath: string): string {
    return path.join(this.root, nodePath);
  }

  /**
   * Reads a whole (small) file as UTF-8. Errors are returned, not thrown,
   * because on a node the error itself is a fact: `EIO` from
   * `memory.kmem.slabinfo` means kmem accounting is off for that cgroup.
   *
   * Synchronous inside, like every call here: doctor is a probe that runs on
   * every node every minute, and one blocking `read` of a tiny proc or cgroup
   * file costs a fraction of the three promise round trips (open, read,
   * close) of the async API (scripts/bench-startup.mjs). The buffer is sized
   * to what the caller will keep, not a fixed 64 KiB per file.
   */
  async read(nodePath: string, maxBytes = 1 << 20): Promise<ReadResult> {
    let fd: number;
    try {
      fd = openSync(this.host(nodePath), constants.O_RDONLY);
    } catch (e) {
      return errorResult(e);
    }
    try {
      // cgroup and proc files report size 0, so read until EOF rather than by size.
      const chunks: Buffer[] = [];
      let total = 0;
      while (total < maxBytes) {
        const buf = Buffer.allocUnsafe(Math.min(maxBytes - total, 64 * 1024));
        const n = readSync(fd, buf, 0, buf.length, null);
        if (n === 0) break;
        chunks.push(buf.subarray(0, n));
        total += n;
      }
      return { ok: true, text: (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)).toString('utf8') };
    } catch (e) {
      return errorResult(e);
    } finally {
      closeSync(fd);
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

/** Reads a host file (not under the node root) for reading only; used for `--kubelet`/`--runc`. */
export async function openForReading(hostPath: string) {
  return open(hostPath, constants.O_RDONLY);
}

function errorResult(e: unknown): ReadResult {
  const err = e as NodeJS.ErrnoException;
  return { ok: false, code: err.code ?? 'UNKNOWN', message: err.message ?? String(e) };
}
