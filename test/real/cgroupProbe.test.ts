/**
 * The fix, observed on the real code: a small probe (test/fixtures/kubelet-cgroup-probe)
 * compiled inside a real Kubernetes v1.20.2 tree, the way Kubernetes compiles
 * (GOPATH=<tree>/_output/local/go, GO111MODULE=off, from
 * _output/local/go/src/k8s.io/kubernetes), creates one pod-style cgroup with a memory
 * limit through kubelet's own cgroup manager (pkg/kubelet/cm, driver cgroupfs) on this
 * machine's cgroup v1 memory hierarchy, then destroys it. strace watches whether
 * memory.kmem.limit_in_bytes is opened for writing (that is what switches kmem on):
 * twice on the unpatched tree, never after `kpatch patch --mode guard` or
 * `--mode remove`. Guard must still switch kmem on when a kmem limit is asked for
 * (through the vendored runc fs manager, since kubelet never asks). Every cgroup the
 * probe makes is removed, also when a test fails.
 * Needs root, strace and a cgroup v1 memory hierarchy; skips with the reason otherwise.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { kpatch, REPO_ROOT } from '../helpers/cli.js';
import { MEMORY_GO, probeSkipReason, realReleases } from '../helpers/realRelease.js';

const skip = probeSkipReason();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'kpatch-real-probe-'));
const tree = path.join(tmp, 'kubernetes');
const gopath = path.join(tree, '_output/local/go');
const inGopath = path.join(gopath, 'src/k8s.io/kubernetes');
const PROBE_PKG = './_output/kpatch-probe';
const CGROUP_ROOT = '/sys/fs/cgroup';
const PROBE_GOCACHE = path.join(process.env.KPATCH_REAL_CACHE ?? '/var/tmp/kpatch-real', 'go-build-probe');
/** Every cgroup name a probe run was given; removed from every hierarchy after each test. */
const names: string[] = [];

