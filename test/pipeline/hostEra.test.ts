/**
 * Issue 13 §2-§4, end to end through the real executable on the stand-ins:
 *   - the host is checked before anything is fetched: one error naming every
 *     missing program and its Debian package;
 *   - the Go build cache stays warm although the release's harness points
 *     GOCACHE into the (temporary) tree, as Kubernetes 1.14 and later do,
 *     for the local and the podman runner, with one folder per toolchain;
 *   - GOPATH-era trees (no go.mod: Kubernetes up to 1.14, runc rc5) build
 *     with a Go that defaults to modules, on the host and in podman.
 * The stand-ins behave like the real harness here (test/fixtures/*-standin:
 * GOCACHE and GO111MODULE per era), so these tests fail without kpatch's help.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseRunner } from '../../src/pipeline/runners/chooseRunner.js';
import { findExecutable } from '../../src/pipeline/runners/findExecutable.js';
import { hostNeeds } from '../../src/pipeline/runners/hostTools.js';
import { KpatchError } from '../../src/errors.js';
import { kpatch, REPO_ROOT } from '../helpers/cli.js';
import { makeRuncStandinRemote, type RuncStandinRemote } from '../helpers/runc-standin-repo.js';
import { makeStandinRemote, type StandinRemote } from '../helpers/standin-repo.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'kpatch-host-era-'));
chmodSync(tmp, 0o755);
const HOME = path.join(tmp, 'home');
const IMAGE = 'localhost/kpatch/kube-cross:local';
// A generous probe deadline: `podman info` takes over 5 s on a busy shared machine.
const PODMAN_ENV = {
  KPATCH_PODMAN_ARGS: '--runtime /usr/sbin/runc',
  CONTAINERS_CONF: path.join(REPO_ROOT, 'scripts/ci/containers.conf'),
  KPATCH_ENGINE_PROBE_TIMEOUT: '60',
};
let k8s: StandinRemote;
let runc: RuncStandinRemote;

beforeAll(() => {
  mkdirSync(HOME, { recursive: true });
  k8s = makeStandinRemote(path.join(tmp, 'k8s'));
  runc = makeRuncStandinRemote(path.join(tmp, 'runc'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
const fresh = (name: string): string => {
  const dir = path.join(tmp, `${++n}-${name}`);
  mkdirSync(dir, { recursive: true });
  return dir;
};
const envFor = (cache: string, extra: Record<string, string | undefined> = {}) => ({
  CI: '1',
  HOME,
  KPATCH_CACHE_DIR: cache,
  GOFLAGS: undefined,
  GO111MODULE: undefined,
  GOCACHE: undefined,
  ...extra,
});
const manifestOf = (out: string) => JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));

/** Files under the runner's keyed Go build caches (`<cache>/build/<runner>/go-build/<key>/`), per key. */
function goCacheFiles(cache: string, runner: string): Record<string, number> {
  const root = path.join(cache, 'build', runner, 'go-build');
  const out: Record<string, number> = {};
  if (!existsSync(root)) return out;
  const count = (d: string): number =>
    readdirSync(d, { withFileTypes: true }).reduce((a, e) => a + (e.isDirectory() ? count(path.join(d, e.name)) : 1), 0);
  for (const key of readdirSync(root)) out[key] = count(path.join(root, key));
  return out;
}
const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/** A PATH folder with links to only the named host programs (and, optionally, a script as gcc). */
function binWith(names: string[], fakeGcc?: string): string {
  const dir = fresh('bin');
  for (const name of names) symlinkSync(findExecutable(name, process.env)!, path.join(dir, name));
  if (fakeGcc) {
    writeFileSync(path.join(dir, 'gcc'), `#!/bin/sh\n${fakeGcc}\n`);
    chmodSync(path.join(dir, 'gcc'), 0o755);
  }
  return dir;
}

async function rejection(p: Promise<unknown>): Promise<KpatchError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!(e instanceof KpatchError)) throw new Error(`expected a KpatchError, got ${String(e)}`);
  return e;
}

