/**
 * The words of a doctor report: the reasons (the facts behind the state, one
 * per line) and the next steps, in plain words, from the state decided in
 * decideVerdict.ts and the same facts. The next steps are a table too
 * ({@link STEPS}): each row says when it applies and what it says, in the
 * order they are printed.
 */
import type { NodeFacts, State, VerdictInput } from './decideVerdict.js';
import { LEAK_GAP } from './readMemoryIds.js';
import type { KubepodsKmem } from './checkKubepods.js';
import type { BinaryFacts } from './scanBinary.js';

const REBOOT_WHY =
  'kubepods keeps the kmem setting it was created with, new pods inherit it, and the kubelet reuses the folder when it restarts: only a reboot recreates it';

/** The reasons and next steps for a node in `state`. */
export function describeVerdict(state: State, f: NodeFacts, input: VerdictInput): { reasons: string[]; nextSteps: string[] } {
  if (f.gate === 'undecidable') return undecidable(input);
  if (f.gate === 'not-applicable') return notApplicable(input);
  const steps = STEPS.filter((s) => s.when(f, state)).map((s) => s.text(f, input));
  return { reasons: reasons(f, input), nextSteps: [...new Set(steps)] };
}

function undecidable(input: VerdictInput): { reasons: string[]; nextSteps: string[] } {
  const refused = input.refused ?? [];
  if (refused.length === 0)
    return {
      reasons: ['no cgroup hierarchy found: no cgroup mounts in /proc/self/mountinfo and no /sys/fs/cgroup/memory'],
      nextSteps: ['Run doctor on the node itself, or point --root at a folder holding copies of its /proc and /sys/fs/cgroup.'],
    };
  return {
    reasons: refused.map((r) => `${r}; doctor does not read such a file, so it cannot tell`),
    nextSteps: [
      "Check --root: a node's /proc and /sys/fs/cgroup hold no FIFOs, devices or sockets where doctor reads; point --root at the node's / (or at regular copies of its files).",
    ],
  };
}

function notApplicable(input: VerdictInput): { reasons: string[]; nextSteps: string[] } {
  if (!input.cgroups.memoryV1)
    return {
      reasons: [`cgroup ${input.cgroups.mode}: the memory controller is not on a cgroup v1 hierarchy, and the leak only happens there`],
      nextSteps: ['Nothing to do: the kmem-accounting leak does not apply to this node.'],
    };
  return {
    reasons: ['the memory controller is disabled (the enabled column of /proc/cgroups is 0)'],
    nextSteps: ['Nothing to do: without the memory controller there are no memory cgroups to leak.'],
  };
}

/** The facts behind the state, one per line: kernel, IDs, kmem, binaries. */
function reasons(f: NodeFacts, input: VerdictInput): string[] {
  const { kernel, memory, kmem } = input;
  const out: string[] = [];
  if (kernel.leakProne === 'yes') out.push(`kernel ${kernel.release} is a 3.10 el7 kernel, where the leak happens`);
  else if (kernel.leakProne === 'unknown')
    out.push('kernel release unknown (/proc/sys/kernel/osrelease unreadable): assuming the leak can happen');
  else out.push(`kernel ${kernel.release} is not a 3.10 el7 kernel: the leak is not known there`);

  const row = memory.row;
  if (!row) out.push(`${memory.rowError ?? 'no memory row in /proc/cgroups'}: cannot count memory cgroup IDs`);
  else {
    const pct = ((100 * row.numCgroups) / memory.limit).toFixed(1);
    out.push(
      f.nearLimit
        ? `${row.numCgroups} of ${memory.limit} memory cgroup IDs in use (${pct}%), at or above the warning level of ${memory.warnAt}`
        : `${row.numCgroups} of ${memory.limit} memory cgroup IDs in use (${pct}%)`,
    );
    const folders = memory.present?.dirs;
    if (f.bigGap && f.prone) out.push(`${f.gap} IDs are held by deleted cgroups (${folders} memory cgroup folders present): the leak`);
    else if (f.bigGap)
      out.push(
        `${f.gap} deleted memory cgroups are not freed yet (${folders} folders present); usually memory still charged to them, watch the trend`,
      );
    else if (f.gap !== undefined) out.push(`${f.gap} IDs held by deleted cgroups, below the ${LEAK_GAP} that doctor calls a leak`);
    else if (memory.gapCaveat) out.push(`IDs held by deleted cgroups not computed: ${memory.gapCaveat}`);
  }

  if (!kmem || !f.kubepodsFound) out.push('no kubepods cgroup found: no kubelet on this node, or it uses another cgroup root');
  else {
    out.push(describeKmem(kmem, f.kubepodsOn ? 'on' : f.kubepodsUnknown ? 'unknown' : 'off', f.podsOn, f.containersOn));
    if (f.kubepodsUnknown && f.prone) out.push('the kmem state of kubepods could not be read; run doctor as root');
    if (f.kubepodsOn && kernel.cmdlineNokmem)
      out.push('the kernel command line has cgroup.memory=nokmem, yet kmem accounting is on for kubepods');
  }
  if (f.mitigated)
    out.push(
      'the kernel command line has cgroup.memory=nokmem and kmem accounting is observed off on kubepods and every cgroup checked: the kernel keeps it off whatever the binaries do',
    );
  for (const name of ['kubelet', 'runc'] as const) {
    const b = input.binaries[name];
    if (b) out.push(`${name} ${b.path} ${describeBinary(b)}`);
  }
  return out;
}

