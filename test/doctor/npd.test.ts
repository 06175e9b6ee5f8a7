/**
 * `kpatch doctor --format npd` as node-problem-detector runs it: the shipped
 * monitor config's rule (its args, with the node root pointed at a fake node)
 * run through the real executable against every fake-node scenario, checking
 * the exit status NPD keys on (0 OK, 1 problem, 2 unknown) and the one line it
 * keeps as the condition's message (at most max_output_length characters).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { kpatch, REPO_ROOT } from '../helpers/cli.js';
import { buildGoBinary } from './goBinaries.js';
import { makeFakeNode, removeFakeNode, type FakeNodeSpec } from '../helpers/fakeNode.js';

const MONITOR = path.join(REPO_ROOT, 'docs/examples/npd/kmem-cgroup-leak-monitor.json');
const POD = 'kubepods/burstable/pod0a1b2c3d-1111-4e8f-9a0b-aaaaaaaaaaaa';
const CTR = `${POD}/8710c146b3c8b52f5da62e222273703b1e3d54a6a6270a0ea7ce1b194f1b5053`;
const EL7 = '3.10.0-1160.el7.x86_64';

let bins: string;
let go: { unpatched: string; fixed: string; unaffected: string };
const roots: string[] = [];

beforeAll(() => {
  bins = mkdtempSync(path.join(os.tmpdir(), 'kpatch-npd-bins-'));
  go = { unpatched: buildGoBinary(bins, 'unpatched'), fixed: buildGoBinary(bins, 'fixed'), unaffected: buildGoBinary(bins, 'unaffected') };
}, 120_000);
afterAll(() => {
  for (const r of roots) removeFakeNode(r);
  rmSync(bins, { recursive: true, force: true });
});

/** The rule as NPD would run it, with `--root` pointed at `root`. */
function runRule(root: string): { code: number; line: string; stdout: string; stderr: string } {
  const monitor = JSON.parse(readFileSync(MONITOR, 'utf8'));
  const args: string[] = [...monitor.rules[0].args];
  args[args.indexOf('--root') + 1] = root;
  const r = kpatch(args);
  // NPD trims stdout and keeps max_output_length characters of it.
  const line = r.stdout.trim().slice(0, monitor.pluginConfig.max_output_length);
  return { code: r.code, line, stdout: r.stdout, stderr: r.stderr };
}

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

interface Scenario {
  name: string;
  spec: () => FakeNodeSpec;
  code: 0 | 1 | 2;
  line: RegExp;
  state?: string;
}

const SCENARIOS: Scenario[] = [
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
      ...kubelet(() => go.unpatched),
    }),
    code: 1,
    line: /^kmem leak: 61200\/65535 memory cgroup IDs in use, 61195 held by deleted cgroups$/,
    state: 'leaking',
  },
  {
    name: 'vulnerable: kmem on in kubepods, unfixed kubelet running',
    spec: () => ({ mode: 'v1', kernel: EL7, cgroups: { kubepods: 'on', [POD]: 'on' }, ...kubelet(() => go.unpatched) }),
    code: 1,
    line: /^kmem vulnerable: kmem on in kubepods, el7 kernel, 4\/65535 IDs in use$/,
    state: 'vulnerable',
  },
  {
    name: 'vulnerable: no pods yet, but the runc containerd uses is not fixed',
    spec: () => ({ mode: 'v1', kernel: EL7, cgroups: { kubepods: 'off' }, ...kubelet(() => go.fixed), ...containerd(() => go.unpatched) }),
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
      ...kubelet(() => go.fixed),
      ...containerd(() => go.fixed),
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
      ...kubelet(() => go.unpatched),
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
      ...kubelet(() => go.unpatched),
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
      ...kubelet(() => go.fixed),
      ...containerd(() => go.unaffected),
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
      ...kubelet(() => go.unpatched),
    }),
    code: 1,
    line: /^kmem vulnerable: kmem on in kubepods, el7 kernel, 4\/65535 IDs in use$/,
    state: 'vulnerable',
  },
];

describe('kpatch doctor --format npd, run as the shipped NPD rule', () => {
  for (const s of SCENARIOS) {
    it(s.name, () => {
      const root = makeFakeNode(s.spec());
      roots.push(root);
      const r = runRule(root);
      expect({ code: r.code, line: r.line }).toEqual({ code: s.code, line: expect.stringMatching(s.line) });
      // One line, short enough that NPD keeps all of it, nothing on stderr.
      expect(r.stdout.endsWith('\n') && r.stdout.indexOf('\n') === r.stdout.length - 1).toBe(true);
      expect(r.stdout.trim().length).toBeLessThanOrEqual(80);
      expect(r.stderr).toBe('');
      if (s.state) {
        const json = JSON.parse(kpatch(['doctor', '--root', root, '--format', 'json']).stdout);
        expect(json.state).toBe(s.state);
      }
    });
  }

  it('a bad node root: exit 2 (unknown to NPD), the error on stdout for the condition and in full on stderr', () => {
    const r = runRule(path.join(os.tmpdir(), 'kpatch-npd-no-such-root'));
    expect(r.code).toBe(2);
    expect(r.line).toMatch(/^kmem unknown: error\[node_root_missing\]: node root not found: \/\S*/);
    expect(r.stdout.trim().length).toBeLessThanOrEqual(80);
    expect(r.stderr).toMatch(/^kpatch: error\[node_root_missing\]/);
  });

  it('--json with --format npd is a usage error; text and json keep their exit codes', () => {
    const root = makeFakeNode({ mode: 'v1', kernel: EL7, cgroups: { kubepods: 'on' } });
    roots.push(root);
    const both = kpatch(['doctor', '--root', root, '--json', '--format', 'npd']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/error\[usage\].*\n.*--json and --format npd ask for two formats/);
    const text = kpatch(['doctor', '--root', root]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^verdict: at-risk\nstate: vulnerable \(/m);
  });
});
