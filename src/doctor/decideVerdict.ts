/**
 * Turns a node's facts into its state, as a table: the facts are reduced to
 * plain booleans and counts ({@link nodeFacts}), and {@link STATE_TABLE} has
 * one row per state, the first row whose condition holds wins. Each row also
 * carries what every consumer keys on: the `--json`/text verdict, the exit
 * status under `--format npd` and under `--format sentinel`. Nothing here is
 * worded: describeVerdict.ts chooses the reasons and next steps from the
 * state and the same facts.
 *
 * The rules the rows state:
 * - doctor decides nothing from a node root it cannot trust or read: a file it
 *   reads that is not a regular file (a FIFO, a device, a socket, one that
 *   would block), or no cgroup hierarchy at all, is `unknown`;
 * - the leak needs the memory controller, enabled, on a cgroup v1 hierarchy;
 * - it happens on 3.10 el7 kernels (an unreadable release counts as one:
 *   `prone`), where a cgroup with kmem accounting on never frees its ID;
 * - 1000 IDs held by deleted cgroups (LEAK_GAP) is the leak itself;
 * - mitigation by `cgroup.memory=nokmem` is observed, never assumed (reports
 *   on RHEL 7 conflict about the argument): kmem must be seen off;
 * - a node is fixed only when kmem is seen off (or fixed binaries are found)
 *   and nothing says otherwise.
 */
import type { CgroupMode } from './detectCgroupMode.js';
import type { KernelFacts } from './readKernel.js';
import { LEAK_GAP, type MemoryIds } from './readMemoryIds.js';
import type { KubepodsKmem } from './checkKubepods.js';
import type { BinaryFacts } from './scanBinary.js';

/** The one-word answer of the text and `--json` formats; monitoring keys on it (exit 0 for `ok`, 1 otherwise). */
export type Verdict = 'ok' | 'at-risk' | 'leaking';

/** The situation an operator acts on (see {@link STATE_TABLE} and docs/fleet-doctor.md). */
export type State = 'leaking' | 'id-pressure' | 'vulnerable' | 'reboot-needed' | 'mitigated' | 'fixed' | 'not-affected' | 'unknown';

/** The facts the verdict is decided from. */
export interface VerdictInput {
  cgroups: CgroupMode;
  kernel: KernelFacts;
  memory: MemoryIds;
  kmem?: KubepodsKmem;
  binaries: { kubelet?: BinaryFacts; runc?: BinaryFacts };
  /** Files doctor would not read, each with why (`/proc/cgroups is a FIFO (named pipe)`): see readBounded.ts. */
  refused?: string[];
}

/** What the table decided, and the facts it decided from (describeVerdict.ts words them). */
export interface VerdictResult {
  verdict: Verdict;
  state: State;
  facts: NodeFacts;
}

/** What a binary's bytes say, reduced to what the decision needs. */
export type BinaryState = 'absent' | 'unfixed' | 'fixed';

/** A node's facts as the table reads them: booleans and counts only. */
export interface NodeFacts {
  /**
   * `undecidable`: a file was refused, or no cgroup hierarchy was found;
   * `not-applicable`: the memory controller is not on a v1 hierarchy, or is disabled;
   * `applies`: the leak can happen here as far as the cgroups go.
   */
  gate: 'undecidable' | 'not-applicable' | 'applies';
  /** A 3.10 el7 kernel, or one whose release could not be read. */
  prone: boolean;
  /** `/proc/cgroups` gave no usable memory row. */
  idsUnknown: boolean;
  /** IDs in use at or above the warning level. */
  nearLimit: boolean;
  /** IDs held by deleted cgroups, when they could be counted. */
  gap?: number;
  /** `gap` at or above LEAK_GAP. */
  bigGap: boolean;
  /** A `kubepods` root was found under the memory hierarchy. */
  kubepodsFound: boolean;
  /** kmem on for `kubepods` or a QoS cgroup. */
  kubepodsOn: boolean;
  /** Sampled pods and containers with kmem on. */
  podsOn: number;
  containersOn: number;
  /** kmem on anywhere checked. */
  anyOn: boolean;
  /** The kmem state of `kubepods` itself could not be read. */
  kubepodsUnknown: boolean;
  /** kmem seen off: `kubepods` found and readable, nothing on, at least one cgroup off. */
  seenOff: boolean;
  /** `prone`, `cgroup.memory=nokmem` on the command line, and kmem seen off. */
  mitigated: boolean;
  /** `prone` and not `mitigated`: what the binaries do matters. */
  exposed: boolean;
  kubelet: BinaryState;
  runc: BinaryState;
}

