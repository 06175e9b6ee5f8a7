/**
 * doctor against this machine's real `/`: it must complete, name the cgroup
 * mode the mount table shows, and report a memory cgroup count consistent
 * with /proc/cgroups. The count moves while the test runs (every command this
 * sandbox runs gets its own cgroups), so it is checked against a range read
 * before and after.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { run } from '../../src/cli.js';
import { captureIo } from '../../src/io.js';
import { kpatch } from '../helpers/cli.js';
import { NodeFs } from '../../src/doctor/nodeFs.js';
import { readKmemState } from '../../src/doctor/readKmemState.js';

function memoryCount(): number | undefined {
  const row = readFileSync('/proc/cgroups', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('memory'));
  return row ? Number(row.split(/\s+/)[2]) : undefined;
}

/** The mode, worked out here independently from the mount table. */
function expectedMode(): string {
  const fsTypes = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' - ')[1]?.split(' ')[0]);
  const v1 = fsTypes.includes('cgroup');
  const v2 = fsTypes.includes('cgroup2');
  return v1 && v2 ? 'hybrid' : v1 ? 'v1' : v2 ? 'v2' : 'unknown';
}

describe('doctor on this machine', () => {
  it('completes on the real / with a mode and a memory count consistent with /proc/cgroups', async () => {
    const low = memoryCount();
    const io = captureIo();
    const code = await run(['doctor', '--json'], io);
    const high = memoryCount();
    expect(io.err()).toBe('');
    expect([0, 1]).toContain(code);
    const json = JSON.parse(io.out());
    expect(json.schemaVersion).toBe(1);
    expect(json.root).toBe('/');
    expect(json.cgroups.source).toBe('mountinfo');
    expect(json.cgroups.mode).toBe(expectedMode());
    expect(json.kernel.release).toBe(readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim());
    expect(['ok', 'at-risk', 'leaking']).toContain(json.verdict);
    expect(json.exitCode).toBe(code);
    if (low !== undefined && high !== undefined) {
      expect(json.memory.inUse).toBeGreaterThanOrEqual(Math.min(low, high) - 50);
      expect(json.memory.inUse).toBeLessThanOrEqual(Math.max(low, high) + 50);
    }
    if (json.cgroups.memoryController === 'v1') {
      expect(json.memory.present).toBeGreaterThanOrEqual(1);
      expect(json.memory.presentComplete).toBe(true);
      expect(json.memory.present).toBeLessThanOrEqual(json.memory.inUse + 50);
    }
  });

  it('the installed executable prints the text report', () => {
    const r = kpatch(['doctor']);
    expect(r.stderr).toBe('');
    expect([0, 1]).toContain(r.code);
    expect(r.stdout).toMatch(new RegExp(`^cgroups +${expectedMode()} \\(from /proc/self/mountinfo\\)`, 'm'));
    expect(r.stdout).toMatch(/^memory IDs +\d+ of 65535 in use/m);
    expect(r.stdout).toMatch(/^verdict: (ok|at-risk|leaking)$/m);
  });

  it.runIf(existsSync('/sys/fs/cgroup/memory/memory.kmem.usage_in_bytes'))(
    'reads the real kmem files of a v1 memory cgroup (size-0 kernel files) to a definite answer',
    async () => {
      const check = await readKmemState(new NodeFs('/'), '/sys/fs/cgroup/memory', '', 'kubepods');
      expect(check.state).not.toBe('unknown');
      const usage = BigInt(readFileSync('/sys/fs/cgroup/memory/memory.kmem.usage_in_bytes', 'utf8').trim());
      if (usage > 0n) expect(check.state).toBe('on');
      expect(check.evidence.length).toBeGreaterThan(0);
    },
  );
});
