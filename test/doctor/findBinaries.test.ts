/**
 * doctor finds the kubelet and runc a node runs when --kubelet/--runc are not
 * given, and says where it looked: the running kubelet's /proc/<pid>/exe, the
 * container runtime's config (containerd, docker, cri-o), then the PATH. The
 * binaries are real Go programs built here (see goBinaries.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../src/cli.js';
import { captureIo } from '../../src/io.js';
import { dockerRuntimes, tomlStrings } from '../../src/doctor/findBinaries.js';
import { expectValidJson } from '../helpers/jsonSchema.js';
import { buildGoBinary } from './goBinaries.js';
import { makeFakeNode, removeFakeNode, type FakeNodeSpec } from '../helpers/fakeNode.js';

const EL7 = '3.10.0-1160.el7.x86_64';
let bins: string;
let go: { unpatched: string; fixed: string };
const roots: string[] = [];

beforeAll(() => {
  bins = mkdtempSync(path.join(os.tmpdir(), 'kpatch-find-bins-'));
  go = { unpatched: buildGoBinary(bins, 'unpatched'), fixed: buildGoBinary(bins, 'fixed') };
}, 120_000);
afterAll(() => {
  for (const r of roots) removeFakeNode(r);
  rmSync(bins, { recursive: true, force: true });
});

async function doctor(spec: FakeNodeSpec, extra: string[] = []) {
  const root = makeFakeNode(spec);
  roots.push(root);
  const io = captureIo();
  const code = await run(['doctor', '--root', root, '--json', ...extra], io);
  expect(io.err()).toBe('');
  const json = expectValidJson('doctor.schema.json', io.out());
  const textIo = captureIo();
  await run(['doctor', '--root', root, ...extra], textIo);
  return { code, json, text: textIo.out(), root };
}

describe('finding the kubelet', () => {
  it('the running kubelet: /proc/<pid>/comm, read through /proc/<pid>/exe', async () => {
    const { json, text } = await doctor({
      mode: 'v1',
      kernel: EL7,
      cgroups: { kubepods: 'off' },
      processes: [
        { pid: 1, comm: 'systemd', exe: '/usr/lib/systemd/systemd' },
        { pid: 977, comm: 'containerd' },
        { pid: 4242, comm: 'kubelet', exe: go.unpatched },
      ],
    });
    expect(json.binaries.search.kubelet).toEqual({
      source: 'process',
      path: go.unpatched,
      looked: [`/proc/*/comm: kubelet is pid 4242; /proc/4242/exe -> ${go.unpatched}`],
    });
    expect(json.binaries.kubelet).toMatchObject({ path: go.unpatched, looks: 'unpatched', kmemFunction: true, goBinary: true });
    expect(json.state).toBe('vulnerable');
    expect(text).toMatch(new RegExp(`^kubelet {5}${go.unpatched}: unpatched .*\\(found: the running process\\)$`, 'm'));
    expect(text).toMatch(/^ {12}looked: \/proc\/\*\/comm: kubelet is pid 4242/m);
  });

  it('falls back to the first word of /proc/<pid>/cmdline when comm cannot be read', async () => {
    const { json } = await doctor({
      mode: 'v1',
      kernel: EL7,
      cgroups: { kubepods: 'off' },
      processes: [{ pid: 31337, cmdline: ['/usr/bin/kubelet', '--config=/var/lib/kubelet/config.yaml'], exe: go.fixed }],
    });
    expect(json.binaries.search.kubelet.source).toBe('process');
    expect(json.binaries.kubelet.looks).toBe('patched');
  });

  it('no kubelet process: not found, and the report says where it looked', async () => {
    const { json, text } = await doctor({
      mode: 'v1',
      kernel: EL7,
      cgroups: { kubepods: 'off' },
      processes: [{ pid: 1, comm: 'systemd' }],
    });
    expect(json.binaries.kubelet).toBeNull();
    expect(json.binaries.search.kubelet).toEqual({
      source: null,
      path: null,
      looked: ['/proc/*/comm: no kubelet process among 1 processes'],
    });
    expect(text).toMatch(/^kubelet {5}not found \(pass --kubelet PATH\)$/m);
  });
});

describe('finding runc', () => {
  it("containerd's BinaryName wins over runc on the PATH", async () => {
    const { json } = await doctor({
      mode: 'v1',
      kernel: EL7,
      cgroups: { kubepods: 'off' },
      files: {
        '/etc/containerd/config.toml':
          'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]\n  runtime_type = "io.containerd.runc.v2"\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\n  BinaryName = "/opt/rt/runc"\n',
      },
      copies: { '/opt/rt/runc': go.fixed, '/usr/bin/runc': go.unpatched },
    });
    expect(json.binaries.search.runc.source).toBe('containerd');
    expect(json.binaries.search.runc.path).toBe('/opt/rt/runc');
    expect(json.binaries.search.runc.looked[0]).toBe('/etc/containerd/config.toml: BinaryName = "/opt/rt/runc"');
    expect(json.binaries.runc.looks).toBe('patched');
  });

  it("docker's daemon.json runtimes, resolved on the PATH when only a name is given", async () => {
    const { json } = await doctor({
      mode: 'v1',
      kernel: EL7,
      cgroups: { kubepods: 'off' },
      files: { '/etc/docker/daemon.json': JSON.stringify({ 'default-runtime': 'kp', runtimes: { kp: { path: 'runc-kp' } } }) },
      copies: { '/usr/local/bin/runc-kp': go.unpatched },
    });
    expect(json.binaries.search.runc).toMatchObject({ source: 'docker', path: '/usr/local/bin/runc-kp' });
    expect(json.binaries.runc.looks).toBe('unpatched');
    expect(json.state).toBe('vulnerable');
  });

  it("cri-o's runtime_path in crio.conf.d", async () => {
    const { json } = await doctor({
      mode: 'v1',
      kernel: EL7,
      cgroups: { kubepods: 'off' },
      files: {
        '/etc/crio/crio.conf.d/10-runc.conf':
          '[crio.runtime.runtimes.runc]\nruntime_path = "/usr/libexec/crio/runc"\nruntime_type = "oci"\n',
      },
      copies: { '/usr/libexec/crio/runc': go.fixed },
    });
    expect(json.binaries.search.runc).toMatchObject({ source: 'cri-o', path: '/usr/libexec/crio/runc' });
  });

  it('runc on the PATH when no runtime config names one; nothing anywhere: every place looked is listed', async () => {
    const onPath = await doctor({ mode: 'v1', kernel: EL7, cgroups: { kubepods: 'off' }, copies: { '/usr/sbin/runc': go.fixed } });
    expect(onPath.json.binaries.search.runc).toMatchObject({ source: 'path', path: '/usr/sbin/runc' });
    const none = await doctor({ mode: 'v1', kernel: EL7, cgroups: { kubepods: 'off' } });
    expect(none.json.binaries.search.runc.source).toBeNull();
    expect(none.json.binaries.search.runc.looked).toEqual([
      '/etc/containerd/config.toml: not there',
      '/etc/docker/daemon.json: not there',
      '/etc/crio/crio.conf: not there',
      'PATH: no runc in /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    ]);
    expect(none.text).toMatch(/^ {12}looked: \/etc\/containerd\/config\.toml: not there$/m);
  });

  it('--runc given: read as given, nothing looked for', async () => {
    const { json } = await doctor({ mode: 'v1', kernel: EL7, cgroups: { kubepods: 'off' }, copies: { '/usr/bin/runc': go.unpatched } }, [
      '--runc',
      go.fixed,
    ]);
    expect(json.binaries.search.runc).toEqual({ source: 'flag', path: go.fixed, looked: [] });
    expect(json.binaries.runc.looks).toBe('patched');
  });

  it('on a kernel other than el7, binaries found are not read (they do not matter there), and the report says so', async () => {
    const { json } = await doctor({
      mode: 'v1',
      kernel: '5.10.0-28-amd64',
      cgroups: { kubepods: 'on' },
      copies: { '/usr/bin/runc': go.unpatched },
    });
    expect(json.binaries.search.runc.path).toBe('/usr/bin/runc');
    expect(json.binaries.runc).toBeNull();
    expect(json.binaries.search.skipped).toMatch(/the leak does not apply to this node/);
    expect(json.state).toBe('not-affected');
  });
});

describe('config readers', () => {
  it('take plain string keys only (runtime_type names a shim, not a binary)', () => {
    expect(
      tomlStrings(
        'runtime_type = "io.containerd.runc.v2"\n  BinaryName = "/usr/bin/runc"\n# runtime = "/x"\nruntime = \'/usr/sbin/runc\'\n',
        ['BinaryName', 'runtime'],
      ),
    ).toEqual([
      { key: 'BinaryName', value: '/usr/bin/runc' },
      { key: 'runtime', value: '/usr/sbin/runc' },
    ]);
    expect(dockerRuntimes('{"runtimes":{"a":{"path":"/x"},"b":{}}}')).toEqual([{ name: 'a', path: '/x' }]);
    expect(dockerRuntimes('not json')).toBeUndefined();
  });
});