describe('the host is checked before anything is fetched (--runner local)', () => {
  const kubeletPrograms = hostNeeds('kubelet').map((x) => x.program);

  it('names every missing program with its Debian package, in one error', async () => {
    const keep = kubeletPrograms.filter((p) => !['rsync', 'gcc', 'diff'].includes(p));
    const e = await rejection(chooseRunner('local', { PATH: binWith(keep) }));
    expect(e.id).toBe('host_tools_missing');
    expect(e.detail).toMatch(/^ {2}rsync .*\(Debian: rsync\)/m);
    expect(e.detail).toMatch(/^ {2}gcc .*\(Debian: gcc\) the kubelet is built with cgo/m);
    expect(e.detail).toMatch(/^ {2}diff .*\(Debian: diffutils\)/m);
    expect(e.detail).toContain('apt-get install rsync gcc diffutils');
    expect(e.render()).toContain('error[host_tools_missing]');
    expect(e.render()).toMatch(/--runner podman or docker/);
  });

  it('all of them present: the local runner is chosen; go and make missing are named the same way', async () => {
    expect((await chooseRunner('local', { PATH: binWith(kubeletPrograms) })).name).toBe('local');
    const e = await rejection(chooseRunner('local', { PATH: binWith(kubeletPrograms.filter((p) => p !== 'go' && p !== 'make')) }));
    expect(e.detail).toMatch(/^ {2}go .*\(Debian: golang-go\)/m);
    expect(e.detail).toMatch(/^ {2}make .*\(Debian: make\)/m);
  });

  it('gcc without the C library start files and headers asks for libc6-dev', async () => {
    const e = await rejection(
      chooseRunner('local', {
        PATH: binWith(
          kubeletPrograms.filter((p) => p !== 'gcc'),
          'echo crt1.o',
        ),
      }),
    );
    expect(e.detail).toContain('(Debian: libc6-dev)');
    expect(e.detail).toContain('apt-get install libc6-dev');
  });

  it("--runner auto that falls back to the host checks it too; runc's make needs no rsync", async () => {
    const noRsync = binWith(kubeletPrograms.filter((p) => p !== 'rsync'));
    const e = await rejection(chooseRunner('auto', { PATH: noRsync }));
    expect(e.id).toBe('host_tools_missing');
    expect(e.detail).toContain('rsync');
    expect((await chooseRunner('auto', { PATH: noRsync }, { target: 'runc' })).name).toBe('local');
  });

  it('kpatch build stops before fetching: the cache stays empty, no --out', () => {
    const cache = fresh('cache-nothing');
    const out = path.join(fresh('out'), 'a');
    const keep = [...kubeletPrograms.filter((p) => p !== 'rsync'), 'git', 'node'];
    const r = kpatch(['build', '--k8s', 'v1.20.2', '--repo', k8s.url, '--runner', 'local', '--out', out], {
      env: { ...envFor(cache), PATH: binWith(keep) },
    });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('error[host_tools_missing]');
    expect(r.stderr).toContain('apt-get install rsync');
    expect(existsSync(cache) ? readdirSync(cache) : []).toEqual([]);
    expect(existsSync(out)).toBe(false);
  });
});

