/**
 * Nothing doctor reads can hang it. Each file doctor reads on a node (the
 * kernel's counts and mount table, its release and command line, a cgroup's
 * kmem files, a process's name, the runtime's config, the running kubelet's
 * binary) is replaced in turn by a FIFO (which blocks an ordinary open until
 * a writer comes) or a link to /dev/zero (which never ends), and the real
 * executable is run as the shipped NPD rule runs it. It must stop promptly
 * on its own (the run is killed after 20 s: a blocked kpatch ignores
 * SIGTERM), report `unknown` (NPD exit 2) naming the file and what it is,
 * and say the same in the text and JSON formats (exit 1, state unknown).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { kpatch } from '../helpers/cli.js';
import { GO_BUILD_ID, KMEM_FN, NOKMEM_TEXT, makeBinary, makeFakeNode, removeFakeNode, type FakeNodeSpec } from '../helpers/fakeNode.js';

const POD = 'kubepods/burstable/pod0a1b2c3d-1111-4e8f-9a0b-aaaaaaaaaaaa';
const MEM = 'sys/fs/cgroup/memory';
const KILL_AFTER_MS = 20_000;

let bins: string;
const roots: string[] = [];

beforeAll(() => {
  bins = mkdtempSync(path.join(os.tmpdir(), 'kpatch-hostile-bins-'));
  makeBinary(bins, 'kubelet', [GO_BUILD_ID, 'v1.12.4+kpatch.guardgo1.10.4linux', KMEM_FN]);
  makeBinary(bins, 'runc', [GO_BUILD_ID, NOKMEM_TEXT, KMEM_FN]);
});
afterAll(() => {
  for (const r of roots) removeFakeNode(r);
  rmSync(bins, { recursive: true, force: true });
});

/** An el7 node with fixed binaries installed and kmem still on: `reboot-needed` when every file is sound. */
function node(): string {
  const spec: FakeNodeSpec = {
    mode: 'v1',
    kernel: '3.10.0-1160.el7.x86_64',
    cgroups: { kubepods: 'on', 'kubepods/burstable': 'on', [POD]: 'on' },
    processes: [
      { pid: 1, comm: 'systemd' },
      { pid: 4242, comm: 'kubelet', cmdline: ['/usr/bin/kubelet', '--v=2'], exe: path.join(bins, 'kubelet') },
    ],
    files: { '/etc/containerd/config.toml': '  BinaryName = "/opt/runtime/bin/runc"\n' },
    copies: { '/opt/runtime/bin/runc': path.join(bins, 'runc') },
  };
  const root = makeFakeNode(spec);
  roots.push(root);
  return root;
}

/** Replaces the node file `rel` by a FIFO or by a link to /dev/zero. */
function plant(root: string, rel: string, kind: 'fifo' | 'zero'): void {
  const file = path.join(root, rel);
  rmSync(file, { force: true });
  mkdirSync(path.dirname(file), { recursive: true });
  if (kind === 'fifo') execFileSync('mkfifo', [file]);
  else symlinkSync('/dev/zero', file);
}

/** The running kubelet's /proc/<pid>/exe, pointed at a FIFO or /dev/zero as the kernel's link would point at the binary. */
function plantExe(root: string, kind: 'fifo' | 'zero'): void {
  const exe = path.join(root, 'proc/4242/exe');
  rmSync(exe);
  if (kind === 'fifo') {
    const fifo = path.join(root, 'kubelet.fifo');
    execFileSync('mkfifo', [fifo]);
    symlinkSync(fifo, exe);
  } else symlinkSync('/dev/zero', exe);
}

/** Runs doctor as the shipped NPD rule does (`--root R --format npd`), or with another format. */
function doctor(root: string, format: 'npd' | 'json') {
  const r = kpatch(['doctor', '--root', root, '--format', format], { timeoutMs: KILL_AFTER_MS });
  expect(r.killed, `doctor --format ${format} hung (killed after ${KILL_AFTER_MS} ms)`).toBe(false);
  expect(r.ms).toBeLessThan(10_000);
  return r;
}

const WHAT = { fifo: 'is a FIFO (named pipe)', zero: 'is a character device' };

const CASES: { file: string; kinds: ('fifo' | 'zero')[]; named: string }[] = [
  { file: 'proc/cgroups', kinds: ['fifo', 'zero'], named: '/proc/cgroups' },
  { file: 'proc/self/mountinfo', kinds: ['fifo', 'zero'], named: '/proc/self/mountinfo' },
  { file: 'proc/sys/kernel/osrelease', kinds: ['fifo'], named: '/proc/sys/kernel/osrelease' },
  { file: 'proc/cmdline', kinds: ['fifo', 'zero'], named: '/proc/cmdline' },
  { file: `${MEM}/kubepods/memory.kmem.slabinfo`, kinds: ['fifo', 'zero'], named: '/sys/fs/cgroup/memory/kubepods/memory.kmem.slabinfo' },
  { file: `${MEM}/${POD}/memory.kmem.usage_in_bytes`, kinds: ['fifo'], named: `/sys/fs/cgroup/memory/${POD}/memory.kmem.usage_in_bytes` },
  { file: 'proc/4242/comm', kinds: ['fifo'], named: '/proc/4242/comm' },
  { file: 'etc/containerd/config.toml', kinds: ['fifo'], named: '/etc/containerd/config.toml' },
];

describe('doctor on a node whose files hang or never end', () => {
  it('the node itself, every file sound: reboot-needed (so each case below is its file alone)', () => {
    const root = node();
    const r = doctor(root, 'npd');
    expect({ code: r.code, line: r.stdout.trim() }).toEqual({ code: 1, line: expect.stringMatching(/^kmem fix not in effect/) });
  });

  for (const c of CASES) {
    for (const kind of c.kinds) {
      it(`${c.file} ${kind === 'fifo' ? 'is a FIFO' : 'links to /dev/zero'}: unknown, promptly`, () => {
        const root = node();
        plant(root, c.file, kind);
        const npd = doctor(root, 'npd');
        expect({ code: npd.code, stderr: npd.stderr }).toEqual({ code: 2, stderr: '' });
        expect(npd.stdout.trim()).toBe(
          `kmem unknown: ${c.named} ${WHAT[kind]}; doctor does not read such a file, so it cannot tell`.slice(0, 77) + '...',
        );
        const json = doctor(root, 'json');
        expect(json.code).toBe(1);
        const doc = JSON.parse(json.stdout);
        expect(doc).toMatchObject({ state: 'unknown', verdict: 'at-risk' });
        expect(doc.reasons).toContain(`${c.named} ${WHAT[kind]}; doctor does not read such a file, so it cannot tell`);
      });
    }
  }

  for (const kind of ['fifo', 'zero'] as const) {
    it(`the running kubelet's /proc/<pid>/exe ${kind === 'fifo' ? 'leads to a FIFO' : 'links to /dev/zero'}: unknown, promptly`, () => {
      const root = node();
      plantExe(root, kind);
      const npd = doctor(root, 'npd');
      expect(npd.code).toBe(2);
      expect(npd.stdout).toMatch(/^kmem unknown: the kubelet \//);
      const doc = JSON.parse(doctor(root, 'json').stdout);
      expect(doc.state).toBe('unknown');
      expect(doc.reasons.join('\n')).toMatch(new RegExp(`^the kubelet \\S+ ${WHAT[kind].replace(/[()]/g, '\\$&')}; doctor does not read`));
      expect(doc.binaries.kubelet).toBeNull();
      expect(doc.binaries.search.kubelet.looked.join('\n')).toContain(`${WHAT[kind]}: only regular files are read`);
    });
  }
});
