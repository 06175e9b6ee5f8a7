/**
 * Counts the folders of a cgroup hierarchy. A busy node has tens of thousands
 * of memory cgroups (the kernel allows 65535), so the walk lists folders only,
 * never reads a file, does not list a folder whose link count says it has no
 * sub-folders (NodeFs.subdirCountSync), and stops at a folder or time budget,
 * saying so, rather than hang a monitoring probe.
 */
import type { NodeFs } from './nodeFs.js';

/** Budgets for one walk. */
export interface WalkLimits {
  /** Stop after counting this many folders. */
  maxDirs: number;
  /** Stop after this many milliseconds. */
  maxMs: number;
  /** Stops the walk when aborted (Ctrl-C). */
  signal?: AbortSignal;
}

/**
 * The default budgets: more folders than a kernel can have memory cgroups, so
 * a real node is never cut short by count, and a time limit well inside a
 * typical probe timeout (a full 65535-folder hierarchy lists in a few seconds).
 */
export const DEFAULT_WALK_LIMITS: WalkLimits = { maxDirs: 100_000, maxMs: 30_000 };

/** The result of a walk. */
export interface DirCount {
  /** Folders counted, the starting folder included (the kernel counts the root cgroup too). */
  dirs: number;
  /** Why the walk stopped early, when it did: then `dirs` is a lower bound. */
  capped?: string;
  /** False when some folder could not be listed (permissions, or deleted mid-walk). */
  complete: boolean;
  /** Wall time of the walk. */
  elapsedMs: number;
}

/** Counts `nodeDir` and every folder below it, within `limits`. */
export function countDirs(fs: NodeFs, nodeDir: string, limits: WalkLimits): DirCount {
  const started = Date.now();
  const stack = [fs.host(nodeDir)];
  let dirs = 0;
  let complete = true;
  let capped: string | undefined;
  while (stack.length > 0) {
    if (dirs >= limits.maxDirs) {
      capped = `folder limit of ${limits.maxDirs} reached`;
      break;
    }
    // Checking the clock on every folder costs more than the listing; every 256 is plenty.
    if ((dirs & 0xff) === 0xff) {
      if (limits.signal?.aborted) throw limits.signal.reason ?? new Error('aborted');
      if (Date.now() - started > limits.maxMs) {
        capped = `time limit of ${limits.maxMs} ms reached`;
        break;
      }
    }
    const dir = stack.pop() as string;
    // A leaf (every container cgroup) is counted from its link count alone.
    // The starting folder is always listed, so that a missing one is told apart.
    if (dirs > 0 && fs.subdirCountSync(dir) === 0) {
      dirs++;
      continue;
    }
    const listed = fs.subdirsSync(dir);
    if ('code' in listed) {
      // The starting folder itself must exist to count at all.
      if (dirs === 0 && stack.length === 0) return { dirs: 0, complete: false, elapsedMs: Date.now() - started };
      // A cgroup removed while we walk (a pod that just stopped) is simply gone;
      // anything else (EACCES) means folders we could not see.
      if (listed.code !== 'ENOENT') complete = false;
      continue;
    }
    dirs++;
    for (const s of listed.names) stack.push(`${dir}/${s}`);
  }
  return { dirs, capped, complete, elapsedMs: Date.now() - started };
}