describe('a warm Go build cache although the harness sets GOCACHE inside the tree (local runner)', () => {
  const cache = fresh('cache-local');

  it('v1.14.10 (GOCACHE="${KUBE_GOPATH}/cache"): the compiled packages land in kpatch\'s cache, and a second build reuses them', () => {
    const a = kpatch(['build', '--k8s', 'v1.14.10', '--repo', k8s.url, '--runner', 'local', '--out', path.join(tmp, 'warm-1')], {
      env: envFor(cache),
    });
    expect(a.code, a.stderr).toBe(0);
    const first = goCacheFiles(cache, 'local');
    expect(Object.keys(first)).toHaveLength(1); // one toolchain, one folder
    expect(Object.keys(first)[0]).toMatch(/^host_go1\.\d+/);
    expect(total(first)).toBeGreaterThan(50);
    const b = kpatch(['build', '--k8s', 'v1.14.10', '--repo', k8s.url, '--runner', 'local', '--out', path.join(tmp, 'warm-2')], {
      env: envFor(cache),
    });
    expect(b.code, b.stderr).toBe(0);
    // Every package came from the cache: at most a handful of new entries (Go records its use of the cache).
    expect(total(goCacheFiles(cache, 'local')) - total(first)).toBeLessThan(total(first) / 10);
    expect(manifestOf(path.join(tmp, 'warm-2')).artifacts[0].sha256).toBe(manifestOf(path.join(tmp, 'warm-1')).artifacts[0].sha256);
  }, 300_000);

  it('v1.12.4 (GOCACHE left to the environment) uses the same folder of the same toolchain', () => {
    const before = goCacheFiles(cache, 'local');
    const r = kpatch(['build', '--k8s', 'v1.12.4', '--repo', k8s.url, '--runner', 'local', '--out', path.join(tmp, 'warm-3')], {
      env: envFor(cache),
    });
    expect(r.code, r.stderr).toBe(0);
    const after = goCacheFiles(cache, 'local');
    expect(Object.keys(after)).toEqual(Object.keys(before));
    expect(total(after)).toBeGreaterThan(total(before)); // its own vendored packages were added
  }, 300_000);

  it('two builds at once on one cache both succeed with the same kubelet', async () => {
    const { spawn } = await import('node:child_process');
    // One shared cache: both processes get the same KPATCH_CACHE_DIR.
    const shared = fresh('cache-shared');
    const both = (out: string) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(
          process.execPath,
          [
            path.join(REPO_ROOT, 'bin/kpatch.js'),
            'build',
            '--k8s',
            'v1.21.2',
            '--build-anyway',
            '--repo',
            k8s.url,
            '--runner',
            'local',
            '--out',
            out,
          ],
          {
            env: Object.fromEntries(
              Object.entries({ ...process.env, ...envFor(shared) }).filter(([, v]) => v !== undefined),
            ) as NodeJS.ProcessEnv,
          },
        );
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (code) => resolve({ code, stderr }));
      });
    const [x, y] = await Promise.all([both(path.join(tmp, 'both-1')), both(path.join(tmp, 'both-2'))]);
    expect(x.code, x.stderr).toBe(0);
    expect(y.code, y.stderr).toBe(0);
    expect(manifestOf(path.join(tmp, 'both-1')).artifacts[0].sha256).toBe(manifestOf(path.join(tmp, 'both-2')).artifacts[0].sha256);
    expect(total(goCacheFiles(shared, 'local'))).toBeGreaterThan(50);
  }, 300_000);
});

