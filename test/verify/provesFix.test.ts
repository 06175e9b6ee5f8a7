/**
 * `kpatch verify` decides what a folder must prove from the build's mode and
 * the recipe, re-derived from the pristine tag, never from the manifest's own
 * description of its proofs. One nokmem build of the stand-in v1.14.10 (local
 * runner) and one plain make of the same tag (a kubelet that switches kmem
 * on, as running it shows); each case swaps or edits something, rewrites
 * every hash record to match (as anyone who edits a downloaded folder can),
 * and verify must still say FAIL.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kpatch } from '../helpers/cli.js';
import { kmemSwitchedOn } from '../helpers/buildOutput.js';
import { makeStandinRemote, materializeStandin, type StandinRemote } from '../helpers/standin-repo.js';
import { editJson, tamper } from '../helpers/tamper.js';

const PROOF = 'kernel memory accounting disabled in this runc build';
const KUBELET = 'linux-amd64/kubelet';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'kpatch-proves-'));
const env = { CI: '1', KPATCH_CACHE_DIR: path.join(tmp, 'cache'), HOME: path.join(tmp, 'home'), GOFLAGS: undefined };
const built = path.join(tmp, 'nokmem');
const plainKubelet = path.join(tmp, 'plain/_output/local/bin/linux/amd64/kubelet');
/** A PATH with git but no go: `go version -m` cannot run, only the proof strings can. */
const noGo = path.join(tmp, 'no-go-bin');
let remote: StandinRemote;
let copies = 0;

beforeAll(() => {
  mkdirSync(env.HOME, { recursive: true });
  remote = makeStandinRemote(tmp, { tags: ['v1.14.10'] });
  const r = kpatch(['build', '--k8s', 'v1.14.10', '--repo', remote.url, '--runner', 'local', '--mode', 'nokmem', '--out', built], { env });
  if (r.code !== 0) throw new Error(`build failed: ${r.stderr}`);
  materializeStandin('v1.14.10', path.join(tmp, 'plain'));
  execFileSync('make', ['WHAT=cmd/kubelet'], {
    cwd: path.join(tmp, 'plain'),
    env: { ...process.env, HOME: env.HOME, GOFLAGS: '', GO111MODULE: 'off' },
    stdio: 'pipe',
  });
  mkdirSync(noGo);
  for (const p of ['git', 'sh'])
    symlinkSync(execFileSync('sh', ['-c', `command -v ${p}`], { encoding: 'utf8' }).trim(), path.join(noGo, p));
}, 600_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A copy of the built folder to spoil. */
function copy(): string {
  const dir = path.join(tmp, `copy-${++copies}`);
  cpSync(built, dir, { recursive: true });
  return dir;
}

/** A copy whose kubelet is the plain build's, which switches kmem on (seen by running it). */
function swapped(): string {
  const dir = copy();
  cpSync(plainKubelet, path.join(dir, KUBELET));
  expect(kmemSwitchedOn(path.join(dir, KUBELET), tmp), 'the swapped-in kubelet switches kmem on').toBe(true);
  return dir;
}

/** verify, taking the pristine tag from the test's own remote (--repo: a repository the caller trusts). */
const verify = (dir: string, more: string[] = [], extraEnv: Record<string, string> = {}) =>
  kpatch(['verify', dir, '--repo', remote.url, ...more], { env: { ...env, ...extraEnv } });
const failLines = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('FAIL'));

