/**
 * Gathers every fact `kpatch doctor` reports about one node and decides the
 * verdict. Reads only: see nodeFs.ts.
 */
import path from 'node:path';
import { fail } from '../errors.js';
import { UnsafeFile } from '../readBounded.js';
import { NodeFs } from './nodeFs.js';
import { detectCgroupMode, type CgroupMode } from './detectCgroupMode.js';
import { readMemoryIds, type MemoryIds } from './readMemoryIds.js';
import { DEFAULT_WALK_LIMITS, type WalkLimits } from './countDirs.js';
import { checkKubepods, DEFAULT_POD_SAMPLE, type KubepodsKmem } from './checkKubepods.js';
import { readKernel, type KernelFacts } from './readKernel.js';
import { scanBinary, type BinaryFacts } from './scanBinary.js';
import { decideVerdict, type State, type Verdict } from './decideVerdict.js';
import { describeVerdict } from './describeVerdict.js';
import { findKubelet, findRunc, NODE_PATH, type BinarySearch } from './findBinaries.js';

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
  /** Directories to look for runc in, as node paths; defaults to the node's standard PATH ({@link NODE_PATH}). */
  path?: string[];
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
  /** How each binary was found (given, or looked for on the node), and where doctor looked. */
  search: { kubelet: BinarySearch; runc: BinarySearch };
  /** Why binaries found on the node were not read, when they were not. */
  scanSkipped?: string;
  verdict: Verdict;
  /** The situation an operator acts on; finer than the verdict. */
  state: State;
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
  const search = {
    kubelet: opts.kubelet ? given(opts.kubelet) : await findKubelet(fs),
    runc: opts.runc ? given(opts.runc) : await findRunc(fs, opts.path ?? NODE_PATH),
  };
  // Binaries found on the node are read only where they matter: a kubelet is
  // 50-150 MB, and a monitoring probe runs every minute on every node.
  const scanSkipped =
    cgroups.memoryV1 && kernel.leakProne !== 'no'
      ? undefined
      : 'the leak does not apply to this node (no v1 memory hierarchy, or not a 3.10 el7 kernel)';
  const binaries: DoctorReport['binaries'] = {};
  for (const name of ['kubelet', 'runc'] as const) {
    const s = search[name];
    if (!s.readFrom || (s.source !== 'flag' && scanSkipped)) continue;
    if (s.source === 'flag') {
      binaries[name] = await scanBinary(s.readFrom, opts.signal).catch((e: unknown) => {
        // The command checked it is a file; it changed since.
        if (e instanceof UnsafeFile) fail('node_binary_missing', { where: s.readFrom!, detail: `--${name} ${e.reason}` });
        throw e;
      });
      continue;
    }
    // A binary doctor found itself and cannot read is a fact to report, not an error of the user's;
    // one that is not a regular file makes the node unknown, as any such file does (nodeFs.ts).
    try {
      binaries[name] = { ...(await scanBinary(s.readFrom, opts.signal)), path: s.path ?? s.readFrom };
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      if (e instanceof UnsafeFile) {
        fs.refuse(`the ${name} ${s.path}`, e.reason);
        s.looked.push(`not read: ${s.path} ${e.reason}`);
      } else s.looked.push(`cannot read ${s.path}: ${(e as NodeJS.ErrnoException).code ?? String(e)} (run doctor as root)`);
    }
  }
  const input = { cgroups, kernel, memory, kmem, binaries, refused: fs.refused };
  const { verdict, state, facts } = decideVerdict(input);
  return {
    root: fs.root,
    cgroups,
    kernel,
    memory,
    kmem,
    binaries,
    search,
    scanSkipped: search.kubelet.readFrom || search.runc.readFrom ? scanSkipped : undefined,
    verdict,
    state,
    ...describeVerdict(state, facts, input),
  };
}

/** A binary named on the command line: read as given, nothing looked for. */
function given(file: string): BinarySearch {
  const p = path.resolve(file);
  return { source: 'flag', path: p, readFrom: p, looked: [] };
}
