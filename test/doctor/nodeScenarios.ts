/**
 * The fake nodes doctor is tested on, one or more per state, with what
 * `--format npd` must answer for each (exit status and line): shared by the
 * NPD plugin test and the kured sentinel test, so both formats are checked on
 * the same nodes. The kubelet is a running process whose /proc/<pid>/exe is a
 * real Go binary, runc the one containerd's config names.
 */
import type { FakeNodeSpec } from '../helpers/fakeNode.js';
import type { State } from '../../src/doctor/decideVerdict.js';

/** Paths of the Go binaries standing for a kubelet or runc (goBinaries.ts). */
export interface GoBinaries {
  unpatched: string;
  fixed: string;
  unaffected: string;
}

const POD = 'kubepods/burstable/pod0a1b2c3d-1111-4e8f-9a0b-aaaaaaaaaaaa';
const CTR = `${POD}/8710c146b3c8b52f5da62e222273703b1e3d54a6a6270a0ea7ce1b194f1b5053`;
const EL7 = '3.10.0-1160.el7.x86_64';

const kubelet = (exe: () => string) => ({
  processes: [
    { pid: 1, comm: 'systemd' },
    { pid: 4242, comm: 'kubelet', exe: exe() },
  ],
});
const containerd = (runc: () => string): Partial<FakeNodeSpec> => ({
  files: {
    '/etc/containerd/config.toml':
      '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\n  BinaryName = "/opt/runtime/bin/runc"\n',
  },
  copies: { '/opt/runtime/bin/runc': runc() },
});

/** A fake node, and what doctor must say about it under --format npd. */
export interface Scenario {
  name: string;
  spec: () => FakeNodeSpec;
  code: 0 | 1 | 2;
  line: RegExp;
  /** The state `--format json` reports. */
  state: State;
}

/** Every state doctor knows, on fake nodes; `go()` gives the built binaries (made in the test file's beforeAll). */
export function nodeScenarios(go: () => GoBinaries): Scenario[] {
  return [
    {
      name: 'cgroup v2 node',
      spec: () => ({ mode: 'v2', kernel: '5.14.0-362.el9.x86_64' }),
      code: 0,
      line: /^kmem not affected: memory controller on cgroup v2, 40\/65535 IDs in use$/,
      state: 'not-affected',
    },
    {
      name: 'kernel other than el7, kmem on',
      spec: () => ({ mode: 'v1', kernel: '5.4.0-150-generic', cgroups: { kubepods: 'on' } }),
      code: 0,
      line: /^kmem not affected: kernel 5\.4\.0-150-generic is not el7, 2\/65535 IDs in use$/,
      state: 'not-affected',
    },
    {
      name: 'leaking: 61200 IDs in use, kmem on in kubepods',
      spec: () => ({
        mode: 'v1',
        kernel: EL7,
        memoryCount: 61200,
        cgroups: { kubepods: 'on', [POD]: 'on', [CTR]: 'on' },
        ...kubelet(() => go().unpatched),
      }),
      code: 1,
      line: /^kmem leak: 61200\/65535 memory cgroup IDs in use, 61195 held by deleted cgroups$/,
      state: 'leaking',
    },
    {
      name: 'vulnerable: kmem on in kubepods, unfixed kubelet running',
      spec: () => ({ mode: 'v1', kernel: EL7, cgroups: { kubepods: 'on', [POD]: 'on' }, ...kubelet(() => go().unpatched) }),
      code: 1,
      line: /^kmem vulnerable: kmem on in kubepods, el7 kernel, 4\/65535 IDs in use$/,
      state: 'vulnerable',
    },
    {
      name: 'vulnerable: no pods yet, but the runc containerd uses is not fixed',
      spec: () => ({
        mode: 'v1',
        kernel: EL7,
        cgroups: { kubepods: 'off' },
        ...kubelet(() => go().fixed),
        ...containerd(() => go().unpatched),
      }),
      code: 1,
      line: /^kmem vulnerable: runc not fixed, el7 kernel, 2\/65535 IDs in use$/,
      state: 'vulnerable',
    },
    {
      name: 'fixed binaries on disk, kubepods still has kmem on: reboot',
      spec: () => ({
        mode: 'hybrid',
        kernel: EL7,
        cgroups: { kubepods: 'on', [POD]: 'on' },
        ...kubelet(() => go().fixed),
        ...containerd(() => go().fixed),
      }),
      code: 1,
      line: /^kmem fix not in effect: kmem on in kubepods with fixed binaries on disk, reboot/,
      state: 'reboot-needed',
    },
    {
      name: 'cgroup.memory=nokmem and kmem observed off: mitigated, even with an unfixed kubelet',
      spec: () => ({
        mode: 'v1',
        kernel: EL7,
        cmdline: 'ro cgroup.memory=nokmem',
        cgroups: { kubepods: 'off', [POD]: 'off', [CTR]: 'off' },
        ...kubelet(() => go().unpatched),
      }),
      code: 0,
      line: /^kmem mitigated: cgroup\.memory=nokmem, kmem observed off, 5\/65535 IDs in use$/,
      state: 'mitigated',
    },
    {
      name: 'cgroup.memory=nokmem yet kmem on: observed, not assumed',
      spec: () => ({
        mode: 'v1',
        kernel: EL7,
        cmdline: 'ro cgroup.memory=nokmem',
        cgroups: { kubepods: 'on', [POD]: 'on' },
        ...kubelet(() => go().unpatched),
      }),
      code: 1,
      line: /^kmem vulnerable: kmem on in kubepods/,
      state: 'vulnerable',
    },
    {
      name: 'fixed and rebooted',
      spec: () => ({
        mode: 'v1',
        kernel: EL7,
        cgroups: { kubepods: 'off', [POD]: 'off', [CTR]: 'off' },
        ...kubelet(() => go().fixed),
        ...containerd(() => go().unaffected),
      }),
      code: 0,
      line: /^kmem fixed: kmem off in all 4 cgroups checked, 5\/65535 IDs in use$/,
      state: 'fixed',
    },
    {
      name: 'IDs near the limit from live cgroups, another kernel',
      spec: () => ({ mode: 'v1', kernel: '4.18.0-348.el8.x86_64', memoryCount: 60000, cgroups: { kubepods: 'off' } }),
      code: 1,
      line: /^memcg ID pressure: 60000\/65535 IDs in use, 59998 held by deleted cgroups$/,
      state: 'id-pressure',
    },
    {
      name: 'no cgroup hierarchy readable',
      spec: () => ({ mode: 'v1', noCgroups: true }),
      code: 2,
      line: /^kmem unknown: no cgroup hierarchy found/,
      state: 'unknown',
    },
    {
      name: '/proc/cgroups unreadable on an el7 node',
      spec: () => ({ mode: 'v1', kernel: EL7, noProcCgroups: true, cgroups: { kubepods: 'off' } }),
      code: 2,
      line: /^kmem unknown: cannot read \/proc\/cgroups: ENOENT/,
      state: 'unknown',
    },
    {
      name: "the DaemonSet's view: host mounts under the root, the container's own cgroup beside them",
      spec: () => ({
        mode: 'v1',
        kernel: EL7,
        containerView: true,
        cgroups: { kubepods: 'on', [POD]: 'on' },
        ...kubelet(() => go().unpatched),
      }),
      code: 1,
      line: /^kmem vulnerable: kmem on in kubepods, el7 kernel, 4\/65535 IDs in use$/,
      state: 'vulnerable',
    },
  ];
}
