/**
 * doctor's decision table, in-process: one case per row of STATE_TABLE (the
 * facts that put a node in that state), the order between rows that can both
 * hold, and the exit statuses each row gives NPD and kured. Adding a state is
 * a row in STATE_TABLE and a case here.
 */
import { describe, expect, it } from 'vitest';
import { decideState, decideVerdict, STATE_TABLE, type NodeFacts, type State, type VerdictInput } from '../../src/doctor/decideVerdict.js';
import { describeVerdict } from '../../src/doctor/describeVerdict.js';

/** An el7 node with a kubelet, kmem seen off, fixed binaries: `fixed`. Each case changes what makes its state. */
const BASE: NodeFacts = {
  gate: 'applies',
  prone: true,
  idsUnknown: false,
  nearLimit: false,
  gap: 3,
  bigGap: false,
  kubepodsFound: true,
  kubepodsOn: false,
  podsOn: 0,
  containersOn: 0,
  anyOn: false,
  kubepodsUnknown: false,
  seenOff: true,
  mitigated: false,
  exposed: true,
  kubelet: 'fixed',
  runc: 'fixed',
};
const KMEM_ON: Partial<NodeFacts> = { kubepodsOn: true, anyOn: true, seenOff: false };

const CASES: [string, Partial<NodeFacts>, State][] = [
  ['1000 IDs held by deleted cgroups on an el7 kernel', { gap: 4000, bigGap: true }, 'leaking'],
  ['IDs near the limit while kmem is on, even with fixed binaries', { ...KMEM_ON, nearLimit: true }, 'leaking'],
  ['IDs near the limit and the gap cannot be counted', { nearLimit: true, gap: undefined }, 'leaking'],
  ['fixed binaries, kmem still on for kubepods', KMEM_ON, 'reboot-needed'],
  [
    'fixed kubelet, runc not found, kmem on in a container',
    { anyOn: true, containersOn: 1, seenOff: false, runc: 'absent' },
    'reboot-needed',
  ],
  ['kmem on and an unfixed kubelet', { ...KMEM_ON, kubelet: 'unfixed' }, 'vulnerable'],
  ['kmem on and no kubelet found', { ...KMEM_ON, kubelet: 'absent' }, 'vulnerable'],
  ['kmem off, but the runc in use is unfixed', { runc: 'unfixed' }, 'vulnerable'],
  ['IDs near the limit from live cgroups, gap small', { nearLimit: true }, 'id-pressure'],
  ['a large gap on a kernel where the kmem leak is not known', { prone: false, exposed: false, gap: 5000, bigGap: true }, 'id-pressure'],
  ['a file doctor reads is a FIFO', { gate: 'undecidable', ...KMEM_ON }, 'unknown'],
  ['/proc/cgroups unreadable', { idsUnknown: true, gap: undefined }, 'unknown'],
  ['the kmem state of kubepods unreadable', { kubepodsUnknown: true, seenOff: false }, 'unknown'],
  ['cgroup.memory=nokmem and kmem seen off, unfixed binaries', { mitigated: true, exposed: false, kubelet: 'unfixed' }, 'mitigated'],
  ['el7, kmem seen off, fixed binaries', {}, 'fixed'],
  ['el7, no pods yet, a fixed kubelet', { kubepodsFound: false, seenOff: false, runc: 'absent' }, 'fixed'],
  ['cgroup v2, or the memory controller disabled', { gate: 'not-applicable', ...KMEM_ON, kubelet: 'unfixed' }, 'not-affected'],
  ['a kernel other than el7, kmem on', { prone: false, exposed: false, ...KMEM_ON, kubelet: 'unfixed' }, 'not-affected'],
  ['el7, no kubelet and no binary found', { kubepodsFound: false, seenOff: false, kubelet: 'absent', runc: 'absent' }, 'not-affected'],
];

describe('the state table', () => {
  for (const [name, change, state] of CASES) {
    it(`${name}: ${state}`, () => {
      expect(decideState({ ...BASE, ...change }).state).toBe(state);
    });
  }

  it('has one row per state, and a case above for each', () => {
    const states = STATE_TABLE.map((r) => r.state);
    expect(new Set(states).size).toBe(states.length);
    expect(new Set(CASES.map((c) => c[2]))).toEqual(new Set(states));
    // The last row holds for any facts, so every node gets a state.
    expect(STATE_TABLE.at(-1)!.when({ ...BASE, gate: 'undecidable' })).toBe(true);
  });

  it('NPD: 0 for the settled states, 2 for unknown, 1 for a problem; kured reboots reboot-needed only', () => {
    const exits = Object.fromEntries(STATE_TABLE.map((r) => [r.state, [r.npd, r.sentinel]]));
    expect(exits).toEqual({
      leaking: [1, 1],
      'reboot-needed': [1, 0],
      vulnerable: [1, 1],
      'id-pressure': [1, 1],
      unknown: [2, 1],
      mitigated: [0, 1],
      fixed: [0, 1],
      'not-affected': [0, 1],
    });
  });

  it('the verdict of the text and JSON formats follows the row: leaking only for the gap', () => {
    const verdict = (change: Partial<NodeFacts>) => {
      const f = { ...BASE, ...change };
      return decideState(f).verdict(f);
    };
    expect(verdict({ gap: 4000, bigGap: true })).toBe('leaking');
    expect(verdict({ ...KMEM_ON, nearLimit: true })).toBe('at-risk');
    expect(verdict(KMEM_ON)).toBe('at-risk');
    expect(verdict({})).toBe('ok');
    expect(verdict({ gate: 'undecidable' })).toBe('at-risk');
  });
});

describe('decideVerdict and describeVerdict', () => {
  it('a refused file makes the node unknown whatever else it shows, and says which file and why', () => {
    const input: VerdictInput = {
      cgroups: { mode: 'v1', source: 'mountinfo', memoryV1: { mountPoint: '/sys/fs/cgroup/memory', mountRoot: '/' }, memoryOnV2: false },
      kernel: { release: '3.10.0-1160.el7.x86_64', leakProne: 'yes', cmdlineNokmem: false },
      memory: { row: { hierarchy: 4, numCgroups: 64000, enabled: true }, limit: 65535, warnAt: 52428, heldByDeleted: 63000 },
      binaries: {},
      refused: ['/proc/cmdline is a FIFO (named pipe)'],
    };
    const r = decideVerdict(input);
    expect(r).toMatchObject({ state: 'unknown', verdict: 'at-risk' });
    const words = describeVerdict(r.state, r.facts, input);
    expect(words.reasons).toEqual(['/proc/cmdline is a FIFO (named pipe); doctor does not read such a file, so it cannot tell']);
    expect(words.nextSteps[0]).toMatch(/^Check --root/);
  });
});
