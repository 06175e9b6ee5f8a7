/**
 * Turns a node's facts into one verdict and the next steps, in plain words.
 *
 * Rules, first match wins for the verdict (all reasons are collected):
 * - The leak needs the memory controller on a cgroup v1 hierarchy. On pure
 *   v2, or with the controller disabled, the verdict is `ok`.
 * - `leaking`: the kernel is a 3.10 el7 one (or its release is unknown) and
 *   at least LEAK_GAP memory cgroup IDs are held by deleted cgroups (the
 *   kernel's count minus the folders present).
 * - `at-risk`, any of: IDs in use at or above the warning level; a large gap
 *   on another kernel; on a leak-prone kernel, kmem accounting on for
 *   kubepods, a QoS cgroup or a sampled pod or container, or a kubelet/runc
 *   binary that does not look fixed; a fact needed to rule the leak out that
 *   could not be read.
 * - `ok` otherwise.
 *
 * Beside the verdict (kept as it was for the consumers of `--json`), a finer
 * `state` names the situation an operator acts on, each with its own next
 * step; `--format npd` keys its exit code on it (see {@link STATE_EXIT}):
 * - `leaking`: on a 3.10 el7 kernel, IDs held by deleted cgroups at or above
 *   LEAK_GAP, or IDs in use near the limit while kmem is on or the gap is unknown;
 * - `id-pressure`: IDs near the limit from live cgroups, or many held by deleted
 *   cgroups on a kernel where the kmem leak is not known;
 * - `vulnerable`: el7 kernel and kmem on in kubepods (or a pod or container), or
 *   a kubelet/runc that does not look fixed;
 * - `reboot-needed`: fixed binaries on disk (the kubelet, and runc when found),
 *   yet kmem still on: the fix is not in effect until the node reboots;
 * - `mitigated`: `cgroup.memory=nokmem` on the kernel command line AND kmem
 *   observed off on kubepods and every cgroup checked (observed, never assumed:
 *   reports on RHEL 7 conflict about the argument);
 * - `fixed`: el7 kernel, kmem observed off, no binary that looks unfixed;
 * - `not-affected`: cgroup v2, no memory controller, a kernel other than el7, or no kubelet;
 * - `unknown`: a fact needed to decide could not be read (no cgroup hierarchy,
 *   /proc/cgroups or the kmem state of kubepods unreadable).
 */
import type { CgroupMode } from './detectCgroupMode.js';
import type { KernelFacts } from './readKernel.js';
import { LEAK_GAP, type MemoryIds } from './readMemoryIds.js';
import type { KubepodsKmem } from './checkKubepods.js';
import type { BinaryFacts } from './scanBinary.js';

/** The one-word answer; monitoring keys on it (exit 0 for `ok`, 1 otherwise). */
export type Verdict = 'ok' | 'at-risk' | 'leaking';

/** The situation an operator acts on (see the module comment). */
export type State = 'leaking' | 'id-pressure' | 'vulnerable' | 'reboot-needed' | 'mitigated' | 'fixed' | 'not-affected' | 'unknown';

/** node-problem-detector's plugin exit status for each state: 0 OK, 1 problem, 2 unknown. */
export const STATE_EXIT: Readonly<Record<State, 0 | 1 | 2>> = {
  leaking: 1,
  'id-pressure': 1,
  vulnerable: 1,
  'reboot-needed': 1,
  mitigated: 0,
  fixed: 0,
  'not-affected': 0,
  unknown: 2,
};

/** The facts the verdict is decided from. */
export interface VerdictInput {
  cgroups: CgroupMode;
  kernel: KernelFacts;
  memory: MemoryIds;
  kmem?: KubepodsKmem;
  binaries: { kubelet?: BinaryFacts; runc?: BinaryFacts };
}

/** The verdict, the facts behind it and what to do. */
export interface VerdictResult {
  verdict: Verdict;
  state: State;
  reasons: string[];
  nextSteps: string[];
}

