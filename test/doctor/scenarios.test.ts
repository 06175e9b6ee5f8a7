/**
 * The node situations the seeds walk through, as fake roots, run through the
 * whole CLI (`run()` with a captured Io): healthy v2, leaking v1, fixed but
 * not rebooted, fixed and rebooted.
 */
import { afterEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { run } from '../../src/cli.js';
import { captureIo } from '../../src/io.js';
import { GO_BUILD_ID, KMEM_FN, NOKMEM_TEXT, makeBinary, makeFakeNode, removeFakeNode, setAge } from '../helpers/fakeNode.js';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) removeFakeNode(r);
});

async function doctor(args: string[]) {
  const io = captureIo();
  const code = await run(['doctor', ...args], io);
  return { code, out: io.out(), err: io.err() };
}

async function doctorJson(args: string[]) {
  const r = await doctor([...args, '--json']);
  expect(r.err).toBe('');
  return { code: r.code, json: JSON.parse(r.out) };
}

const POD_A = 'kubepods/burstable/pod0a1b2c3d-1111-4e8f-9a0b-aaaaaaaaaaaa';
const POD_B = 'kubepods/besteffort/pod0a1b2c3d-2222-4e8f-9a0b-bbbbbbbbbbbb';
const POD_G = 'kubepods/pod0a1b2c3d-3333-4e8f-9a0b-cccccccccccc';
const CTR = '8710c146b3c8b52f5da62e222273703b1e3d54a6a6270a0ea7ce1b194f1b5053';

