/**
 * The fact readers one by one: mount table, /proc/cgroups, kernel release and
 * command line, kmem signals, binary markers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { detectCgroupMode, parseMountinfo } from '../../src/doctor/detectCgroupMode.js';
import { parseMemoryRow, readMemoryIds } from '../../src/doctor/readMemoryIds.js';
import { hasNokmem, isEl7Kernel } from '../../src/doctor/readKernel.js';
import { readKmemState } from '../../src/doctor/readKmemState.js';
import { scanBinary } from '../../src/doctor/scanBinary.js';
import { NodeFs } from '../../src/doctor/nodeFs.js';
import { DEFAULT_WALK_LIMITS } from '../../src/doctor/countDirs.js';
import { GO_BUILD_ID, KMEM_FN, NOKMEM_TEXT, SLABINFO, makeBinary } from '../helpers/fakeNode.js';

const temps: string[] = [];
function temp(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'kpatch-doctor-facts-'));
  temps.push(d);
  return d;
}
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

function put(root: string, rel: string, text: string): void {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  writeFileSync(path.join(root, rel), text);
}

describe('mount table', () => {
  it('parses optional fields, octal escapes and super options', () => {
    const m = parseMountinfo(
      [
        '36 31 0:31 / /sys/fs/cgroup/memory rw,nosuid shared:17 master:3 - cgroup cgroup rw,memory',
        '40 31 0:35 /kubepods /sys/fs/cgroup/my\\040dir rw - cgroup cgroup rw,cpu,cpuacct',
        'garbage',
      ].join('\n'),
    );
    expect(m).toEqual([
      { root: '/', mountPoint: '/sys/fs/cgroup/memory', fsType: 'cgroup', superOptions: ['rw', 'memory'] },
      { root: '/kubepods', mountPoint: '/sys/fs/cgroup/my dir', fsType: 'cgroup', superOptions: ['rw', 'cpu', 'cpuacct'] },
    ]);
  });

  it('falls back to the folders under /sys/fs/cgroup when there is no mount table', async () => {
    const root = temp();
    mkdirSync(path.join(root, 'sys/fs/cgroup/memory'), { recursive: true });
    mkdirSync(path.join(root, 'sys/fs/cgroup/unified'), { recursive: true });
    expect(await detectCgroupMode(new NodeFs(root))).toMatchObject({
      mode: 'hybrid',
      source: 'filesystem',
      memoryV1: { mountPoint: '/sys/fs/cgroup/memory' },
    });
    const v2 = temp();
    put(v2, 'sys/fs/cgroup/cgroup.controllers', 'cpu io memory pids\n');
    const mode = await detectCgroupMode(new NodeFs(v2));
    expect(mode).toMatchObject({ mode: 'v2', source: 'filesystem', memoryOnV2: true });
    expect(mode.memoryV1).toBeUndefined();
    expect((await detectCgroupMode(new NodeFs(temp()))).mode).toBe('unknown');
  });

  it('does not compute the gap when only a sub-tree of the memory hierarchy is mounted (cgroup namespace)', async () => {
    const root = temp();
    put(root, 'proc/self/mountinfo', '36 31 0:31 /kubepods/burstable/podx /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n');
    put(root, 'proc/cgroups', '#subsys_name\thierarchy\tnum_cgroups\tenabled\nmemory\t4\t5000\t1\n');
    mkdirSync(path.join(root, 'sys/fs/cgroup/memory'), { recursive: true });
    const fs = new NodeFs(root);
    const mode = await detectCgroupMode(fs);
    const ids = await readMemoryIds(fs, mode.memoryV1, DEFAULT_WALK_LIMITS);
    expect(ids.present?.dirs).toBe(1);
    expect(ids.heldByDeleted).toBeUndefined();
    expect(ids.gapCaveat).toMatch(/only the sub-tree \/kubepods\/burstable\/podx/);
  });
});

describe('/proc/cgroups and the kernel', () => {
  it('reads the memory row', () => {
    const text = '#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpuset\t3\t1\t1\nmemory\t4\t65436\t1\n';
    expect(parseMemoryRow(text)).toEqual({ hierarchy: 4, numCgroups: 65436, enabled: true });
    expect(parseMemoryRow('memory 0 1 0\n')).toEqual({ hierarchy: 0, numCgroups: 1, enabled: false });
    expect(parseMemoryRow('cpu 1 1 1\n')).toBeUndefined();
  });

  it('refuses a memory row with numbers no kernel writes, naming the column (issue 14)', () => {
    for (const [row, column] of [
      ['memory\t4\t-5\t1', 'num_cgroups is "-5"'],
      ['memory\t4\t70000\t1', 'num_cgroups is "70000", not a count from 0 to 65535'],
      ['memory\t4\t12abc\t1', 'num_cgroups is "12abc"'],
      ['memory\t4\t1e3\t1', 'num_cgroups is "1e3"'],
      ['memory\t-1\t40\t1', 'hierarchy is "-1"'],
      ['memory\t4\t40\tyes', 'enabled is "yes"'],
      ['memory\t4', 'num_cgroups is ""'],
    ]) {
      const parsed = parseMemoryRow(`#subsys_name\thierarchy\tnum_cgroups\tenabled\n${row}\n`);
      expect(parsed && 'problem' in parsed ? parsed.problem : parsed, row).toContain(column);
    }
  });

  it('flags the 3.10 el7 kernels only', () => {
    expect(isEl7Kernel('3.10.0-957.21.3.el7.x86_64')).toBe(true);
    expect(isEl7Kernel('3.10.0-1160.119.1.el7.x86_64')).toBe(true);
    expect(isEl7Kernel('3.10.0-229.el7.x86_64')).toBe(true);
    expect(isEl7Kernel('4.18.0-348.el8.x86_64')).toBe(false);
    expect(isEl7Kernel('3.10.105-generic')).toBe(false);
    expect(isEl7Kernel('6.18.44-fc-v669')).toBe(false);
  });

  it('finds cgroup.memory=nokmem among other kernel arguments', () => {
    expect(hasNokmem('ro quiet cgroup.memory=nokmem\n')).toBe(true);
    expect(hasNokmem('cgroup.memory=nosocket,nokmem crashkernel=auto')).toBe(true);
    expect(hasNokmem('cgroup.memory=nosocket')).toBe(false);
    expect(hasNokmem('ro nokmem')).toBe(false);
  });
});

describe('kmem signals of one cgroup', () => {
  it('on from a slabinfo header, from a kmem limit, or from charged kernel memory; off otherwise', async () => {
    const root = temp();
    const fs = new NodeFs(root);
    put(root, 'a/memory.kmem.slabinfo', SLABINFO);
    put(root, 'b/memory.kmem.limit_in_bytes', '104857600\n');
    put(root, 'c/memory.kmem.usage_in_bytes', '8192\n');
    put(root, 'd/memory.kmem.limit_in_bytes', '9223372036854710272\n'); // "unlimited" with 64 KiB pages
    put(root, 'd/memory.kmem.usage_in_bytes', '0\n');
    mkdirSync(path.join(root, 'e'));
    put(root, 'f/memory.kmem.usage_in_bytes', 'garbage\n');
    const state = async (d: string) => (await readKmemState(fs, `/${d}`, d, 'pod')).state;
    expect(await state('a')).toBe('on');
    expect(await state('b')).toBe('on');
    expect(await state('c')).toBe('on');
    expect(await state('d')).toBe('off');
    expect(await state('e')).toBe('off');
    expect(await state('f')).toBe('unknown');
    expect((await readKmemState(fs, '/b', 'b', 'pod')).evidence).toContain('kmem limit set (memory.kmem.limit_in_bytes = 104857600)');
  });
});

describe('binary markers', () => {
  it('finds notes and proofs across chunk boundaries of a large file', async () => {
    const dir = temp();
    const boundary = 4 << 20;
    // The note straddles the first 4 MiB chunk boundary; the proof straddles the second.
    const file = makeBinary(dir, 'kubelet', [GO_BUILD_ID, 'v1.12.4+kpatch.remove', NOKMEM_TEXT], {
      size: 9 << 20,
      at: [100, boundary - 12, 2 * boundary - 20],
    });
    const b = await scanBinary(file);
    expect(b).toMatchObject({
      looks: 'patched',
      kpatchNote: 'v1.12.4+kpatch.remove',
      nokmemProof: true,
      goBinary: true,
      kmemFunction: false,
      size: 9 << 20,
    });
  });

  it('a note at the very end of the file is found', async () => {
    const dir = temp();
    const file = makeBinary(dir, 'runc', ['v1.0.0-rc5+kpatch.guard'], { size: 4096, at: [4096 - 23] });
    expect((await scanBinary(file)).kpatchNote).toBe('v1.0.0-rc5+kpatch.guard');
  });

  it('tells unpatched from unaffected Go binaries', async () => {
    const dir = temp();
    expect((await scanBinary(makeBinary(dir, 'old', [GO_BUILD_ID, KMEM_FN]))).looks).toBe('unpatched');
    expect(
      (
        await scanBinary(
          makeBinary(dir, 'new', [GO_BUILD_ID, 'github.com/opencontainers/runc/libcontainer/cgroups/fs.(*MemoryGroup).Apply']),
        )
      ).looks,
    ).toBe('not-affected');
    expect((await scanBinary(makeBinary(dir, 'notgo', ['hello']))).looks).toBe('unpatched');
  });
});
