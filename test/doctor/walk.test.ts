/**
 * Counting memory cgroup folders on a busy node: tens of thousands of
 * folders, counted exactly and quickly, and a capped walk that says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, statfsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { run } from '../../src/cli.js';
import { captureIo } from '../../src/io.js';
import { countDirs } from '../../src/doctor/countDirs.js';
import { NodeFs } from '../../src/doctor/nodeFs.js';
import { runDoctor } from '../../src/doctor/runDoctor.js';
import { renderText } from '../../src/doctor/renderText.js';
import { makeFakeNode, removeFakeNode } from '../helpers/fakeNode.js';

const LIVE = 53_000; // above the 80% warning level (52428) of 65535

let root: string;
beforeAll(() => {
  // In memory when the machine has a tmpfs, like the real cgroupfs: a disk makes the set-up, not doctor, the slow part.
  const base = roomyTmpfs('/dev/shm') ? '/dev/shm' : undefined;
  root = makeFakeNode({ mode: 'v1', kernel: '3.10.0-1160.el7.x86_64', cgroups: { kubepods: 'off', 'kubepods/burstable': 'off' }, base });
  // 530 pods of 99 containers each, laid out as the cgroupfs driver does.
  const burstable = path.join(root, 'sys/fs/cgroup/memory/kubepods/burstable');
  let made = 0;
  for (let p = 0; made < LIVE; p++) {
    const pod = path.join(burstable, `pod${p.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`);
    mkdirSync(pod);
    made++;
    for (let c = 0; c < 99 && made < LIVE; c++, made++) mkdirSync(path.join(pod, c.toString(16).padStart(64, '0')));
  }
  // root + kubepods + burstable + LIVE folders, and 10 deleted-but-not-freed.
  writeFileSync(path.join(root, 'proc/cgroups'), `#subsys_name\thierarchy\tnum_cgroups\tenabled\nmemory\t11\t${LIVE + 3 + 10}\t1\n`);
}, 120_000);
afterAll(() => removeFakeNode(root));

/** A tmpfs with room for the tree (container runtimes often give /dev/shm only 64 MB). */
function roomyTmpfs(dir: string): boolean {
  if (!existsSync(dir)) return false;
  const st = statfsSync(dir);
  return st.bavail * st.bsize > 512 * 1024 * 1024 && st.ffree > 200_000;
}

describe('memory cgroup folder count', () => {
  it('counts every folder of a busy node, and calls it at-risk (near the limit) but not leaking', async () => {
    const started = Date.now();
    const io = captureIo();
    const code = await run(['doctor', '--root', root, '--json'], io);
    const json = JSON.parse(io.out());
    expect(json.memory).toMatchObject({ inUse: LIVE + 13, present: LIVE + 3, presentComplete: true, capped: null, heldByDeleted: 10 });
    expect(json.verdict).toBe('at-risk');
    expect(code).toBe(1);
    expect(json.nextSteps.join('\n')).toMatch(/Move pods off this node/);
    expect(json.kmem.podsFound).toBe(Math.ceil(LIVE / 100));
    expect(json.kmem.podsSampled).toBe(8);
    // Generous bound: the count itself takes about a second here.
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('stops at the folder limit and says so; the gap is then not computed', async () => {
    const r = countDirs(new NodeFs(root), '/sys/fs/cgroup/memory', { maxDirs: 1000, maxMs: 60_000 });
    expect(r).toMatchObject({ dirs: 1000, capped: 'folder limit of 1000 reached' });
    const report = await runDoctor({ root, walk: { maxDirs: 1000 } });
    expect(report.memory.heldByDeleted).toBeUndefined();
    expect(report.memory.gapCaveat).toMatch(/stopped early \(folder limit of 1000 reached\)/);
    expect(report.verdict).toBe('at-risk');
  });

  it('stops at the time limit and says so', () => {
    const r = countDirs(new NodeFs(root), '/sys/fs/cgroup/memory', { maxDirs: 1e9, maxMs: 0 });
    expect(r.capped).toBe('time limit of 0 ms reached');
    expect(r.dirs).toBeLessThan(LIVE);
  });

  it('shows the count, and a cap, in the text report', async () => {
    const io = captureIo();
    await run(['doctor', '--root', root], io);
    expect(io.out()).toMatch(new RegExp(`^ {12}${LIVE + 3} memory cgroup folders present \\(counted in \\d+ ms\\)$`, 'm'));
    const capped = renderText(await runDoctor({ root, walk: { maxDirs: 1000 } }));
    expect(capped).toMatch(
      /^ {12}1000\+ memory cgroup folders present \(counted in \d+ ms, stopped early: folder limit of 1000 reached\)$/m,
    );
    expect(capped).toMatch(/IDs held by deleted cgroups: not computed, the folder count stopped early/);
  });
});