const REBOOT_WHY =
  'kubepods keeps the kmem setting it was created with, new pods inherit it, and the kubelet reuses the folder when it restarts: only a reboot recreates it';

/** Decides the verdict for one node. */
export function decideVerdict(f: VerdictInput): VerdictResult {
  const reasons: string[] = [];
  const steps: string[] = [];
  const { cgroups, kernel, memory, kmem, binaries } = f;

  if (!cgroups.memoryV1) {
    if (cgroups.mode === 'unknown') {
      return {
        verdict: 'at-risk',
        state: 'unknown',
        reasons: ['no cgroup hierarchy found: no cgroup mounts in /proc/self/mountinfo and no /sys/fs/cgroup/memory'],
        nextSteps: ['Run doctor on the node itself, or point --root at a folder holding copies of its /proc and /sys/fs/cgroup.'],
      };
    }
    return {
      verdict: 'ok',
      state: 'not-affected',
      reasons: [`cgroup ${cgroups.mode}: the memory controller is not on a cgroup v1 hierarchy, and the leak only happens there`],
      nextSteps: ['Nothing to do: the kmem-accounting leak does not apply to this node.'],
    };
  }
  if (memory.row && !memory.row.enabled) {
    return {
      verdict: 'ok',
      state: 'not-affected',
      reasons: ['the memory controller is disabled (the enabled column of /proc/cgroups is 0)'],
      nextSteps: ['Nothing to do: without the memory controller there are no memory cgroups to leak.'],
    };
  }

  const prone = kernel.leakProne !== 'no';
  let leaking = false;
  let atRisk = false;

  // Kernel.
  if (kernel.leakProne === 'yes') reasons.push(`kernel ${kernel.release} is a 3.10 el7 kernel, where the leak happens`);
  else if (kernel.leakProne === 'unknown')
    reasons.push('kernel release unknown (/proc/sys/kernel/osrelease unreadable): assuming the leak can happen');
  else reasons.push(`kernel ${kernel.release} is not a 3.10 el7 kernel: the leak is not known there`);

  // Memory IDs.
  const row = memory.row;
  const gap = memory.heldByDeleted;
  if (!row) {
    atRisk = true;
    reasons.push(`${memory.rowError ?? 'no memory row in /proc/cgroups'}: cannot count memory cgroup IDs`);
    steps.push("Run doctor as root on the node (or check --root): the kernel's memory cgroup count could not be read.");
  } else {
    const pct = ((100 * row.numCgroups) / memory.limit).toFixed(1);
    if (row.numCgroups >= memory.warnAt) {
      atRisk = true;
      reasons.push(
        `${row.numCgroups} of ${memory.limit} memory cgroup IDs in use (${pct}%), at or above the warning level of ${memory.warnAt}`,
      );
    } else {
      reasons.push(`${row.numCgroups} of ${memory.limit} memory cgroup IDs in use (${pct}%)`);
    }
    if (gap !== undefined && gap >= LEAK_GAP) {
      if (prone) {
        leaking = true;
        reasons.push(`${gap} IDs are held by deleted cgroups (${memory.present?.dirs} memory cgroup folders present): the leak`);
      } else {
        atRisk = true;
        reasons.push(
          `${gap} deleted memory cgroups are not freed yet (${memory.present?.dirs} folders present); usually memory still charged to them, watch the trend`,
        );
      }
    } else if (gap !== undefined) {
      reasons.push(`${gap} IDs held by deleted cgroups, below the ${LEAK_GAP} that doctor calls a leak`);
    } else if (memory.gapCaveat) {
      reasons.push(`IDs held by deleted cgroups not computed: ${memory.gapCaveat}`);
    }
    if (row.numCgroups >= memory.warnAt && (gap === undefined || gap < LEAK_GAP)) {
      steps.push('Move pods off this node: the live memory cgroups themselves are close to the 65535 limit.');
    }
  }

  // kmem accounting on the kubelet's cgroups.
  const on = (kinds: string[]) => (kmem?.checks ?? []).filter((c) => kinds.includes(c.kind) && c.state === 'on');
  const kubepodsOn = on(['kubepods', 'qos']).length > 0;
  const podsOn = on(['pod']).length;
  const containersOn = on(['container']).length;
  const anyOn = kubepodsOn || podsOn > 0 || containersOn > 0;
  const kubepodsUnknown = (kmem?.checks ?? []).some((c) => c.kind === 'kubepods' && c.state === 'unknown');
  if (!kmem || kmem.roots.length === 0) {
    reasons.push('no kubepods cgroup found: no kubelet on this node, or it uses another cgroup root');
  } else {
    reasons.push(describeKmem(kmem, kubepodsOn ? 'on' : kubepodsUnknown ? 'unknown' : 'off', podsOn, containersOn));
    if (anyOn && prone) atRisk = true;
    if (kubepodsUnknown && prone) {
      atRisk = true;
      reasons.push('the kmem state of kubepods could not be read; run doctor as root');
    }
    if (kubepodsOn && kernel.cmdlineNokmem)
      reasons.push('the kernel command line has cgroup.memory=nokmem, yet kmem accounting is on for kubepods');
  }
  // The kernel's own mitigation counts only when seen working: kmem off on kubepods and everything checked.
  const mitigated =
    prone &&
    kernel.cmdlineNokmem === true &&
    kmem !== undefined &&
    kmem.roots.length > 0 &&
    !anyOn &&
    !kubepodsUnknown &&
    kmem.total.off > 0;
  if (mitigated)
    reasons.push(
      'the kernel command line has cgroup.memory=nokmem and kmem accounting is observed off on kubepods and every cgroup checked: the kernel keeps it off whatever the binaries do',
    );
  const exposed = prone && !mitigated;

  // Binaries.
  const kubelet = binaries.kubelet;
  const runc = binaries.runc;
  const fixed = (b?: BinaryFacts) => b !== undefined && b.looks !== 'unpatched';
  for (const [name, b] of [
    ['kubelet', kubelet],
    ['runc', runc],
  ] as const) {
    if (!b) continue;
    reasons.push(`${name} ${b.path} ${describeBinary(b)}`);
    if (b.looks === 'unpatched' && exposed) atRisk = true;
  }

  // Next steps: fix the binaries, then reboot when kubepods still carries kmem.
  if (exposed && (anyOn || leaking || kubelet?.looks === 'unpatched' || runc?.looks === 'unpatched')) {
    if (!kubelet || !runc) {
      const missing = [kubelet ? '' : 'kubelet', runc ? '' : 'runc'].filter(Boolean).join(' and ');
      steps.push(
        `Check the binaries: doctor did not find or read the ${missing} (see where it looked); name them, e.g. kpatch doctor --kubelet "$(command -v kubelet)" --runc "$(command -v runc)". If they do not look fixed, build fixed ones (kpatch build --k8s <your Kubernetes tag>, kpatch build --runc <your runc tag>) and install them.`,
      );
    }
    if (kubelet?.looks === 'unpatched')
      steps.push(
        `Install a fixed kubelet (kpatch build --k8s <your Kubernetes tag>): ${kubelet.path} still switches kmem on for every pod.`,
      );
    if (runc?.looks === 'unpatched')
      steps.push(`Install a fixed runc (kpatch build --runc <your runc tag>): ${runc.path} still switches kmem on for every container.`);
    if (kubepodsOn || leaking) {
      const why = kubepodsOn ? REBOOT_WHY : 'only a reboot releases the IDs held by deleted cgroups';
      const allFixed = fixed(kubelet) && (fixed(runc) || !runc);
      const who = runc ? 'The kubelet and runc are' : 'The kubelet is';
      const lead =
        allFixed && kubepodsOn
          ? `${who} fixed, but kubepods still has kmem accounting on: drain and reboot the node`
          : allFixed
            ? `${who} fixed: drain and reboot the node`
            : 'Once fixed binaries are installed, drain and reboot the node';
      steps.push(`${lead}. Why: ${why}; restarting the kubelet is not enough.`);
    } else if (containersOn > 0 && fixed(runc)) {
      steps.push(
        'Containers created before the fixed runc was installed keep kmem on; they are fixed as they are recreated (or drain and reboot the node).',
      );
    }
  }
  if (leaking)
    steps.unshift(
      `This node is leaking: ${gap} memory cgroup IDs are lost until a reboot, and new containers fail with "no space left on device" when all ${memory.limit} are taken.`,
    );

  const verdict: Verdict = leaking ? 'leaking' : atRisk ? 'at-risk' : 'ok';

  // The state, from the same facts.
  const nearLimit = row !== undefined && row.numCgroups >= memory.warnAt;
  const binariesFixed = fixed(kubelet) && runc?.looks !== 'unpatched';
  let state: State;
  if (leaking || (prone && nearLimit && (gap === undefined || kubepodsOn))) state = 'leaking';
  else if (verdict === 'ok') {
    if (mitigated) state = 'mitigated';
    else if (prone && ((kmem !== undefined && kmem.roots.length > 0) || fixed(kubelet) || fixed(runc))) state = 'fixed';
    else state = 'not-affected';
  } else if (exposed && anyOn) state = binariesFixed ? 'reboot-needed' : 'vulnerable';
  else if (exposed && (kubelet?.looks === 'unpatched' || runc?.looks === 'unpatched')) state = 'vulnerable';
  else if (nearLimit || (gap !== undefined && gap >= LEAK_GAP)) state = 'id-pressure';
  else state = 'unknown';

  if (state === 'reboot-needed' && !runc) {
    steps.push(
      "runc was not found or checked: make sure the container runtime's runc is fixed too before the reboot (kpatch doctor --runc PATH), or containers will switch kmem on again.",
    );
  }
  if (state === 'mitigated') {
    steps.push(
      'Nothing to do now: the kernel keeps kmem accounting off. Keep cgroup.memory=nokmem on the kernel command line across kernel updates; installing a fixed kubelet and runc (kpatch build) removes the dependence on it.',
    );
  } else if (verdict === 'ok') {
    if (prone && kmem && kmem.roots.length > 0 && kmem.total.off > 0 && !anyOn) {
      steps.push('Nothing to do: the fix is in effect, kubepods and the pods checked have kmem accounting off.');
    } else {
      steps.push('Nothing to do.');
    }
  }
  return { verdict, state, reasons, nextSteps: dedupe(steps) };
}

function describeKmem(k: KubepodsKmem, kubepods: string, podsOn: number, containersOn: number): string {
  const pods = k.checks.filter((c) => c.kind === 'pod').length;
  const containers = k.checks.filter((c) => c.kind === 'container').length;
  const parts = [
    `kmem accounting ${kubepods} for ${k.roots.join(' and ')}`,
    `on in ${podsOn} of ${pods} pods checked (of ${k.podsFound})`,
    `on in ${containersOn} of ${containers} containers checked`,
  ];
  return parts.join(', ');
}

function describeBinary(b: BinaryFacts): string {
  if (b.looks === 'patched') {
    const how = [b.kpatchNote ? `kpatch note ${b.kpatchNote}` : '', b.nokmemProof ? 'built with the nokmem tag' : '']
      .filter(Boolean)
      .join(', ');
    return `looks fixed (${how})`;
  }
  if (b.looks === 'not-affected') return 'looks unaffected (a Go binary without the kmem-enabling function: runc rc94 or later)';
  return b.goBinary
    ? 'does not look fixed (no kpatch note, no nokmem build)'
    : 'does not look fixed (no kpatch note, no nokmem build; not recognised as a Go binary)';
}

function dedupe(xs: string[]): string[] {
  return [...new Set(xs)];
}
