/**
 * Read-only access to a node's files under a root folder (`/` on a real node,
 * a temporary folder standing in for it in tests).
 *
 * Every file-system call that `kpatch doctor` makes goes through this module,
 * and this module only ever opens files for reading (`readFile`, `opendir`,
 * `readdir`, `stat`, `open(..., 'r')`). Keeping the calls in one place makes the
 * "doctor never writes to /sys or /proc" promise easy to audit and to test:
 * test/doctor/readOnly.test.ts checks the sources for any writing API.
 */
import { constants } from 'node:fs';
import { readdirSync } from 'node:fs';
import { open, readdir, readlink, stat } from 'node:fs/promises';
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
   */
  async read(nodePath: string, maxBytes = 1 << 20): Promise<ReadResult> {
    try {
      const fh = await open(this.host(nodePath), constants.O_RDONLY);
      try {
        // cgroup and proc files report size 0, so read until EOF rather than by size.
        const chunks: Buffer[] = [];
        let total = 0;
        for (;;) {
          const buf = Buffer.alloc(64 * 1024);
          const { bytesRead } = await fh.read(buf, 0, buf.length, null);
          if (bytesRead === 0) break;
          chunks.push(buf.subarray(0, bytesRead));
          total += bytesRead;
          if (total >= maxBytes) break;
        }
        return { ok: true, text: Buffer.concat(chunks).toString('utf8') };
      } finally {
        await fh.close();
      }
    } catch (e) {
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
    try {
      return await stat(this.host(nodePath));
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

  /** The entries of a folder, with their types; empty when it cannot be listed. */
  async list(nodePath: string): Promise<Dirent[]> {
    try {
      return await readdir(this.host(nodePath), { withFileTypes: true });
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
