/**
 * Finds the kubelet's cgroups under the memory hierarchy and checks kmem
 * accounting on `kubepods`, its QoS children, a sample of pods and one
 * container per sampled pod.
 *
 * Both kubelet cgroup drivers are understood:
 * - cgroupfs: `kubepods/pod<uid>`, `kubepods/burstable/pod<uid>/<container id>`;
 * - systemd: `kubepods.slice/kubepods-pod<uid>.slice`,
 *   `kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid>.slice/<runtime>-<id>.scope`.
 *
 * The newest pods are sampled first: they show whether cgroups created since
 * the fix come up with kmem off. Containers are created by the runtime's runc,
 * pods and QoS cgroups by the kubelet, so the two tell which binary still
 * switches kmem on.
 */
import type { NodeFs } from './nodeFs.js';
import { readKmemState, type KmemCheck } from './readKmemState.js';

/** How many pods to check by default. */
export const DEFAULT_POD_SAMPLE = 8;

/** The kmem facts for the kubelet's cgroups. */
export interface KubepodsKmem {
  /** `kubepods` roots found, relative to the memory mount (`kubepods`, `kubepods.slice`). */
  roots: string[];
  /** Pods found in total (only `sampled` of them were checked). */
  podsFound: number;
  podsSampled: number;
  /** Every cgroup checked, `kubepods` first. */
  checks: KmemCheck[];
  /** Counts over `checks`. */
  total: { checked: number; on: number; off: number; unknown: number };
}

const ROOTS = ['kubepods', 'kubepods.slice'];
const QOS = new Set(['burstable', 'besteffort', 'kubepods-burstable.slice', 'kubepods-besteffort.slice']);
/** `pod<uid>` (cgroupfs) or `kubepods[-qos]-pod<uid with _>.slice` (systemd). */
const POD = /^(?:kubepods-(?:burstable-|besteffort-)?)?pod[0-9a-fA-F_-]+(?:\.slice)?$/;

/** Checks the kubelet's cgroups under the memory mount point `memMount` (a node path). */
export async function checkKubepods(fs: NodeFs, memMount: string, sampleSize = DEFAULT_POD_SAMPLE): Promise<KubepodsKmem> {
  const checks: KmemCheck[] = [];
  const roots: string[] = [];
  const pods: { rel: string; mtimeMs: number }[] = [];
  const at = (rel: string) => `${memMount}/${rel}`;

  for (const root of ROOTS) {
    if (!(await fs.isDir(at(root)))) continue;
    roots.push(root);
    checks.push(await readKmemState(fs, at(root), root, 'kubepods'));
    for (const e of await fs.list(at(root))) {
      if (!e.isDirectory()) continue;
      const rel = `${root}/${e.name}`;
      if (QOS.has(e.name)) {
        checks.push(await readKmemState(fs, at(rel), rel, 'qos'));
        for (const p of await fs.list(at(rel))) {
          if (p.isDirectory() && POD.test(p.name)) pods.push(withTime(fs, at, `${rel}/${p.name}`));
        }
      } else if (POD.test(e.name)) {
        pods.push(withTime(fs, at, rel));
      }
    }
  }

  pods.sort(newestFirst);
  const sampled = pods.slice(0, sampleSize);
  for (const pod of sampled) {
    checks.push(await readKmemState(fs, at(pod.rel), pod.rel, 'pod'));
    const containers: { rel: string; mtimeMs: number }[] = [];
    for (const c of await fs.list(at(pod.rel))) {
      if (c.isDirectory()) containers.push(withTime(fs, at, `${pod.rel}/${c.name}`));
    }
    containers.sort(newestFirst);
    if (containers[0]) checks.push(await readKmemState(fs, at(containers[0].rel), containers[0].rel, 'container'));
  }

  const count = (s: string) => checks.filter((c) => c.state === s).length;
  return {
    roots,
    podsFound: pods.length,
    podsSampled: sampled.length,
    checks,
    total: { checked: checks.length, on: count('on'), off: count('off'), unknown: count('unknown') },
  };
}

/**
 * Newest first, then by path in code-point order: plain `<`, because
 * `localeCompare` goes through ICU and sorting a thousand pods with it was
 * most of doctor's own time (scripts/bench-startup.mjs).
 */
function newestFirst(a: { rel: string; mtimeMs: number }, b: { rel: string; mtimeMs: number }): number {
  return b.mtimeMs - a.mtimeMs || (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0);
}

function withTime(fs: NodeFs, at: (rel: string) => string, rel: string): { rel: string; mtimeMs: number } {
  return { rel, mtimeMs: fs.statSync(at(rel))?.mtimeMs ?? 0 };
}
