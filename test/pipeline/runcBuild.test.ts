/**
 * `kpatch build --runc TAG` (and `--src` on a runc tree) end to end, on the
 * stand-in runc repository served over file://: real git, real make, real
 * Go, and podman once for real. What a release engineer relies on: the
 * patched runc no longer switches kmem on for a new cgroup, says it is
 * patched in `runc --version`, nokmem changes no source yet proves itself in
 * the binary, a release that needs nothing is not built, and a bad tag stops
 * before any process starts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kpatch, REPO_ROOT } from '../helpers/cli.js';
import { schemaErrors } from '../helpers/jsonSchema.js';
import {
  makeRuncStandinRemote,
  materializeRuncStandin,
  RUNC_STANDIN_MEMORY_GO,
  RUNC_STANDIN_NOKMEM_LITERAL,
  type RuncStandinRemote,
} from '../helpers/runc-standin-repo.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'kpatch-runc-build-'));
const env = { CI: '1', KPATCH_CACHE_DIR: path.join(tmp, 'cache'), HOME: path.join(tmp, 'home'), GOFLAGS: undefined };
const IMAGE = 'localhost/kpatch/kube-cross:local';
/** How podman works on this machine (background.md, "This machine"). */
const PODMAN_ENV = { KPATCH_PODMAN_ARGS: '--runtime /usr/sbin/runc', CONTAINERS_CONF: path.join(REPO_ROOT, 'scripts/ci/containers.conf') };
let remote: RuncStandinRemote;

