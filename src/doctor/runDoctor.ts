/**
 * Gathers every fact `kpatch doctor` reports about one node and decides the
 * verdict. Reads only: see nodeFs.ts.
 */
import path from 'node:path';
import { NodeFs } from './nodeFs.js';
import { detectCgroupMode, type CgroupMode } from './detectCgroupMode.js';
import { readMemoryIds, type MemoryIds } from './readMemoryIds.js';
import { DEFAULT_WALK_LIMITS, type WalkLimits } from './countDirs.js';
import { checkKubepods, DEFAULT_POD_SAMPLE, type KubepodsKmem } from './checkKubepods.js';
import { readKernel, type KernelFacts } from './readKernel.js';
import { scanBinary, type BinaryFacts } from './scanBinary.js';
import { decideVerdict, type Verdict } from './decideVerdict.js';

/** What to look at. */
export interface DoctorOptions {
  /** Folder standing for the node's `/` (absolute). */
  root: string;
  /** kubelet binary to inspect (absolute host path). */
  kubelet?: string;
  /** runc binary to inspect (absolute host path). */
  runc?: string;
  /** Budgets for counting memory cgroup folders; defaults to {@link DEFAULT_WALK_LIMITS}. */
  walk?: Partial<Omit<WalkLimits, 'signal'>>;
  /** Pods to check for kmem; defaults to {@link DEFAULT_POD_SAMPLE}. */
  podSample?: number;
  signal?: AbortSignal;
}

/** Everything doctor found, and what it makes of it. */
export interface DoctorReport {
  root: string;
  cgroups: CgroupMode;
  kernel: KernelFacts;
  memory: MemoryIds;
  /** Undefined when there is no v1 memory hierarchy to look in. */
  kmem?: KubepodsKmem;
  binaries: { kubelet?: BinaryFacts; runc?: BinaryFacts };
  verdict: Verdict;
  /** Why the verdict is what it is, one fact per line. */
  reasons: string[];
  /** What to do next, in plain words. */
  nextSteps: string[];
}

/** Inspects the node under `opts.root`. Binaries must exist (the command checks). */
export async function runDoctor(opts: DoctorOptions): Promise<DoctorReport> {
  const fs = new NodeFs(opts.root);
  const limits: WalkLimits = { ...DEFAULT_WALK_LIMITS, ...opts.walk, signal: opts.signal };
  const cgroups = await detectCgroupMode(fs);
  const kernel = await readKernel(fs);
  const memory = await readMemoryIds(fs, cgroups.memoryV1, limits);
  const kmem = cgroups.memoryV1 ? await checkKubepods(fs, cgroups.memoryV1.mountPoint, opts.podSample ?? DEFAULT_POD_SAMPLE) : undefined;
  const binaries: DoctorReport['binaries'] = {};
  if (opts.kubelet) binaries.kubelet = await scanBinary(path.resolve(opts.kubelet), opts.signal);
  if (opts.runc) binaries.runc = await scanBinary(path.resolve(opts.runc), opts.signal);
  const decided = decideVerdict({ cgroups, kernel, memory, kmem, binaries });
  return { root: fs.root, cgroups, kernel, memory, kmem, binaries, ...decided };
}