describe('GOPATH-era trees on the host (no go.mod, a Go that defaults to modules)', () => {
  it("Kubernetes v1.12.4 builds even with GO111MODULE=on in the user's environment", () => {
    const out = path.join(tmp, 'gopath-k8s');
    const r = kpatch(['build', '--k8s', 'v1.12.4', '--repo', k8s.url, '--runner', 'local', '--out', out], {
      env: envFor(fresh('cache-gopath'), { GO111MODULE: 'on' }),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(execFileSync(path.join(out, 'linux-amd64/kubelet'), ['--version'], { encoding: 'utf8' }).trim()).toBe(
      'Kubernetes v1.12.4+kpatch.guard',
    );
  }, 300_000);

  it('runc v1.0.0-rc5 builds from a private GOPATH at its import path, which is gone afterwards', () => {
    const cache = fresh('cache-rc5');
    const out = path.join(tmp, 'gopath-rc5');
    const r = kpatch(['build', '--runc', 'v1.0.0-rc5', '--repo', runc.url, '--runner', 'local', '--out', out], { env: envFor(cache) });
    expect(r.code, r.stderr).toBe(0);
    expect(execFileSync(path.join(out, 'linux-amd64/runc'), ['--version'], { encoding: 'utf8' })).toMatch(
      /^runc version 1\.0\.0-rc5\+kpatch\.guard$/m,
    );
    expect(readFileSync(path.join(out, 'build.log'), 'utf8')).not.toContain('cannot find main module');
    expect(readdirSync(path.join(cache, 'build', 'local')).filter((e) => e.startsWith('gopath-'))).toEqual([]);
  }, 300_000);
});

describe('the podman runner: warm cache and GOPATH-era trees with a Go that defaults to modules', () => {
  beforeAll(() => {
    execFileSync('bash', [path.join(REPO_ROOT, 'scripts/ci/podman-image.sh'), IMAGE], { stdio: 'pipe', timeout: 600_000 });
  }, 600_000);
  const cache = fresh('cache-podman');

  it("v1.14.10 twice: the second build finds every package in the image's own cache folder, mounted where the harness points GOCACHE", () => {
    const build = (out: string) =>
      kpatch(['build', '--k8s', 'v1.14.10', '--repo', k8s.url, '--runner', 'podman', '--image', IMAGE, '--out', path.join(tmp, out)], {
        env: envFor(cache, PODMAN_ENV),
      });
    const a = build('podman-1');
    expect(a.code, a.stderr).toBe(0);
    const first = goCacheFiles(cache, 'podman');
    expect(Object.keys(first)).toHaveLength(1);
    expect(Object.keys(first)[0]).toMatch(/^image_localhost_kpatch_kube-cross_local-[0-9a-f]{12}$/);
    expect(total(first)).toBeGreaterThan(50);
    const m = manifestOf(path.join(tmp, 'podman-1'));
    expect(m.command.some((x: string) => /:\/go\/src\/k8s\.io\/kubernetes\/_output\/local\/go\/cache$/.test(x))).toBe(true);
    const b = build('podman-2');
    expect(b.code, b.stderr).toBe(0);
    expect(total(goCacheFiles(cache, 'podman')) - total(first)).toBeLessThan(total(first) / 10);
    expect(manifestOf(path.join(tmp, 'podman-2')).artifacts[0].sha256).toBe(m.artifacts[0].sha256);
    // Nothing in the cache belongs to root when kpatch does not run as root.
    if (process.getuid?.() !== 0)
      for (const e of readdirSync(path.join(cache, 'build', 'podman')))
        expect(lstatSync(path.join(cache, 'build', 'podman', e)).uid).toBe(process.getuid?.());
  }, 600_000);

  it('Kubernetes v1.12.4 and runc v1.0.0-rc5 build in an image whose Go defaults to modules, bit for bit as on the host', () => {
    const k = kpatch(
      [
        'build',
        '--k8s',
        'v1.12.4',
        '--repo',
        k8s.url,
        '--runner',
        'podman',
        '--image',
        IMAGE,
        '--out',
        path.join(tmp, 'podman-k8s-gopath'),
      ],
      { env: envFor(cache, PODMAN_ENV) },
    );
    expect(k.code, k.stderr).toBe(0);
    expect(manifestOf(path.join(tmp, 'podman-k8s-gopath')).command).toContain('GO111MODULE=off');
    const r = kpatch(
      ['build', '--runc', 'v1.0.0-rc5', '--repo', runc.url, '--runner', 'podman', '--image', IMAGE, '--out', path.join(tmp, 'podman-rc5')],
      { env: envFor(cache, PODMAN_ENV) },
    );
    expect(r.code, r.stderr).toBe(0);
    const local = path.join(tmp, 'local-rc5');
    const l = kpatch(['build', '--runc', 'v1.0.0-rc5', '--repo', runc.url, '--runner', 'local', '--out', local], {
      env: envFor(fresh('cache-rc5-local')),
    });
    expect(l.code, l.stderr).toBe(0);
    expect(manifestOf(path.join(tmp, 'podman-rc5')).artifacts[0].sha256).toBe(manifestOf(local).artifacts[0].sha256);
  }, 600_000);
});