beforeAll(() => {
  mkdirSync(env.HOME, { recursive: true });
  remote = makeRuncStandinRemote(tmp);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const build = (args: string[], extraEnv: Record<string, string> = {}) => kpatch(['build', ...args], { env: { ...env, ...extraEnv } });
const manifestOf = (out: string) => JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
const version = (runc: string) => execFileSync(runc, ['--version'], { encoding: 'utf8' });

/**
 * Asks a built runc to create a memory cgroup under a temporary root (runc's
 * cgroupfs code path for every container); says whether it switched kmem on.
 */
function kmemSwitchedOn(runc: string, kernelMemory?: number): boolean {
  const root = mkdtempSync(path.join(tmp, 'cgroot-'));
  const args = [
    'create-cgroup',
    '--root',
    root,
    '--name',
    'kubepods/pod1/ctr1',
    ...(kernelMemory ? ['--kernel-memory', String(kernelMemory)] : []),
  ];
  const created = execFileSync(runc, args, { encoding: 'utf8' }).trim();
  expect(existsSync(created), `cgroup ${created} was created`).toBe(true);
  return existsSync(path.join(created, 'memory.kmem.limit_in_bytes'));
}

describe('kpatch build --runc v1.0.0-rc5 (unguarded, no nokmem): guard, local runner', () => {
  const out = path.join(tmp, 'out-rc5');
  let r: ReturnType<typeof kpatch>;
  beforeAll(() => {
    r = build(['--runc', 'v1.0.0-rc5', '--repo', remote.url, '--runner', 'local', '--platform', 'linux/amd64,linux/arm64', '--out', out]);
  });

  it('builds runc once per platform with checksums, manifest (target runc), patch and log', () => {
    expect(r.code, r.stderr).toBe(0);
    for (const f of [
      'linux-amd64/runc',
      'linux-arm64/runc',
      'SHA256SUMS',
      'manifest.json',
      'build.log',
      'patches/0001-kmem-accounting-guard.patch',
    ]) {
      expect(existsSync(path.join(out, f)), f).toBe(true);
    }
    execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: out, stdio: 'pipe' });
    const m = manifestOf(out);
    expect(m).toMatchObject({
      target: 'runc',
      mode: 'guard',
      runner: 'local',
      buildtags: 'seccomp',
      versionString: '1.0.0-rc5+kpatch.guard',
      platforms: ['linux/amd64', 'linux/arm64'],
    });
    expect(m.source).toMatchObject({ tag: 'v1.0.0-rc5', commit: remote.commits['v1.0.0-rc5'], repo: remote.url });
    expect(m.sites.map((s: { file: string; after: { status: string } }) => [s.file, s.after.status])).toContainEqual([
      RUNC_STANDIN_MEMORY_GO['v1.0.0-rc5'],
      'patched',
    ]);
    expect(m.commands.map((c: string[]) => c.filter((a) => /^(BUILDTAGS|VERSION|COMMIT)=/.test(a)))).toEqual([
      ['BUILDTAGS=seccomp', 'VERSION=1.0.0-rc5+kpatch.guard', `COMMIT=${remote.commits['v1.0.0-rc5']}`],
      ['BUILDTAGS=seccomp', 'VERSION=1.0.0-rc5+kpatch.guard', `COMMIT=${remote.commits['v1.0.0-rc5']}`],
    ]);
    expect(schemaErrors('build.schema.json', m)).toEqual([]);
    // One binary per platform: an ELF for x86-64 (e_machine 62) and one for arm64 (183).
    const machine = (f: string) => readFileSync(path.join(out, f)).readUInt16LE(18);
    expect([machine('linux-amd64/runc'), machine('linux-arm64/runc')]).toEqual([62, 183]);
    expect(r.stdout).toMatch(/^kpatch: built runc v1\.0\.0-rc5 \(guard\) with local; version 1\.0\.0-rc5\+kpatch\.guard$/m);
  });

  it('runc --version carries +kpatch.guard and the release commit, not -dirty', () => {
    const v = version(path.join(out, 'linux-amd64/runc'));
    expect(v).toMatch(/^runc version 1\.0\.0-rc5\+kpatch\.guard$/m);
    expect(v).toMatch(new RegExp(`^commit: ${remote.commits['v1.0.0-rc5']}$`, 'm'));
  });

  it('the patched runc no longer writes memory.kmem.limit_in_bytes, and still does when a kmem limit is asked for', () => {
    const runc = path.join(out, 'linux-amd64/runc');
    expect(kmemSwitchedOn(runc)).toBe(false);
    expect(kmemSwitchedOn(runc, 1 << 20)).toBe(true);
  });

  it('the unpatched runc of the same tag does switch kmem on (the test can fail)', () => {
    // rc5 is a GOPATH-era tree: built by hand the way its era needs, at runc's import path in a GOPATH
    // with GO111MODULE=off (PWD names the path inside GOPATH, as a shell's cd would).
    const gopath = path.join(tmp, 'pristine-gopath');
    const tree = path.join(gopath, 'src/github.com/opencontainers/runc');
    materializeRuncStandin('v1.0.0-rc5', tree);
    execFileSync('make', [], {
      cwd: tree,
      env: { ...process.env, HOME: env.HOME, GOFLAGS: '', GOPATH: gopath, GO111MODULE: 'off', PWD: tree },
      stdio: 'pipe',
    });
    expect(kmemSwitchedOn(path.join(tree, 'runc'))).toBe(true);
    expect(version(path.join(tree, 'runc'))).toMatch(/^runc version 1\.0\.0-rc5$/m);
  });

  it('kpatch verify re-applies the patch to the runc tag and passes', () => {
    const v = kpatch(['verify', out], { env });
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toMatch(/^ok +patches\/0001-kmem-accounting-guard\.patch: applies to v1\.0\.0-rc5 /m);
  });

  it('--mode nokmem on rc5 is refused before make: this runc has no nokmem variant (exit 2, no output)', () => {
    const o = path.join(tmp, 'out-rc5-nokmem');
    const x = build(['--runc', 'v1.0.0-rc5', '--repo', remote.url, '--runner', 'local', '--mode', 'nokmem', '--out', o]);
    expect(x.code).toBe(2);
    expect(x.stderr).toContain('error[nokmem_unsupported]');
    expect(x.stderr).toContain('this runc release has no file with a `nokmem` build constraint');
    expect(existsSync(o)).toBe(false);
  });
});