/** One next step: when it applies, and its words. */
interface StepRow {
  when: (f: NodeFacts, state: State) => boolean;
  text: (f: NodeFacts, input: VerdictInput) => string;
}

/** IDs lost to the leak itself: a leak-prone kernel and the gap. */
const leakGap = (f: NodeFacts) => f.prone && f.bigGap;
/** Something the binaries do is behind what doctor saw, on a node where that matters. */
const fixWanted = (f: NodeFacts) => f.exposed && (f.anyOn || leakGap(f) || f.kubelet === 'unfixed' || f.runc === 'unfixed');
const settled = (state: State) => state === 'fixed' || state === 'not-affected';

/** The next steps, in the order they are printed. */
const STEPS: readonly StepRow[] = [
  {
    when: leakGap,
    text: (f, i) =>
      `This node is leaking: ${f.gap} memory cgroup IDs are lost until a reboot, and new containers fail with "no space left on device" when all ${i.memory.limit} are taken.`,
  },
  {
    when: (f) => f.idsUnknown,
    text: () => "Run doctor as root on the node (or check --root): the kernel's memory cgroup count could not be read.",
  },
  {
    when: (f) => f.nearLimit && !f.bigGap,
    text: () => 'Move pods off this node: the live memory cgroups themselves are close to the 65535 limit.',
  },
  {
    when: (f) => fixWanted(f) && (f.kubelet === 'absent' || f.runc === 'absent'),
    text: (f) => {
      const missing = [f.kubelet === 'absent' ? 'kubelet' : '', f.runc === 'absent' ? 'runc' : ''].filter(Boolean).join(' and ');
      return `Check the binaries: doctor did not find or read the ${missing} (see where it looked); name them, e.g. kpatch doctor --kubelet "$(command -v kubelet)" --runc "$(command -v runc)". If they do not look fixed, build fixed ones (kpatch build --k8s <your Kubernetes tag>, kpatch build --runc <your runc tag>) and install them.`;
    },
  },
  {
    when: (f) => fixWanted(f) && f.kubelet === 'unfixed',
    text: (_, i) =>
      `Install a fixed kubelet (kpatch build --k8s <your Kubernetes tag>): ${i.binaries.kubelet?.path} still switches kmem on for every pod.`,
  },
  {
    when: (f) => fixWanted(f) && f.runc === 'unfixed',
    text: (_, i) =>
      `Install a fixed runc (kpatch build --runc <your runc tag>): ${i.binaries.runc?.path} still switches kmem on for every container.`,
  },
  {
    when: (f) => fixWanted(f) && (f.kubepodsOn || leakGap(f)),
    text: (f) => {
      const why = f.kubepodsOn ? REBOOT_WHY : 'only a reboot releases the IDs held by deleted cgroups';
      const allFixed = f.kubelet === 'fixed' && f.runc !== 'unfixed';
      const who = f.runc !== 'absent' ? 'The kubelet and runc are' : 'The kubelet is';
      const lead =
        allFixed && f.kubepodsOn
          ? `${who} fixed, but kubepods still has kmem accounting on: drain and reboot the node`
          : allFixed
            ? `${who} fixed: drain and reboot the node`
            : 'Once fixed binaries are installed, drain and reboot the node';
      return `${lead}. Why: ${why}; restarting the kubelet is not enough.`;
    },
  },
  {
    when: (f) => fixWanted(f) && !f.kubepodsOn && !leakGap(f) && f.containersOn > 0 && f.runc === 'fixed',
    text: () =>
      'Containers created before the fixed runc was installed keep kmem on; they are fixed as they are recreated (or drain and reboot the node).',
  },
  {
    when: (f, state) => state === 'reboot-needed' && f.runc === 'absent',
    text: () =>
      "runc was not found or checked: make sure the container runtime's runc is fixed too before the reboot (kpatch doctor --runc PATH), or containers will switch kmem on again.",
  },
  {
    when: (_, state) => state === 'mitigated',
    text: () =>
      'Nothing to do now: the kernel keeps kmem accounting off. Keep cgroup.memory=nokmem on the kernel command line across kernel updates; installing a fixed kubelet and runc (kpatch build) removes the dependence on it.',
  },
  {
    when: (f, state) => settled(state) && f.prone && f.seenOff,
    text: () => 'Nothing to do: the fix is in effect, kubepods and the pods checked have kmem accounting off.',
  },
  { when: (f, state) => settled(state) && !(f.prone && f.seenOff), text: () => 'Nothing to do.' },
];

function describeKmem(k: KubepodsKmem, kubepods: string, podsOn: number, containersOn: number): string {
  const pods = k.checks.filter((c) => c.kind === 'pod').length;
  const containers = k.checks.filter((c) => c.kind === 'container').length;
  return [
    `kmem accounting ${kubepods} for ${k.roots.join(' and ')}`,
    `on in ${podsOn} of ${pods} pods checked (of ${k.podsFound})`,
    `on in ${containersOn} of ${containers} containers checked`,
  ].join(', ');
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
