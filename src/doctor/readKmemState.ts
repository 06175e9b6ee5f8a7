/**
 * Whether kernel-memory (kmem) accounting is switched on for one memory
 * cgroup. On the 3.10 el7 kernels a cgroup with kmem on keeps its memcg ID
 * after `rmdir`, and new child cgroups inherit the setting from their parent,
 * so `kubepods` being on means every future pod leaks.
 *
 * Signals, read without side effects:
 * - `memory.kmem.slabinfo`: prints a slabinfo header (`slabinfo - version:`)
 *   when accounting is on; fails with "Input/output error" (EIO) when it was
 *   never switched on. In a fake root, where every file is a regular file, an
 *   absent or empty `memory.kmem.slabinfo` stands for that EIO.
 * - `memory.kmem.limit_in_bytes`: anything below "unlimited" means someone set
 *   a kmem limit, which switches accounting on.
 * - `memory.kmem.usage_in_bytes`: non-zero means kernel memory is being charged.
 */
import { describeUnread, type NodeFs } from './nodeFs.js';

/** On, off, or could not be told (a permission error, say). */
export type KmemState = 'on' | 'off' | 'unknown';

/** What a cgroup is in the kubelet's layout. */
export type CgroupKind = 'kubepods' | 'qos' | 'pod' | 'container';

/** The kmem verdict for one cgroup, with the evidence in plain words. */
export interface KmemCheck {
  /** Path relative to the memory hierarchy's mount point, e.g. `kubepods/burstable/pod<uid>`. */
  path: string;
  kind: CgroupKind;
  state: KmemState;
  evidence: string[];
}

/**
 * "Unlimited" is the largest page-aligned long (9223372036854771712 with 4 KiB
 * pages, a little less with 64 KiB pages); anything at or above this floor is
 * treated as no limit, whatever the page size.
 */
const UNLIMITED_FLOOR = (1n << 63n) - (1n << 24n);

/** Reads the kmem state of the cgroup folder `nodeDir` (a node path). */
export async function readKmemState(fs: NodeFs, nodeDir: string, path: string, kind: CgroupKind): Promise<KmemCheck> {
  const evidence: string[] = [];
  let on = false;
  let unknown = false;

  const slab = await fs.read(`${nodeDir}/memory.kmem.slabinfo`, 4096);
  if (slab.ok && slab.text.trim() !== '') {
    on = true;
    const first = slab.text.split('\n', 1)[0].trim();
    evidence.push(first.startsWith('slabinfo') ? `memory.kmem.slabinfo prints "${first}"` : 'memory.kmem.slabinfo has content');
  } else if (slab.ok) {
    evidence.push('memory.kmem.slabinfo is empty');
  } else if (slab.code === 'EIO') {
    evidence.push('memory.kmem.slabinfo: Input/output error');
  } else if (slab.code === 'ENOENT') {
    evidence.push('no memory.kmem.slabinfo');
  } else {
    unknown = true;
    evidence.push(describeUnread('memory.kmem.slabinfo', slab));
  }

  const limit = await readNumber(fs, nodeDir, 'memory.kmem.limit_in_bytes');
  if ('value' in limit && limit.value < UNLIMITED_FLOOR) {
    on = true;
    evidence.push(`kmem limit set (memory.kmem.limit_in_bytes = ${limit.value})`);
  } else if ('unread' in limit) {
    unknown = true;
    evidence.push(limit.unread);
  }

  const usage = await readNumber(fs, nodeDir, 'memory.kmem.usage_in_bytes');
  if ('value' in usage && usage.value > 0n) {
    on = true;
    evidence.push(`kernel memory charged (memory.kmem.usage_in_bytes = ${usage.value})`);
  } else if ('unread' in usage) {
    unknown = true;
    evidence.push(usage.unread);
  }

  // Any positive sign wins: an unreadable file cannot undo a readable header.
  const state: KmemState = on ? 'on' : unknown ? 'unknown' : 'off';
  return { path, kind, state, evidence };
}

/** A file holding one integer: its value, not there, or why it could not be read (`memory.kmem.usage_in_bytes: EACCES`). */
async function readNumber(fs: NodeFs, nodeDir: string, name: string): Promise<{ value: bigint } | { missing: true } | { unread: string }> {
  const r = await fs.read(`${nodeDir}/${name}`, 256);
  if (!r.ok) return r.code === 'ENOENT' ? { missing: true } : { unread: describeUnread(name, r) };
  const t = r.text.trim();
  if (!/^-?\d+$/.test(t)) return { unread: `${name}: unparseable` };
  return { value: BigInt(t) };
}