describe('kpatch build --src <runc clone at v1.0.0-rc92> --mode nokmem', () => {
  const clone = path.join(tmp, 'clone-rc92');
  const out = path.join(tmp, 'out-rc92-nokmem');
  let r: ReturnType<typeof kpatch>;
  beforeAll(() => {
    execFileSync('git', ['clone', '-q', '--branch', 'v1.0.0-rc92', remote.url, clone], { stdio: 'pipe' });
    r = build(['--src', clone, '--runner', 'local', '--mode', 'nokmem', '--out', out]);
  });

  it('recognises the runc layout and builds with BUILDTAGS="seccomp nokmem", changing no source', () => {
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("has runc's layout at its root");
    expect(execFileSync('git', ['status', '--porcelain'], { cwd: clone, encoding: 'utf8' })).toBe('');
    expect(existsSync(path.join(out, 'patches'))).toBe(false);
    const m = manifestOf(out);
    expect(m).toMatchObject({
      target: 'runc',
      mode: 'nokmem',
      buildtags: 'seccomp nokmem',
      patchedFiles: [],
      versionString: '1.0.0-rc92+kpatch.nokmem',
    });
    expect(r.stdout).toMatch(/patch: +none \(no source change; BUILDTAGS=seccomp nokmem\)/);
  });

  it('the binary carries the proof string, and go version -m lists nokmem in -tags', () => {
    const runc = path.join(out, 'linux-amd64/runc');
    expect(readFileSync(runc).includes(Buffer.from(RUNC_STANDIN_NOKMEM_LITERAL))).toBe(true);
    expect(execFileSync('go', ['version', '-m', runc], { encoding: 'utf8' })).toMatch(/^\s*build\s+-tags=seccomp,nokmem$/m);
    const v = manifestOf(out).verification;
    expect(v).toMatchObject({ status: 'verified', method: 'binary', buildTag: 'nokmem', proofStrings: [RUNC_STANDIN_NOKMEM_LITERAL] });
    expect(v.summary).toMatch(/^each runc carries/);
  });

  it('the nokmem runc never switches kmem on: a kmem limit is refused with the proof string', () => {
    const runc = path.join(out, 'linux-amd64/runc');
    expect(kmemSwitchedOn(runc)).toBe(false);
    const root = mkdtempSync(path.join(tmp, 'cgroot-'));
    const x = spawnSync(runc, ['create-cgroup', '--root', root, '--name', 'c', '--kernel-memory', '1048576'], { encoding: 'utf8' });
    expect(x.status).toBe(1);
    expect(x.stderr).toContain(RUNC_STANDIN_NOKMEM_LITERAL);
    expect(version(runc)).toMatch(/^runc version 1\.0\.0-rc92\+kpatch\.nokmem$/m);
  });

  it('kpatch verify proves the nokmem of BUILDTAGS from the runc tag and the binary (--repo: a --src build records no repository)', () => {
    const v = kpatch(['verify', out, '--repo', remote.url], { env });
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toContain(`ok   linux-amd64/runc: carries the nokmem variant's string "${RUNC_STANDIN_NOKMEM_LITERAL}"`);
    expect(v.stdout).toContain('ok   linux-amd64/runc: Go build info lists -tags=seccomp,nokmem');
  });
});

describe('kpatch build --runc v1.1.4 (kmem settings ignored)', () => {
  it('needs nothing: exits 0 without building, --json says built: false for runc', () => {
    const o = path.join(tmp, 'out-v1.1.4');
    const r = build(['--runc', '1.1.4', '--repo', remote.url, '--runner', 'local', '--out', o, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/not affected.*nothing was built/);
    expect(existsSync(o)).toBe(false);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ built: false, target: 'runc', verdict: 'not-affected', sites: [] });
    expect(schemaErrors('build.schema.json', doc)).toEqual([]);
  });
});

