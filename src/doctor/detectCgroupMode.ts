/**
 * Which cgroup layout a node runs (v1, hybrid or v2) and where the memory
 * controller lives. The leak needs the memory controller on a cgroup v1
 * hierarchy; on pure v2 it does not apply.
 */
import type { NodeFs } from './nodeFs.js';

/** One line of `/proc/self/mountinfo`, the fields doctor needs. */
export interface MountEntry {
  /** Root of the mount inside its file system (`/` unless a sub-tree is mounted, as in a cgroup namespace). */
  root: string;
  /** Where it is mounted, as a node path. */
  mountPoint: string;
  /** File-system type: `cgroup` (v1), `cgroup2`, `tmpfs`, ... */
  fsType: string;
  /** Super-block options; for cgroup v1 these name the controllers (`rw,memory`). */
  superOptions: string[];
}

/** The node's cgroup layout. */
export interface CgroupMode {
  /** `v1`: only v1 hierarchies; `hybrid`: v1 controllers plus a cgroup2 mount; `v2`: only cgroup2; `unknown`: nothing found. */
  mode: 'v1' | 'hybrid' | 'v2' | 'unknown';
  /** Where the answer came from: the mount table, or the folders under `/sys/fs/cgroup` when it could not be read. */
  source: 'mountinfo' | 'filesystem' | 'none';
  /** The v1 memory hierarchy, when the memory controller is mounted as v1. */
  memoryV1?: { mountPoint: string; mountRoot: string };
  /** Mount point of the cgroup2 hierarchy, when there is one. */
  unifiedMountPoint?: string;
  /** True when the memory controller is handled by cgroup2 (it is not on a v1 hierarchy). */
  memoryOnV2: boolean;
}

/** Parses `/proc/self/mountinfo` text (see proc(5)); unparseable lines are skipped. */
export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(' ');
    const dash = fields.indexOf('-');
    // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
    if (dash < 6 || fields.length < dash + 3) continue;
    out.push({
      root: unescapeMount(fields[3]),
      mountPoint: unescapeMount(fields[4]),
      fsType: fields[dash + 1],
      superOptions: (fields[dash + 3] ?? '').split(','),
    });
  }
  return out;
}

/** Mount paths escape space, tab, newline and backslash as octal (`\040`). */
function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/**
 * Works out the cgroup layout, from `<root>/proc/self/mountinfo` when it can
 * be read (the truth on a live node), else from the folders under
 * `<root>/sys/fs/cgroup` (a fake root or a copied file tree).
 */
export async function detectCgroupMode(fs: NodeFs): Promise<CgroupMode> {
  const text = await fs.readOptional('/proc/self/mountinfo');
  const mounts = underRoot(
    text === undefined ? [] : parseMountinfo(text).filter((m) => m.fsType === 'cgroup' || m.fsType === 'cgroup2'),
    fs.root,
  );
  if (mounts.length > 0) return fromMounts(mounts, fs);
  return fromFolders(fs);
}

/**
 * In a container that mounts the host's /proc and /sys/fs/cgroup under a root
 * such as /host (the DaemonSet in docs/examples/npd), `<root>/proc/self` is
 * the container's own process: its mount table lists the host's hierarchies
 * under the root (`/host/sys/fs/cgroup/memory`) beside the container's own
 * cgroup sub-tree. Those under the root are the node's: they are kept, as node
 * paths, and the container's own are dropped. A copied table (no mount under
 * the root) is kept as it is.
 */
export function underRoot(mounts: MountEntry[], root: string): MountEntry[] {
  if (root === '/') return mounts;
  const prefix = root.endsWith('/') ? root : root + '/';
  const inside = mounts.filter((m) => m.mountPoint.startsWith(prefix));
  if (inside.length === 0) return mounts;
  return inside.map((m) => ({ ...m, mountPoint: '/' + m.mountPoint.slice(prefix.length) }));
}

async function fromMounts(mounts: MountEntry[], fs: NodeFs): Promise<CgroupMode> {
  const v1 = mounts.filter((m) => m.fsType === 'cgroup');
  const v2 = mounts.find((m) => m.fsType === 'cgroup2');
  const mem = v1.find((m) => m.superOptions.includes('memory'));
  const mode = v1.length > 0 ? (v2 ? 'hybrid' : 'v1') : 'v2';
  let memoryOnV2 = false;
  if (!mem && v2) {
    // On v2 the memory controller is on when the root lists it as available.
    const controllers = await fs.readOptional(`${v2.mountPoint}/cgroup.controllers`);
    memoryOnV2 = controllers === undefined ? mode === 'v2' : controllers.split(/\s+/).includes('memory');
  }
  return {
    mode,
    source: 'mountinfo',
    memoryV1: mem ? { mountPoint: mem.mountPoint, mountRoot: mem.root } : undefined,
    unifiedMountPoint: v2?.mountPoint,
    memoryOnV2,
  };
}

async function fromFolders(fs: NodeFs): Promise<CgroupMode> {
  const base = '/sys/fs/cgroup';
  if (await fs.stat(`${base}/cgroup.controllers`)) {
    const controllers = (await fs.readOptional(`${base}/cgroup.controllers`)) ?? '';
    return { mode: 'v2', source: 'filesystem', unifiedMountPoint: base, memoryOnV2: controllers.split(/\s+/).includes('memory') };
  }
  const memory = (await fs.isDir(`${base}/memory`)) ? `${base}/memory` : undefined;
  const unified = (await fs.isDir(`${base}/unified`)) ? `${base}/unified` : undefined;
  if (!memory) return { mode: 'unknown', source: 'none', memoryOnV2: false };
  return {
    mode: unified ? 'hybrid' : 'v1',
    source: 'filesystem',
    memoryV1: { mountPoint: memory, mountRoot: '/' },
    unifiedMountPoint: unified,
    memoryOnV2: false,
  };
}