/** Reduces a node's facts to what {@link STATE_TABLE} reads. */
export function nodeFacts(f: VerdictInput): NodeFacts {
  const { cgroups, kernel, memory, kmem } = f;
  const gate =
    (f.refused?.length ?? 0) > 0 || cgroups.mode === 'unknown'
      ? 'undecidable'
      : !cgroups.memoryV1 || (memory.row !== undefined && !memory.row.enabled)
        ? 'not-applicable'
        : 'applies';
  const prone = kernel.leakProne !== 'no';
  const checks = kmem?.checks ?? [];
  const on = (kinds: string[]) => checks.filter((c) => kinds.includes(c.kind) && c.state === 'on').length;
  const kubepodsOn = on(['kubepods', 'qos']) > 0;
  const podsOn = on(['pod']);
  const containersOn = on(['container']);
  const anyOn = kubepodsOn || podsOn > 0 || containersOn > 0;
  const kubepodsFound = (kmem?.roots.length ?? 0) > 0;
  const kubepodsUnknown = checks.some((c) => c.kind === 'kubepods' && c.state === 'unknown');
  const seenOff = kubepodsFound && !anyOn && !kubepodsUnknown && (kmem?.total.off ?? 0) > 0;
  const mitigated = prone && kernel.cmdlineNokmem === true && seenOff;
  const gap = memory.heldByDeleted;
  return {
    gate,
    prone,
    idsUnknown: memory.row === undefined,
    nearLimit: memory.row !== undefined && memory.row.numCgroups >= memory.warnAt,
    gap,
    bigGap: gap !== undefined && gap >= LEAK_GAP,
    kubepodsFound,
    kubepodsOn,
    podsOn,
    containersOn,
    anyOn,
    kubepodsUnknown,
    seenOff,
    mitigated,
    exposed: prone && !mitigated,
    kubelet: binaryState(f.binaries.kubelet),
    runc: binaryState(f.binaries.runc),
  };
}

/** A binary that looks patched or that has no kmem function at all (runc rc94 and later) is fixed. */
function binaryState(b: BinaryFacts | undefined): BinaryState {
  return b === undefined ? 'absent' : b.looks === 'unpatched' ? 'unfixed' : 'fixed';
}

/** One state: when it holds, and what each output format makes of it. */
export interface StateRow {
  state: State;
  /** Whether the node is in this state; rows are tried in order, the first that holds wins. */
  when: (f: NodeFacts) => boolean;
  /** The verdict of the text and `--json` formats. */
  verdict: (f: NodeFacts) => Verdict;
  /** node-problem-detector's plugin status: 0 OK, 1 problem, 2 unknown. */
  npd: 0 | 1 | 2;
  /** kured's `--reboot-sentinel-command` status: 0 (reboot the node) for `reboot-needed` only, so a node is never rebooted on a guess. */
  sentinel: 0 | 1;
}

const applies = (f: NodeFacts) => f.gate === 'applies';
const unfixedBinary = (f: NodeFacts) => f.kubelet === 'unfixed' || f.runc === 'unfixed';
const atRisk = (): Verdict => 'at-risk';
const ok = (): Verdict => 'ok';

/** The states, one row each, in the order they are tried. */
export const STATE_TABLE: readonly StateRow[] = [
  {
    // IDs are being lost now: the gap on a leak-prone kernel, or IDs near the limit while kmem is on or the gap cannot be counted.
    state: 'leaking',
    when: (f) => applies(f) && f.prone && (f.bigGap || (f.nearLimit && (f.gap === undefined || f.kubepodsOn))),
    verdict: (f) => (f.bigGap ? 'leaking' : 'at-risk'),
    npd: 1,
    sentinel: 1,
  },
  {
    // The binaries are fixed (the kubelet found, and runc when found), yet kmem is still on: only a reboot recreates kubepods.
    state: 'reboot-needed',
    when: (f) => applies(f) && f.exposed && f.anyOn && f.kubelet === 'fixed' && f.runc !== 'unfixed',
    verdict: atRisk,
    npd: 1,
    sentinel: 0,
  },
  {
    state: 'vulnerable',
    when: (f) => applies(f) && f.exposed && (f.anyOn || unfixedBinary(f)),
    verdict: atRisk,
    npd: 1,
    sentinel: 1,
  },
  {
    // Near the limit from live cgroups, or a large gap on a kernel where the kmem leak is not known.
    state: 'id-pressure',
    when: (f) => applies(f) && (f.nearLimit || f.bigGap),
    verdict: atRisk,
    npd: 1,
    sentinel: 1,
  },
  {
    state: 'unknown',
    when: (f) => f.gate === 'undecidable' || (applies(f) && (f.idsUnknown || (f.prone && f.kubepodsUnknown))),
    verdict: atRisk,
    npd: 2,
    sentinel: 1,
  },
  { state: 'mitigated', when: (f) => applies(f) && f.mitigated, verdict: ok, npd: 0, sentinel: 1 },
  {
    state: 'fixed',
    when: (f) => applies(f) && f.prone && (f.kubepodsFound || f.kubelet === 'fixed' || f.runc === 'fixed'),
    verdict: ok,
    npd: 0,
    sentinel: 1,
  },
  // cgroup v2, the memory controller disabled, a kernel other than el7, or no kubelet here.
  { state: 'not-affected', when: () => true, verdict: ok, npd: 0, sentinel: 1 },
];

/** The row of a state. */
export function stateRow(state: State): StateRow {
  return STATE_TABLE.find((r) => r.state === state)!;
}

/** The first row of {@link STATE_TABLE} whose condition holds. */
export function decideState(f: NodeFacts): StateRow {
  return STATE_TABLE.find((r) => r.when(f))!;
}

/** Decides the state and verdict of one node. */
export function decideVerdict(input: VerdictInput): VerdictResult {
  const facts = nodeFacts(input);
  const row = decideState(facts);
  return { verdict: row.verdict(facts), state: row.state, facts };
}
