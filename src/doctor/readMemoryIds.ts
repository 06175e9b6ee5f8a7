/**
 * How many memory cgroup IDs the kernel has handed out, against how many
 * memory cgroup folders still exist. The kernel has 65535 memcg IDs; on an
 * affected node every deleted pod leaves its ID taken, so the kernel's count
 * (the `memory` row of `/proc/cgroups`) climbs while the folders do not. The
 * difference is the leak itself.
 */
import { describeUnread, type NodeFs } from './nodeFs.js';
import { countDirs, type DirCount, type WalkLimits } from './countDirs.js';

/** The number of memcg IDs a kernel has (an unsigned short; ID 0 is never used). */
export const MEMCG_ID_LIMIT = 65535;

/** Share of {@link MEMCG_ID_LIMIT} at which doctor warns: new pods start failing soon after. */
export const WARN_RATIO = 0.8;

/**
 * Smallest gap (IDs in use minus folders present) that doctor calls a leak.
 * Every kernel keeps a deleted cgroup for a short while until its memory is
 * released, so a handful is normal; a thousand (1.5% of the IDs) is not.
 */
export const LEAK_GAP = 1000;

/** The `memory` row of `/proc/cgroups`. */
export interface MemoryRow {
  /** Hierarchy ID; 0 when the controller is on cgroup2 or not mounted. */
  hierarchy: number;
  /** Memory cgroups the kernel counts, live and deleted-but-not-freed, root included. */
  numCgroups: number;
  /** False when the controller is disabled (`cgroup_disable=memory`). */
  enabled: boolean;
}

/** The memory ID facts doctor reports. */
export interface MemoryIds {
  /** The kernel's row, or undefined when `/proc/cgroups` could not be read. */
  row?: MemoryRow;
  /** Why the row is missing, when it is. */
  rowError?: string;
  limit: number;
  /** The warning level in IDs. */
  warnAt: number;
  /** Folders counted under the memory hierarchy (root included), when it was walked. */
  present?: DirCount;
  /**
   * IDs held by deleted cgroups (`numCgroups - present`), when both are known
   * and the count is trustworthy: not capped, and the whole hierarchy is
   * visible (a cgroup namespace or a sub-tree mount hides part of it).
   */
  heldByDeleted?: number;
  /** Why `heldByDeleted` is not given although both numbers are. */
  gapCaveat?: string;
}

/** A `memory` row whose numbers no kernel writes: why it was refused. */
export interface RowProblem {
  problem: string;
}

/**
 * Parses `/proc/cgroups` and returns its `memory` row, if any. A row with
 * numbers no kernel writes (not a whole number, negative, more memory
 * cgroups than the 65535 IDs there are) is refused with the reason: a
 * doctored or truncated copy under --root must not be read as a count.
 */
export function parseMemoryRow(text: string): MemoryRow | RowProblem | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const [name, hierarchy, num, enabled] = line.trim().split(/\s+/);
    if (name !== 'memory') continue;
    const bad = (what: string, value: string | undefined, range: string): RowProblem => ({
      problem: `/proc/cgroups: the memory row's ${what} is ${JSON.stringify(value ?? '')}, not ${range}; the file is not the kernel's (a damaged copy under --root?)`,
    });
    const count = /^\d+$/.test(num ?? '') ? Number(num) : NaN;
    const h = /^\d+$/.test(hierarchy ?? '') ? Number(hierarchy) : NaN;
    if (!Number.isSafeInteger(h)) return bad('hierarchy', hierarchy, 'a whole number of 0 or more');
    if (!Number.isSafeInteger(count) || count > MEMCG_ID_LIMIT)
      return bad('num_cgroups', num, `a count from 0 to ${MEMCG_ID_LIMIT} (the memory cgroup IDs a kernel has)`);
    if (enabled !== '0' && enabled !== '1') return bad('enabled', enabled, '0 or 1');
    return { hierarchy: h, numCgroups: count, enabled: enabled === '1' };
  }
  return undefined;
}

/**
 * Reads the kernel's count and, when a v1 memory hierarchy is mounted, counts
 * its folders. `mountRoot` is the mount's root inside the hierarchy (from
 * mountinfo): anything but `/` means part of the tree is not visible here.
 */
export async function readMemoryIds(
  fs: NodeFs,
  memoryV1: { mountPoint: string; mountRoot: string } | undefined,
  limits: WalkLimits,
): Promise<MemoryIds> {
  const ids: MemoryIds = { limit: MEMCG_ID_LIMIT, warnAt: Math.floor(MEMCG_ID_LIMIT * WARN_RATIO) };
  const r = await fs.read('/proc/cgroups');
  if (!r.ok) ids.rowError = `cannot read ${describeUnread('/proc/cgroups', r)}`;
  else {
    const row = parseMemoryRow(r.text);
    if (row && 'problem' in row) ids.rowError = row.problem;
    else if (!row) ids.rowError = '/proc/cgroups has no memory row';
    else ids.row = row;
  }
  if (!memoryV1) return ids;
  const present = countDirs(fs, memoryV1.mountPoint, limits);
  if (present.dirs === 0) {
    ids.gapCaveat = `cannot list ${memoryV1.mountPoint}`;
    return ids;
  }
  ids.present = present;
  if (!ids.row) return ids;
  if (ids.present.capped) ids.gapCaveat = `the folder count stopped early (${ids.present.capped}), so it is a lower bound`;
  else if (!ids.present.complete) ids.gapCaveat = 'some folders could not be listed, so the folder count is a lower bound';
  else if (memoryV1.mountRoot !== '/')
    ids.gapCaveat = `only the sub-tree ${memoryV1.mountRoot} of the memory hierarchy is visible here (cgroup namespace?), so the folders are undercounted`;
  else ids.heldByDeleted = Math.max(0, ids.row.numCgroups - ids.present.dirs);
  return ids;
}