describe('the fresh nokmem folder', () => {
  it('holds: the proof strings come from the pristine tag, the build info from go version -m', () => {
    const r = verify(built);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(kmemSwitchedOn(path.join(built, KUBELET), tmp)).toBe(false);
    expect(r.stdout).toContain(`ok   ${KUBELET}: carries the nokmem variant's string "${PROOF}"`);
    expect(r.stdout).toContain(`ok   ${KUBELET}: Go build info lists -tags=nokmem`);
    // The skip (no --key) is counted apart, never folded into "all checks hold".
    expect(r.stdout).toMatch(/^kpatch: .*: \d+ checks hold, 1 skipped \(SHA256SUMS\.sig: /m);
    expect(r.stdout).not.toMatch(/all \d+ checks hold/);
  });

  it('holds without a host Go: the proof string is enough, the build info check is a skip counted apart', () => {
    const r = verify(built, [], { PATH: noGo });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^skip ${KUBELET}: Go build info not read here`, 'm'));
    expect(r.stdout).toMatch(/\d+ checks hold, 2 skipped \(/);
  });
});

describe('an unpatched kubelet in a nokmem folder, every hash record rewritten', () => {
  it('fails with the verification record removed (and a signature made afterwards does not help)', () => {
    const dir = swapped();
    tamper(dir, (m) => delete m.verification);
    const r = verify(dir);
    expect(r.code, r.stdout).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^FAIL ${KUBELET}: none of the nokmem variant's strings is in the binary`, 'm'));
    expect(r.stdout).toMatch(/^FAIL manifest\.json: has no verification record/m);
    const key = path.join(tmp, 'key.pem');
    const pub = path.join(tmp, 'pub.pem');
    execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
    execFileSync('openssl', ['ec', '-in', key, '-pubout', '-out', pub], { stdio: 'pipe' });
    // sign checks the sums and the records' names, not the binary: it signs; verify --key still fails.
    expect(kpatch(['sign', dir, '--sign-key', key], { env }).code).toBe(0);
    const signed = verify(dir, ['--key', pub]);
    expect(signed.code).toBe(1);
    expect(signed.stdout).toContain('ok   SHA256SUMS.sig: a valid ECDSA P-256 signature');
    expect(failLines(signed.stdout).length).toBeGreaterThan(0);
  });

  it('fails with the verification method changed to source', () => {
    const dir = swapped();
    tamper(dir, (m) => (m.verification = { status: 'verified', method: 'source', summary: 'x' }));
    const r = verify(dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^FAIL ${KUBELET}: none of the nokmem variant's strings`, 'm'));
    expect(r.stdout).toMatch(/^FAIL manifest\.json: verification\.method is "source", but mode nokmem is proven from the binary/m);
  });

  it('fails with the verification buildTag dropped', () => {
    const dir = swapped();
    tamper(dir, (m) => delete m.verification.buildTag);
    const r = verify(dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^FAIL ${KUBELET}: none of the nokmem variant's strings`, 'm'));
    expect(r.stdout).toMatch(/^FAIL manifest\.json: verification\.buildTag is absent, but mode nokmem is proven by -tags=nokmem/m);
  });

  it('fails with the proof strings emptied, on a host without Go (the strings come from the pristine tag)', () => {
    const dir = swapped();
    tamper(dir, (m) => (m.verification.proofStrings = []));
    const r = verify(dir, [], { PATH: noGo });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^FAIL ${KUBELET}: none of the nokmem variant's strings is in the binary`, 'm'));
    expect(r.stdout).toMatch(/^FAIL manifest\.json: verification\.proofStrings lists \[\], but v1\.14\.10's nokmem variant has \[/m);
  });

  it('fails with the proof strings replaced by one the unpatched kubelet carries', () => {
    const dir = swapped();
    const carried = 'Kubernetes';
    expect(readFileSync(path.join(dir, KUBELET)).includes(Buffer.from(carried))).toBe(true);
    tamper(dir, (m) => (m.verification.proofStrings = [carried]));
    const r = verify(dir, [], { PATH: noGo });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^FAIL ${KUBELET}: none of the nokmem variant's strings is in the binary`, 'm'));
  });

  it('fails with the mode changed to none and every mention of the tag scrubbed: the pristine tag is affected', () => {
    const dir = swapped();
    tamper(dir, (m) => {
      m.mode = 'none';
      m.modeRequested = 'none';
      delete m.goflags;
      m.verification = { status: 'not-needed', method: 'none', summary: 'built unchanged' };
    });
    editJson(dir, 'provenance.json', (p) => {
      const b = p.predicate.buildDefinition;
      b.externalParameters.mode = 'none';
      b.internalParameters.mode = 'none';
      delete b.internalParameters.goflags;
      b.internalParameters.reproducibleWith.goflags = '';
      b.internalParameters.verification = { status: 'not-needed', method: 'none' };
    });
    editJson(dir, 'sbom.spdx.json', (s) => {
      for (const p of s.packages) delete p.annotations;
    });
    tamper(dir);
    const r = verify(dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL manifest\.json: mode none \(built unchanged\), but v1\.14\.10 is affected \(/m);
  });

  it('fails with the mode changed to none while GOFLAGS still records the tag', () => {
    const dir = swapped();
    tamper(dir, (m) => {
      m.mode = 'none';
      m.verification = { status: 'not-needed', method: 'none', summary: 'built unchanged' };
    });
    const r = verify(dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^FAIL ${KUBELET}: none of the nokmem variant's strings`, 'm'));
    expect(r.stdout).toMatch(
      /^FAIL manifest\.json: mode none \(built unchanged\), but the folder records -tags=nokmem \(manifest\.json goflags/m,
    );
  });

  it('fails with a mode verify does not know', () => {
    const dir = swapped();
    tamper(dir, (m) => (m.mode = 'NOKMEM'));
    const r = verify(dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^FAIL manifest\.json: mode "NOKMEM" is not a mode of recipe kmem-accounting \(guard, remove, nokmem, none\)/m,
    );
  });

  it('fails with the release tag dropped: nothing to re-derive the proof from', () => {
    const dir = swapped();
    tamper(dir, (m) => delete m.source.tag);
    const r = verify(dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL manifest\.json: names no release tag \(source\.tag\)/m);
  });

  it('fails when the unpatched kubelet sits beside a listed good one under another platform', () => {
    const dir = copy();
    mkdirSync(path.join(dir, 'linux-arm64'));
    cpSync(path.join(dir, KUBELET), path.join(dir, 'linux-arm64/kubelet'));
    cpSync(plainKubelet, path.join(dir, KUBELET));
    tamper(dir, (m) => {
      m.platforms = ['linux/arm64'];
      m.artifacts = [{ ...m.artifacts[0], path: 'linux-arm64/kubelet', platform: 'linux/arm64' }];
      m.verification.artifacts[0].path = 'linux-arm64/kubelet';
    });
    const r = verify(dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^FAIL ${KUBELET}: a kubelet that manifest\\.json does not list`, 'm'));
  });
});

describe('the repository the pristine tag comes from', () => {
  /** A string the unpatched kubelet carries (its --cgroup-root help), at least 16 bytes, in no runc file. */
  const CARRIED = 'cgroup hierarchy root to create the pod cgroup under (required)';

  it('when only the manifest names it, verify says so (a skip, never "all checks hold")', () => {
    const r = kpatch(['verify', built], { env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`skip manifest.json: v1.14.10 was taken from ${remote.url}, the repository only this manifest names`);
    expect(r.stdout).toMatch(/\d+ checks hold, 2 skipped \(SHA256SUMS\.sig: .*; manifest\.json: v1\.14\.10 was taken from /);
  });

  it('a manifest pointing at a fake tag whose nokmem string the unpatched kubelet carries fails against a trusted --repo', () => {
    const fake = path.join(tmp, 'fake');
    execFileSync('git', ['clone', '-q', '--branch', 'v1.14.10', remote.url, fake], { stdio: 'pipe' });
    const disabled = path.join(fake, 'vendor/github.com/opencontainers/runc/libcontainer/cgroups/fs/kmem_disabled.go');
    writeFileSync(disabled, readFileSync(disabled, 'utf8').replace(PROOF, CARRIED));
    const git = (...a: string[]) =>
      execFileSync('git', ['-c', 'user.name=x', '-c', 'user.email=x@kpatch.invalid', ...a], { cwd: fake, encoding: 'utf8' });
    git('commit', '-qam', 'fake');
    git('tag', '-f', 'v1.14.10');
    const fakeCommit = git('rev-parse', 'HEAD').trim();
    const fakeUrl = `file://${fake}`;
    const dir = swapped();
    tamper(dir, (m) => {
      m.source = { ...m.source, repo: fakeUrl, commit: fakeCommit };
      m.verification.proofStrings = [CARRIED];
    });
    editJson(dir, 'provenance.json', (p) => {
      const source = p.predicate.buildDefinition.resolvedDependencies.find((d: { name: string }) => d.name === 'source');
      source.uri = `git+${fakeUrl}@refs/tags/v1.14.10`;
      source.digest.gitCommit = fakeCommit;
    });
    tamper(dir);
    // Taken from the fake (no --repo), on a host without Go, nothing else can tell: verify passes, but says where the tag came from.
    const trusting = kpatch(['verify', dir], { env: { ...env, PATH: noGo } });
    expect(trusting.code, trusting.stdout).toBe(0);
    expect(trusting.stdout).toContain(`skip manifest.json: v1.14.10 was taken from ${fakeUrl}, the repository only this manifest names`);
    expect(trusting.stdout).not.toMatch(/all \d+ checks hold/);
    // Against the repository the caller trusts: the tag's own proof string is missing, and the commit is not the tag's.
    const r = verify(dir, [], { PATH: noGo });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^FAIL ${KUBELET}: none of the nokmem variant's strings is in the binary`, 'm'));
    expect(r.stdout).toMatch(/^FAIL manifest\.json: records v1\.14\.10 as commit \w+, but .* has it at \w+: the tag was moved/m);
  });
});

describe('a good kubelet with weakened records', () => {
  it('fails when GOFLAGS no longer records the tag', () => {
    const dir = copy();
    tamper(dir, (m) => delete m.goflags);
    const r = verify(dir);
    expect(r.code).toBe(1);
    expect(failLines(r.stdout)).toEqual([
      expect.stringMatching(/^FAIL manifest\.json: mode nokmem, but goflags does not carry -tags=nokmem/),
    ]);
  });

  it('fails when the recipe is one this kpatch does not have', () => {
    const dir = copy();
    tamper(dir, (m) => (m.recipe = 'kmem-accounting-v0'));
    const r = verify(dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL manifest\.json: recipe "kmem-accounting-v0" is not one this kpatch has \(kmem-accounting\)/m);
  });
});