afterEach(() => {
  for (const name of names.splice(0)) removeCgroup(name);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** rmdir of NAME in every v1 hierarchy where it exists (an empty cgroup is removed by rmdir). */
function removeCgroup(name: string): void {
  for (const h of readdirSync(CGROUP_ROOT)) {
    const dir = path.join(CGROUP_ROOT, h, name);
    if (existsSync(dir)) rmdirSync(dir);
  }
}

/** Hierarchies in which NAME still exists. */
function leftOver(name: string): string[] {
  return readdirSync(CGROUP_ROOT).filter((h) => existsSync(path.join(CGROUP_ROOT, h, name)));
}

/** Compiles the probe in the tree as it is now, into tmp/probe-<label>. */
function buildProbe(label: string): string {
  const bin = path.join(tmp, `probe-${label}`);
  execFileSync('go', ['build', '-trimpath', '-o', bin, PROBE_PKG], {
    cwd: inGopath,
    // One GOCACHE for the three states, kept beside the real releases: with -trimpath its keys do not
    // depend on where the tree is, so only the fs package and what imports it are rebuilt, and a
    // second run reuses the first (pkg/kubelet/cm pulls in half of the kubelet).
    // PWD: go takes the working folder from it when it names the same folder, and only through
    // the symlink is the tree inside GOPATH (a shell's `cd` sets it; a spawned child inherits ours).
    env: { ...process.env, PWD: inGopath, GO111MODULE: 'off', GOPATH: gopath, GOCACHE: PROBE_GOCACHE, GOFLAGS: '' },
    stdio: 'pipe',
  });
  return bin;
}

/** What a probe run did: its exit status, output, and how often it opened memory.kmem.limit_in_bytes for writing. */
interface ProbeRun {
  code: number;
  output: string;
  kmemWrites: number;
  kmemLines: string[];
}

let runs = 0;
/** Runs the probe under `strace -f -e trace=openat` with a throwaway cgroup name. */
function runProbe(bin: string, extra: string[] = []): ProbeRun {
  const name = `kpatch-probe-${process.pid}-${++runs}`;
  names.push(name);
  const trace = path.join(tmp, `${name}.strace`);
  const r = spawnSync('strace', ['-f', '-qq', '-e', 'trace=openat', '-o', trace, bin, '-name', name, ...extra], { encoding: 'utf8' });
  const kmemLines = readFileSync(trace, 'utf8')
    .split('\n')
    .filter((l) => l.includes('memory.kmem.limit_in_bytes'));
  const kmemWrites = kmemLines.filter((l) => /O_WRONLY|O_RDWR/.test(l)).length;
  expect(leftOver(name), `cgroup ${name} was destroyed by the probe`).toEqual([]);
  return { code: r.status ?? 1, output: `${r.stdout}${r.stderr}`, kmemWrites, kmemLines };
}

const probes: Record<string, string> = {};

describe.skipIf(skip !== undefined)(`kubelet's own cgroup path on the real v1.20.2 code${skip ? ` (skipped: ${skip})` : ''}`, () => {
  beforeAll(() => {
    const { k8sUrl } = realReleases();
    execFileSync('git', ['clone', '-q', '--branch', 'v1.20.2', k8sUrl, tree], { stdio: 'pipe' });
    // Kubernetes' own GOPATH layout (hack/lib/golang.sh makes the same symlink).
    mkdirSync(path.dirname(inGopath), { recursive: true });
    symlinkSync(tree, inGopath);
    mkdirSync(path.join(tree, PROBE_PKG), { recursive: true });
    copyFileSync(path.join(REPO_ROOT, 'test/fixtures/kubelet-cgroup-probe/main.go'), path.join(tree, PROBE_PKG, 'main.go'));
    probes.unpatched = buildProbe('unpatched');

    const guard = kpatch(['patch', '--src', tree, '--mode', 'guard'], { env: { CI: '1' } });
    expect(guard.code, guard.stderr).toBe(0);
    expect(readFileSync(path.join(tree, MEMORY_GO), 'utf8')).toContain('if d.config.KernelMemory != 0 {');
    probes.guard = buildProbe('guard');

    execFileSync('git', ['checkout', '-q', '--', 'vendor'], { cwd: tree });
    const remove = kpatch(['patch', '--src', tree, '--mode', 'remove'], { env: { CI: '1' } });
    expect(remove.code, remove.stderr).toBe(0);
    expect(readFileSync(path.join(tree, MEMORY_GO), 'utf8')).not.toMatch(/^\s*if err := EnableKernelMemoryAccounting\(path\)/m);
    probes.remove = buildProbe('remove');
  });

  it('unpatched: kubelet creating a pod cgroup with a memory limit opens memory.kmem.limit_in_bytes for writing twice', () => {
    const r = runProbe(probes.unpatched);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain(`created ${CGROUP_ROOT}/memory/kpatch-probe-`);
    expect(r.kmemWrites, r.kmemLines.join('\n')).toBe(2);
  });

  it('guard: the same pod cgroup never touches memory.kmem.limit_in_bytes', () => {
    const r = runProbe(probes.guard);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain(`created ${CGROUP_ROOT}/memory/kpatch-probe-`);
    expect(r.kmemWrites, r.kmemLines.join('\n')).toBe(0);
  });

  it('remove: the same pod cgroup never touches memory.kmem.limit_in_bytes', () => {
    const r = runProbe(probes.remove);
    expect(r.code, r.output).toBe(0);
    expect(r.kmemWrites, r.kmemLines.join('\n')).toBe(0);
  });

  it('guard still switches kmem on when a kmem limit is asked for (vendored runc fs manager, KernelMemory set); remove does not', () => {
    const guard = runProbe(probes.guard, ['-kernel-memory', String(32 << 20)]);
    expect(guard.code, guard.output).toBe(0);
    expect(guard.kmemWrites, guard.kmemLines.join('\n')).toBeGreaterThanOrEqual(1);
    const remove = runProbe(probes.remove, ['-kernel-memory', String(32 << 20)]);
    expect(remove.code, remove.output).toBe(0);
    expect(remove.kmemWrites, remove.kmemLines.join('\n')).toBe(0);
  });
});