describe('the podman runner, for real', () => {
  beforeAll(() => {
    execFileSync('bash', [path.join(REPO_ROOT, 'scripts/ci/podman-image.sh'), IMAGE], { stdio: 'pipe', timeout: 600_000 });
  }, 600_000);

  it("builds the same runc as the local runner, bit for bit, from the tree mounted at runc's import path", () => {
    const local = path.join(tmp, 'out-rc92-guard-local');
    const inPodman = path.join(tmp, 'out-rc92-guard-podman');
    const a = build(['--runc', 'v1.0.0-rc92', '--repo', remote.url, '--runner', 'local', '--out', local]);
    expect(a.code, a.stderr).toBe(0);
    const b = build(['--runc', 'v1.0.0-rc92', '--repo', remote.url, '--runner', 'podman', '--image', IMAGE, '--out', inPodman], PODMAN_ENV);
    expect(b.code, b.stderr).toBe(0);
    const [ml, mp] = [manifestOf(local), manifestOf(inPodman)];
    expect(mp).toMatchObject({
      target: 'runc',
      runner: 'podman',
      mode: 'guard',
      image: { ref: IMAGE, source: '--image' },
      versionString: '1.0.0-rc92+kpatch.guard',
    });
    expect(mp.command).toContain('/go/src/github.com/opencontainers/runc');
    // Go stamps the commit from git: the work tree's git folder in the cache is mounted read-only at its own path.
    expect(mp.command.some((a: string) => /^\/.*\.git:\/.*\.git:ro$/.test(a))).toBe(true);
    expect(mp.artifacts.map((x: { path: string }) => x.path)).toEqual(['linux-amd64/runc']);
    expect(mp.artifacts[0].sha256).toBe(ml.artifacts[0].sha256);
    expect(mp.patchedFiles).toEqual(ml.patchedFiles);
    expect(kmemSwitchedOn(path.join(inPodman, 'linux-amd64/runc'))).toBe(false);
    expect(version(path.join(inPodman, 'linux-amd64/runc'))).toMatch(/^runc version 1\.0\.0-rc92\+kpatch\.guard$/m);
    expect(readdirSync(path.join(env.KPATCH_CACHE_DIR, 'tmp'))).toEqual([]);
  }, 300_000);

  it("without --image, the image is golang at the version the tree's Dockerfile names, under --registry", () => {
    const o = path.join(tmp, 'out-registry');
    const r = build(
      ['--runc', 'v1.0.0-rc92', '--repo', remote.url, '--runner', 'podman', '--registry', 'mirror.invalid/hub', '--out', o],
      PODMAN_ENV,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /image: mirror\.invalid\/hub\/golang:1\.15\.15-buster \(--registry mirror\.invalid\/hub with the tree's Dockerfile \(FROM golang:1\.15\.15-buster\)\)/,
    );
    expect(r.stderr).toContain('error[image_unavailable]');
    expect(existsSync(o)).toBe(false);
  });

  it('a runc tree whose Dockerfile names no golang image needs --image (runc_image_unknown)', () => {
    const tree = path.join(tmp, 'fork-no-dockerfile');
    execFileSync('git', ['clone', '-q', '--branch', 'v1.0.0-rc5', remote.url, tree], { stdio: 'pipe' });
    rmSync(path.join(tree, 'Dockerfile'));
    const r = build(['--src', tree, '--runner', 'podman', '--out', path.join(tmp, 'out-fork')], PODMAN_ENV);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error[runc_image_unknown]');
    expect(r.stderr).toContain('--image');
  });
});

describe('bad --runc tags and runc-only flags: exit 2 before any process starts', () => {
  const shims = path.join(tmp, 'shims');
  const calls = path.join(tmp, 'calls.log');
  beforeAll(() => {
    mkdirSync(shims, { recursive: true });
    // Every program a build could start records its call and fails.
    for (const p of ['git', 'make', 'go', 'podman', 'docker']) {
      writeFileSync(path.join(shims, p), `#!/bin/sh\nprintf '%s %s\\n' "${p}" "$*" >> '${calls}'\nexit 97\n`);
      chmodSync(path.join(shims, p), 0o755);
    }
  });

  const BAD = [
    'v1.0.0-rc5;touch pwned',
    '$(touch pwned)',
    '--upload-pack=touch pwned',
    'v1.0.0-rc',
    'v1.0.0-rc5 ',
    'v1.0.0-rc05',
    'v1.0.0-beta5',
    'HEAD',
    '../v1.0.0-rc5',
    'v1.0.0-rc5\nv1.1.4',
    '',
  ];
  it.each(BAD.map((t) => [JSON.stringify(t), t]))('--runc %s: tag_invalid, no process, no cache', (_label, tag) => {
    const cache = path.join(tmp, 'untouched-cache');
    const r = kpatch(['build', `--runc=${tag}`, '--runner', 'local', '--out', path.join(tmp, 'never')], {
      env: { ...env, KPATCH_CACHE_DIR: cache, PATH: shims },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error[tag_invalid]');
    expect(r.stderr).toContain('a runc tag is');
    expect(existsSync(calls) ? readFileSync(calls, 'utf8') : '').toBe('');
    expect(existsSync(cache)).toBe(false);
  });

  it.each([
    [['--runc', 'v1.0.0-rc92', '--buildtags', 'seccomp;touch pwned'], 'is not a Go build tag'],
    [['--runc', 'v1.0.0-rc92', '--buildtags', 'seccomp nokmem'], 'use --mode nokmem'],
    [['--k8s', 'v1.12.4', '--buildtags', 'seccomp'], "BUILDTAGS is runc's Makefile variable"],
    [['--runc', 'v1.0.0-rc92', '--version-string', 'v1.0.0-rc92 && id'], 'runc needs a semantic version'],
    [['--runc', 'v1.0.0-rc92', '--k8s', 'v1.12.4'], '--k8s and --runc'],
  ])('build %j: usage error', (args, message) => {
    const r = kpatch(['build', ...args, '--out', path.join(tmp, 'never')], { env: { ...env, PATH: shims } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(existsSync(calls) ? readFileSync(calls, 'utf8') : '').toBe('');
  });
});