describe('kpatch doctor on fake nodes', () => {
  it('healthy cgroup v2 node: ok, exit 0, the leak does not apply', async () => {
    const root = makeFakeNode({ mode: 'v2', kernel: '5.14.0-362.el9.x86_64' });
    roots.push(root);
    const text = await doctor(['--root', root]);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^cgroups\s+v2 \(from \/proc\/self\/mountinfo\); memory controller on cgroup v2: the leak does not apply$/m);
    expect(text.out).toMatch(/^verdict: ok$/m);

    const { code, json } = await doctorJson(['--root', root]);
    expect(code).toBe(0);
    expect(json.schemaVersion).toBe(1);
    expect(json.verdict).toBe('ok');
    expect(json.cgroups).toMatchObject({ mode: 'v2', memoryController: 'v2', memoryMountPoint: null });
    expect(json.kmem.checked).toBe(false);
    expect(json.memory.present).toBeNull();
  });

  it('v1 node with kmem on under kubepods and 64000 memory cgroups counted: leaking, exit 1', async () => {
    const root = makeFakeNode({
      mode: 'v1',
      kernel: '3.10.0-957.21.3.el7.x86_64',
      memoryCount: 64000,
      cgroups: {
        kubepods: 'on',
        'kubepods/burstable': 'on',
        'kubepods/besteffort': 'on',
        [POD_A]: 'on',
        [`${POD_A}/${CTR}`]: 'on',
        [POD_B]: 'on',
        [POD_G]: 'on',
      },
    });
    roots.push(root);
    const { code, json } = await doctorJson(['--root', root]);
    expect(code).toBe(1);
    expect(json.verdict).toBe('leaking');
    expect(json.exitCode).toBe(1);
    expect(json.cgroups).toMatchObject({ mode: 'v1', memoryController: 'v1', memoryMountPoint: '/sys/fs/cgroup/memory' });
    expect(json.kernel).toEqual({ release: '3.10.0-957.21.3.el7.x86_64', leakProne: 'yes', cmdlineNokmem: false });
    // root + kubepods + 2 QoS + 3 pods + 1 container
    expect(json.memory).toMatchObject({
      limit: 65535,
      warnAt: 52428,
      inUse: 64000,
      present: 8,
      presentComplete: true,
      heldByDeleted: 63992,
    });
    expect(json.kmem.roots).toEqual(['kubepods']);
    expect(json.kmem.podsFound).toBe(3);
    expect(json.kmem.total).toEqual({ checked: 7, on: 7, off: 0, unknown: 0 });
    const kube = json.kmem.cgroups.find((c: { path: string }) => c.path === 'kubepods');
    expect(kube.state).toBe('on');
    expect(kube.evidence[0]).toBe('memory.kmem.slabinfo prints "slabinfo - version: 2.1"');
    expect(json.kmem.cgroups.find((c: { kind: string }) => c.kind === 'container').path).toBe(`${POD_A}/${CTR}`);
    expect(json.reasons.join('\n')).toMatch(/63992 IDs are held by deleted cgroups/);
    expect(json.nextSteps[0]).toMatch(/^This node is leaking/);
    expect(json.nextSteps.join('\n')).toMatch(/kpatch doctor --kubelet/);
    expect(json.nextSteps.join('\n')).toMatch(/drain and reboot the node/);

    const text = await doctor(['--root', root]);
    expect(text.code).toBe(1);
    expect(text.out).toMatch(/^memory IDs  64000 of 65535 in use \(97\.7%; warning at 52428, 80%\)$/m);
    expect(text.out).toMatch(/^ {12}63992 IDs held by deleted cgroups$/m);
    expect(text.out).toMatch(/^kmem {8}7 on, 0 off, 0 unknown of 7 cgroups checked/m);
    expect(text.out).toMatch(/^verdict: leaking$/m);
  });

  it('patched node that was not rebooted: at-risk, and the next step is a reboot', async () => {
    const root = makeFakeNode({
      mode: 'hybrid',
      kernel: '3.10.0-1160.el7.x86_64',
      cgroups: { kubepods: 'on', 'kubepods/burstable': 'on', [POD_A]: 'on', [`${POD_A}/${CTR}`]: 'on' },
    });
    roots.push(root);
    const bin = path.join(root, '..', path.basename(root) + '-bin');
    roots.push(bin);
    const kubelet = makeBinary(bin, 'kubelet', [GO_BUILD_ID, 'v1.12.4+kpatch.guardgo1.10.4linux', KMEM_FN]);
    const runc = makeBinary(bin, 'runc', [GO_BUILD_ID, NOKMEM_TEXT, KMEM_FN]);

    const { code, json } = await doctorJson(['--root', root, '--kubelet', kubelet, '--runc', runc]);
    expect(code).toBe(1);
    expect(json.verdict).toBe('at-risk');
    expect(json.cgroups.mode).toBe('hybrid');
    expect(json.binaries.kubelet).toMatchObject({
      looks: 'patched',
      kpatchNote: 'v1.12.4+kpatch.guard',
      nokmemProof: false,
      goBinary: true,
    });
    expect(json.binaries.runc).toMatchObject({ looks: 'patched', kpatchNote: null, nokmemProof: true });
    const steps = json.nextSteps.join('\n');
    expect(json.nextSteps[0]).toMatch(
      /^The kubelet and runc are fixed, but kubepods still has kmem accounting on: drain and reboot the node\. Why: kubepods keeps the kmem setting it was created with/,
    );
    expect(steps).toMatch(/restarting the kubelet is not enough/);
    expect(steps).not.toMatch(/Install a fixed/);

    const text = await doctor(['--root', root, '--kubelet', kubelet, '--runc', runc]);
    expect(text.out).toMatch(/^kubelet {5}\S+kubelet: patched \(kpatch note v1\.12\.4\+kpatch\.guard/m);
    expect(text.out).toMatch(/^verdict: at-risk$/m);
  });

  it('patched and rebooted node: ok, exit 0, the fix is in effect', async () => {
    const root = makeFakeNode({
      mode: 'v1',
      kernel: '3.10.0-1160.el7.x86_64',
      cmdline: 'BOOT_IMAGE=/vmlinuz ro',
      cgroups: {
        kubepods: 'off',
        'kubepods/burstable': 'off',
        'kubepods/besteffort': 'empty-slabinfo',
        [POD_A]: 'off',
        [`${POD_A}/${CTR}`]: 'off',
        [POD_B]: 'off',
      },
    });
    roots.push(root);
    const bin = path.join(root, '..', path.basename(root) + '-bin');
    roots.push(bin);
    const kubelet = makeBinary(bin, 'kubelet', [GO_BUILD_ID, 'v1.14.10+kpatch.nokmem', NOKMEM_TEXT, KMEM_FN]);
    const runc = makeBinary(bin, 'runc', [GO_BUILD_ID, 'v1.0.0-rc92+kpatch.nokmem', NOKMEM_TEXT, KMEM_FN]);

    const { code, json } = await doctorJson(['--root', root, '--kubelet', kubelet, '--runc', runc]);
    expect(json.verdict).toBe('ok');
    expect(code).toBe(0);
    expect(json.kmem.total).toEqual({ checked: 6, on: 0, off: 6, unknown: 0 });
    expect(json.memory.heldByDeleted).toBe(0);
    expect(json.nextSteps).toEqual(['Nothing to do: the fix is in effect, kubepods and the pods checked have kmem accounting off.']);
    const besteffort = json.kmem.cgroups.find((c: { path: string }) => c.path === 'kubepods/besteffort');
    expect(besteffort.evidence).toContain('memory.kmem.slabinfo is empty');
  });

  it('unpatched binaries on a node with no pods yet: at-risk, install fixed binaries', async () => {
    const root = makeFakeNode({ mode: 'v1', kernel: '3.10.0-693.el7.x86_64', cgroups: { kubepods: 'off' } });
    roots.push(root);
    const bin = path.join(root, '..', path.basename(root) + '-bin');
    roots.push(bin);
    const kubelet = makeBinary(bin, 'kubelet', [GO_BUILD_ID, 'v1.12.4', KMEM_FN]);
    const { code, json } = await doctorJson(['--root', root, '--kubelet', kubelet]);
    expect(code).toBe(1);
    expect(json.verdict).toBe('at-risk');
    expect(json.binaries.kubelet.looks).toBe('unpatched');
    expect(json.nextSteps.join('\n')).toMatch(/Install a fixed kubelet \(kpatch build --k8s/);
  });

  it('systemd driver names: kubepods.slice, QoS slices and pod slices are found', async () => {
    const qos = 'kubepods.slice/kubepods-burstable.slice';
    const pod1 = `${qos}/kubepods-burstable-pod0a1b2c3d_1111_4e8f_9a0b_aaaaaaaaaaaa.slice`;
    const pod2 = `${qos}/kubepods-burstable-pod0a1b2c3d_2222_4e8f_9a0b_bbbbbbbbbbbb.slice`;
    const guaranteed = 'kubepods.slice/kubepods-pod0a1b2c3d_3333_4e8f_9a0b_cccccccccccc.slice';
    const root = makeFakeNode({
      mode: 'v1',
      kernel: '3.10.0-1160.el7.x86_64',
      cgroups: {
        'kubepods.slice': 'off',
        [qos]: 'off',
        [pod1]: 'off',
        [`${pod1}/docker-${CTR}.scope`]: 'on',
        [pod2]: 'off',
        [guaranteed]: 'off',
      },
    });
    roots.push(root);
    const mem = path.join(root, 'sys/fs/cgroup/memory');
    setAge(path.join(mem, pod2), 300);
    setAge(path.join(mem, guaranteed), 600);
    setAge(path.join(mem, pod1), 10);

    const { code, json } = await doctorJson(['--root', root]);
    expect(json.kmem.roots).toEqual(['kubepods.slice']);
    expect(json.kmem.podsFound).toBe(3);
    const pods = json.kmem.cgroups.filter((c: { kind: string }) => c.kind === 'pod').map((c: { path: string }) => c.path);
    expect(pods).toEqual([pod1, pod2, guaranteed]); // newest first
    expect(json.kmem.total).toMatchObject({ on: 1, off: 5 });
    // kubepods is off but a container is on: runc still switches kmem on.
    expect(json.verdict).toBe('at-risk');
    expect(code).toBe(1);
    expect(json.reasons.join('\n')).toMatch(/on in 1 of 1 containers checked/);
  });

  it('a kernel that is not 3.10 el7: kmem on is reported but is not a risk', async () => {
    const root = makeFakeNode({ mode: 'v1', kernel: '5.4.0-150-generic', cgroups: { kubepods: 'on', [POD_A]: 'on' } });
    roots.push(root);
    const { code, json } = await doctorJson(['--root', root]);
    expect(json.verdict).toBe('ok');
    expect(code).toBe(0);
    expect(json.kernel.leakProne).toBe('no');
    expect(json.kmem.total.on).toBe(2);
  });

  it('cgroup.memory=nokmem on the command line is reported', async () => {
    const root = makeFakeNode({ mode: 'v1', cmdline: 'ro quiet cgroup.memory=nosocket,nokmem', cgroups: { kubepods: 'off' } });
    roots.push(root);
    const { json } = await doctorJson(['--root', root]);
    expect(json.kernel.cmdlineNokmem).toBe(true);
    const text = await doctor(['--root', root]);
    expect(text.out).toMatch(/cgroup\.memory=nokmem on the command line: yes/);
  });

  it('/proc/cgroups unreadable on a v1 node: at-risk, cannot rule the leak out', async () => {
    const root = makeFakeNode({ mode: 'v1', noProcCgroups: true, cgroups: { kubepods: 'off' } });
    roots.push(root);
    const { code, json } = await doctorJson(['--root', root]);
    expect(code).toBe(1);
    expect(json.verdict).toBe('at-risk');
    expect(json.memory.inUse).toBeNull();
    expect(json.memory.error).toBe('cannot read /proc/cgroups: ENOENT');
  });
});
