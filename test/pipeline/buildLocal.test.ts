/**
 * `kpatch build` end to end with the local runner, on the stand-in Kubernetes
 * repository served over file://: real git, real make, real Go. Checks what a
 * release engineer relies on: both platforms built, the kubelet no longer
 * switches kmem on (guard: only with a limit), a clean version stamp, the
 * checksums, a patch that `git am` takes on the pristine tag, and that an
 * existing output is never overwritten without --force.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { kpatch } from '../helpers/cli.js';
import { makeStandinRemote, materializeStandin, STANDIN_MEMORY_GO, type StandinRemote } from '../helpers/standin-repo.js';
import { kmemSwitchedOn as kmemSwitchedOnUnder } from '../helpers/buildOutput.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'kpatch-build-local-'));
const cacheDir = path.join(tmp, 'cache');
const env = { CI: '1', KPATCH_CACHE_DIR: cacheDir, HOME: path.join(tmp, 'home') };
let remote: StandinRemote;

/** Runs the stand-in kubelet against a temporary cgroup root; says whether kmem was switched on. */
const kmemSwitchedOn = (kubelet: string, kernelMemory?: number) => kmemSwitchedOnUnder(kubelet, tmp, kernelMemory);

beforeAll(() => {
  mkdirSync(env.HOME, { recursive: true });
  remote = makeStandinRemote(tmp);
});

describe('kpatch build --runner local', () => {
  const out = () => path.join(tmp, 'out-v1.12.4');

  it('builds patched kubelets for two platforms with checksums, manifest, patch and log', () => {
    const r = kpatch(
      ['build', '--k8s', 'v1.12.4', '--repo', remote.url, '--runner', 'local', '--platform', 'linux/amd64,linux/arm64', '--out', out()],
      { env },
    );
    expect(r.code, r.stderr).toBe(0);
    for (const f of [
      'linux-amd64/kubelet',
      'linux-arm64/kubelet',
      'SHA256SUMS',
      'manifest.json',
      'build.log',
      'patches/0001-kmem-accounting-guard.patch',
    ]) {
      expect(existsSync(path.join(out(), f)), f).toBe(true);
    }
    execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: out(), stdio: 'pipe' });
    const m = JSON.parse(readFileSync(path.join(out(), 'manifest.json'), 'utf8'));
    expect(m).toMatchObject({
      schemaVersion: 1,
      recipe: 'kmem-accounting',
      mode: 'guard',
      runner: 'local',
      versionString: 'v1.12.4+kpatch.guard',
      platforms: ['linux/amd64', 'linux/arm64'],
    });
    expect(m.source).toMatchObject({ tag: 'v1.12.4', commit: remote.commits['v1.12.4'], repo: remote.url });
    expect(m.sites).toEqual([
      expect.objectContaining({
        file: STANDIN_MEMORY_GO,
        function: '(*MemoryGroup).Apply',
        before: expect.objectContaining({ status: 'unguarded' }),
        after: expect.objectContaining({ status: 'patched' }),
      }),
    ]);
    expect(m.goVersion).toMatch(/^go1\./);
    expect(m.artifacts.map((a: { path: string }) => a.path)).toEqual(['linux-amd64/kubelet', 'linux-arm64/kubelet']);
  });

  it('the patched kubelet reports a clean version and switches kmem on only when a limit is asked for', () => {
    const kubelet = path.join(out(), 'linux-amd64/kubelet');
    expect(execFileSync(kubelet, ['--version'], { encoding: 'utf8' }).trim()).toBe('Kubernetes v1.12.4+kpatch.guard');
    expect(kmemSwitchedOn(kubelet)).toBe(false);
    expect(kmemSwitchedOn(kubelet, 1 << 20)).toBe(true);
  });

  it('the unpatched kubelet of the same tag does switch kmem on (the test can fail)', () => {
    const tree = path.join(tmp, 'pristine');
    materializeStandin('v1.12.4', tree);
    execFileSync('make', ['WHAT=cmd/kubelet'], {
      cwd: tree,
      env: { ...process.env, HOME: env.HOME, GO111MODULE: 'off' /* a GOPATH-era tree, as a user's plain make needs with Go >= 1.16 */ },
      stdio: 'pipe',
    });
    expect(kmemSwitchedOn(path.join(tree, '_output/local/bin/linux/amd64/kubelet'))).toBe(true);
  });

  it('the patch applies with git am to the pristine tag', () => {
    const clone = path.join(tmp, 'am');
    execFileSync('git', ['clone', '-q', '--branch', 'v1.12.4', remote.url, clone], { stdio: 'pipe' });
    const patch = path.join(out(), 'patches/0001-kmem-accounting-guard.patch');
    execFileSync('git', ['apply', '--check', patch], { cwd: clone, stdio: 'pipe' });
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@kpatch.invalid', 'am', '-q', patch], { cwd: clone, stdio: 'pipe' });
    const subject = execFileSync('git', ['log', '-1', '--format=%s'], { cwd: clone, encoding: 'utf8' });
    expect(subject).toMatch(/kmem accounting only when a kmem limit is set/);
    expect(readFileSync(path.join(clone, STANDIN_MEMORY_GO), 'utf8')).toContain('if d.config.KernelMemory != 0 {');
  });

  it('a second run without --force fails and leaves the first output intact', () => {
    const before = readFileSync(path.join(out(), 'SHA256SUMS'), 'utf8');
    const r = kpatch(['build', '--k8s', 'v1.12.4', '--repo', remote.url, '--runner', 'local', '--out', out()], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error[out_exists]');
    expect(readFileSync(path.join(out(), 'SHA256SUMS'), 'utf8')).toBe(before);
  });

  it('a tree that needs nothing builds nothing and exits 0', () => {
    const o = path.join(tmp, 'out-v1.21.2');
    const r = kpatch(['build', '--k8s', 'v1.21.2', '--repo', remote.url, '--runner', 'local', '--out', o], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/not affected.*nothing was built/);
    expect(existsSync(o)).toBe(false);
  });

  it('a failing make exits 1 with the log tail and its path, and leaves no output', () => {
    const tree = path.join(tmp, 'broken');
    materializeStandin('v1.12.4', tree);
    writeFileSync(path.join(tree, 'cmd/kubelet/broken.go'), 'package main\n\nfunc broken() { undefinedThing() }\n');
    const o = path.join(tmp, 'out-broken');
    const r = kpatch(['build', '--src', tree, '--runner', 'local', '--out', o, '--version-string', 'v1.12.4+kpatch.test'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error[build_failed]');
    expect(r.stderr).toContain('undefinedThing');
    const log = /full log: (\S+)/.exec(r.stderr)?.[1];
    expect(log && existsSync(log), 'the full log is kept').toBeTruthy();
    expect(existsSync(o)).toBe(false);
  });
});
