/**
 * `kpatch build --mode nokmem|auto` and `--build-anyway`, end to end with the
 * local runner (the host's Go 1.19) on the stand-in repository over file://.
 * What a release engineer relies on: nokmem changes no source yet the kubelet
 * stops switching kmem on and carries the proof; a release without the nokmem
 * variant is refused before anything is built; auto picks the right fix per
 * release; a release that needs nothing is not built unless asked.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { goflagsWithTag } from '../../src/pipeline/goFlags.js';
import { tagsFromBuildInfo } from '../../src/manifest/binaryProof.js';
import { binaryVerification } from '../../src/manifest/verification.js';
import { KpatchError } from '../../src/errors.js';
import { kpatch, REPO_ROOT } from '../helpers/cli.js';
import { makeStandinRemote, materializeStandin, type StandinRemote } from '../helpers/standin-repo.js';
import { kmemSwitchedOn as kmemSwitchedOnUnder, manifestOf } from '../helpers/buildOutput.js';

const PROOF = 'kernel memory accounting disabled in this runc build';
const KUBELET = 'linux-amd64/kubelet';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'kpatch-modes-'));
const env = { CI: '1', KPATCH_CACHE_DIR: path.join(tmp, 'cache'), HOME: path.join(tmp, 'home'), GOFLAGS: undefined };
let remote: StandinRemote;

beforeAll(() => {
  mkdirSync(env.HOME, { recursive: true });
  remote = makeStandinRemote(tmp);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs the stand-in kubelet against a temporary cgroup root; says whether kmem was switched on. */
const kmemSwitchedOn = (kubelet: string) => kmemSwitchedOnUnder(kubelet, tmp);
const hasProof = (file: string) => readFileSync(file).includes(Buffer.from(PROOF));
const build = (args: string[], extraEnv: Record<string, string> = {}) =>
  kpatch(['build', '--runner', 'local', ...args], { env: { ...env, ...extraEnv } });

describe('--mode nokmem', () => {
  const clone = path.join(tmp, 'clone-v1.14.10');
  const out = path.join(tmp, 'out-nokmem');
  let r: ReturnType<typeof kpatch>;

  beforeAll(() => {
    execFileSync('git', ['clone', '-q', '--branch', 'v1.14.10', remote.url, clone], { stdio: 'pipe' });
    // The user's own GOFLAGS must survive next to the tag kpatch adds.
    r = build(['--src', clone, '--mode', 'nokmem', '--out', out], { GOFLAGS: '-tags=kpatchtest' });
  });

  it('builds v1.14.10 with no source change: the kubelet no longer switches kmem on', () => {
    expect(r.code, r.stderr).toBe(0);
    expect(execFileSync('git', ['status', '--porcelain'], { cwd: clone, encoding: 'utf8' })).toBe('');
    expect(existsSync(path.join(out, 'patches')), 'no patch for a build tag').toBe(false);
    const m = manifestOf(out);
    expect(m).toMatchObject({
      mode: 'nokmem',
      modeRequested: 'nokmem',
      patchedFiles: [],
      goflags: '-tags=kpatchtest,nokmem',
      versionString: 'v1.14.10+kpatch.nokmem',
    });
    expect(m.patch).toBeUndefined();
    const kubelet = path.join(out, 'linux-amd64/kubelet');
    expect(kmemSwitchedOn(kubelet)).toBe(false);
    expect(r.stdout).toMatch(/patch: +none \(no source change; GOFLAGS=-tags=kpatchtest,nokmem\)/);
  });

  it('the kubelet carries the proof string and Go build info lists -tags=nokmem; the manifest records both', () => {
    const kubelet = path.join(out, 'linux-amd64/kubelet');
    expect(hasProof(kubelet)).toBe(true);
    const info = execFileSync('go', ['version', '-m', kubelet], { encoding: 'utf8' });
    expect(info).toMatch(/^\s*build\s+-tags=kpatchtest,nokmem$/m);
    const v = manifestOf(out).verification;
    expect(v).toMatchObject({ status: 'verified', method: 'binary', buildTag: 'nokmem', proofStrings: [PROOF] });
    expect(v.artifacts).toEqual([{ path: 'linux-amd64/kubelet', proofStringsFound: [PROOF], buildTags: ['kpatchtest', 'nokmem'] }]);
    expect(r.stdout).toMatch(/proof: +verified: each kubelet carries the nokmem variant's string and its Go build info lists -tags=nokmem/);
  });

  it('a plain make of v1.14.10 (what guard patches) has no proof string and does switch kmem on: the proof means something', () => {
    const tree = path.join(tmp, 'plain-v1.14.10');
    materializeStandin('v1.14.10', tree);
    execFileSync('make', ['WHAT=cmd/kubelet'], {
      cwd: tree,
      env: {
        ...process.env,
        HOME: env.HOME,
        GOFLAGS: '',
        GO111MODULE: 'off' /* a GOPATH-era tree, as a user's plain make needs with Go >= 1.16 */,
      },
      stdio: 'pipe',
    });
    const kubelet = path.join(tree, '_output/local/bin/linux/amd64/kubelet');
    expect(hasProof(kubelet)).toBe(false);
    expect(kmemSwitchedOn(kubelet)).toBe(true);
  });

  it('the build-time proof refuses a kubelet the tag never reached, and says unverified when no check can run', async () => {
    const plain = path.join(tmp, 'plain-v1.14.10/_output/local/bin/linux/amd64/kubelet');
    const refused = await binaryVerification('nokmem', [PROOF], [{ path: KUBELET, abs: plain }], { PATH: process.env.PATH }).catch(
      (e) => e,
    );
    expect(refused).toBeInstanceOf(KpatchError);
    expect(refused).toMatchObject({ id: 'build_unverified', where: KUBELET });
    expect(refused.detail).toMatch(/none of the nokmem variant's strings is in the binary.*its Go build info lists no -tags, not nokmem/);
    // No proof string in the tree and no Go to read the build info: nothing can be proven, and the manifest must say so.
    const blind = await binaryVerification('nokmem', [], [{ path: KUBELET, abs: path.join(out, KUBELET) }], { PATH: '/nonexistent' });
    expect(blind).toMatchObject({ status: 'unverified', artifacts: [{ path: KUBELET, proofStringsFound: null, buildTags: null }] });
    expect(blind.summary).toMatch(/cannot prove that -tags=nokmem reached linux-amd64\/kubelet/);
  });

  it('kpatch verify passes on the folder, and fails naming the kubelet when it is swapped for the plain build', () => {
    // A --src build records no repository: the pristine tag, which says what the kubelet must show, comes from --repo.
    const ok = kpatch(['verify', out, '--repo', remote.url], { env });
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`ok   linux-amd64/kubelet: carries the nokmem variant's string "${PROOF}"`);
    expect(ok.stdout).toContain('ok   linux-amd64/kubelet: Go build info lists -tags=kpatchtest,nokmem');

    // A swap that also rewrites both hash records: only the binary proof can catch it.
    const swapped = path.join(tmp, 'out-nokmem-swapped');
    cpSync(out, swapped, { recursive: true });
    cpSync(path.join(tmp, 'plain-v1.14.10/_output/local/bin/linux/amd64/kubelet'), path.join(swapped, 'linux-amd64/kubelet'));
    resign(swapped);
    const bad = kpatch(['verify', swapped, '--repo', remote.url], { env });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^FAIL linux-amd64\/kubelet: none of the nokmem variant's strings is in the binary/m);
    expect(bad.stdout).toMatch(/^FAIL linux-amd64\/kubelet: its Go build info lists no -tags, not nokmem/m);
    expect(bad.stderr).toContain('error[artifacts_mismatch]');
  });

  it('is refused on v1.12.4 with exit 2 before any build starts, naming the vendored files checked', () => {
    const o = path.join(tmp, 'out-refused');
    const x = build(['--k8s', 'v1.12.4', '--repo', remote.url, '--mode', 'nokmem', '--out', o]);
    expect(x.code, x.stderr).toBe(2);
    expect(x.stderr).toContain('error[nokmem_unsupported]');
    expect(x.stderr).toContain('vendor/github.com/opencontainers/runc/libcontainer/cgroups/fs/: fs.go, memory.go');
    expect(x.stderr).toContain('vendor/github.com/opencontainers/runc/libcontainer/cgroups/: cgroups.go');
    expect(x.stderr).toMatch(/--mode guard/);
    expect(x.stderr).not.toMatch(/build: started/);
    expect(existsSync(o)).toBe(false);
  });
});

describe('--mode auto', () => {
  it('chooses nokmem on v1.14.10 and says why', () => {
    const o = path.join(tmp, 'out-auto-1.14');
    const r = build(['--k8s', 'v1.14.10', '--repo', remote.url, '--mode', 'auto', '--out', o]);
    expect(r.code, r.stderr).toBe(0);
    const m = manifestOf(o);
    expect(m).toMatchObject({ mode: 'nokmem', modeRequested: 'auto', goflags: '-tags=nokmem', versionString: 'v1.14.10+kpatch.nokmem' });
    expect(m.modeReason).toMatch(/nokmem build constraint \(vendor\/.*\/kmem_disabled\.go\)/);
    expect(r.stdout).toMatch(/mode: +nokmem \(chosen by --mode auto\): the vendored runc has a nokmem build constraint/);
    expect(kmemSwitchedOn(path.join(o, 'linux-amd64/kubelet'))).toBe(false);
  });

  it('chooses guard on v1.12.4, whose runc has no nokmem variant, and patches the source', () => {
    const o = path.join(tmp, 'out-auto-1.12');
    const r = build(['--k8s', 'v1.12.4', '--repo', remote.url, '--mode', 'auto', '--out', o]);
    expect(r.code, r.stderr).toBe(0);
    const m = manifestOf(o);
    expect(m).toMatchObject({
      mode: 'guard',
      modeRequested: 'auto',
      versionString: 'v1.12.4+kpatch.guard',
      verification: { status: 'verified', method: 'source' },
    });
    expect(m.goflags).toBeUndefined();
    expect(m.modeReason).toMatch(/no vendored runc file has a nokmem build constraint \(3 file\(s\) checked\)/);
    expect(existsSync(path.join(o, 'patches/0001-kmem-accounting-guard.patch'))).toBe(true);
    expect(m.patchedFiles).toHaveLength(1);
    expect(kmemSwitchedOn(path.join(o, 'linux-amd64/kubelet'))).toBe(false);
  });
});

describe('--mode nokmem in the podman build container', () => {
  const PODMAN = { KPATCH_PODMAN_ARGS: '--runtime /usr/sbin/runc', CONTAINERS_CONF: path.join(REPO_ROOT, 'scripts/ci/containers.conf') };
  const IMAGE = 'localhost/kpatch/kube-cross:local';
  beforeAll(() => {
    // Builds the local kube-cross image from host files; 0.1 s when it exists.
    execFileSync('bash', [path.join(REPO_ROOT, 'scripts/ci/podman-image.sh'), IMAGE], { stdio: 'inherit', timeout: 600_000 });
  }, 600_000);

  it('GOFLAGS=-tags=nokmem reaches the compiler inside the container too', { timeout: 300_000 }, () => {
    const o = path.join(tmp, 'out-podman-nokmem');
    const r = kpatch(
      ['build', '--runner', 'podman', '--image', IMAGE, '--k8s', 'v1.14.10', '--repo', remote.url, '--mode', 'nokmem', '--out', o],
      { env: { ...env, ...PODMAN } },
    );
    expect(r.code, r.stderr).toBe(0);
    const m = manifestOf(o);
    expect(m.runner).toBe('podman');
    expect(m.command).toEqual(expect.arrayContaining(['-e', 'GOFLAGS=-tags=nokmem']));
    expect(m.verification).toMatchObject({
      status: 'verified',
      artifacts: [{ path: KUBELET, proofStringsFound: [PROOF], buildTags: ['nokmem'] }],
    });
    expect(kmemSwitchedOn(path.join(o, KUBELET))).toBe(false);
  });
});

describe('a release that needs nothing (v1.21.2)', () => {
  it('is not built: exit 0, the evidence named, nothing written', () => {
    const o = path.join(tmp, 'out-1.21-skip');
    const r = build(['--k8s', 'v1.21.2', '--repo', remote.url, '--out', o]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/not affected .*nothing was built \(--build-anyway builds it as it is\)/);
    expect(r.stderr).toContain('files read (3):');
    expect(r.stderr).toContain('vendor/github.com/opencontainers/runc/libcontainer/cgroups/fs/: fs.go, memory.go');
    expect(r.stderr).toContain('call sites (0): none');
    expect(r.stderr).not.toMatch(/build: started/);
    expect(existsSync(o)).toBe(false);
  });

  it('--build-anyway builds it unchanged with the usual artifacts, which verify', () => {
    const o = path.join(tmp, 'out-1.21-anyway');
    const r = build(['--k8s', 'v1.21.2', '--repo', remote.url, '--build-anyway', '--out', o]);
    expect(r.code, r.stderr).toBe(0);
    for (const f of ['linux-amd64/kubelet', 'SHA256SUMS', 'manifest.json', 'build.log']) expect(existsSync(path.join(o, f)), f).toBe(true);
    expect(existsSync(path.join(o, 'patches'))).toBe(false);
    execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: o, stdio: 'pipe' });
    const m = manifestOf(o);
    expect(m).toMatchObject({
      mode: 'none',
      verdictBefore: 'not-affected',
      patchedFiles: [],
      versionString: 'v1.21.2',
      verification: { status: 'not-needed', method: 'none' },
    });
    expect(execFileSync(path.join(o, 'linux-amd64/kubelet'), ['--version'], { encoding: 'utf8' }).trim()).toBe('Kubernetes v1.21.2');
    const v = kpatch(['verify', o], { env });
    expect(v.code, v.stdout + v.stderr).toBe(0);
  });
});

describe('GOFLAGS handling', () => {
  it('adds the tag and keeps what the user set', () => {
    expect(goflagsWithTag(undefined, 'nokmem')).toBe('-tags=nokmem');
    expect(goflagsWithTag('-mod=vendor', 'nokmem')).toBe('-mod=vendor -tags=nokmem');
    expect(goflagsWithTag('-tags=a,b -v', 'nokmem')).toBe('-v -tags=a,b,nokmem');
    expect(goflagsWithTag('-tags=a --tags=nokmem', 'nokmem')).toBe('-tags=a,nokmem');
  });

  it('reads -tags from build info only when the binary records build settings', () => {
    expect(tagsFromBuildInfo('k: go1.19.8\n\tpath\tk8s.io/x\n\tbuild\t-compiler=gc\n\tbuild\t-tags=nokmem\n')).toEqual(['nokmem']);
    expect(tagsFromBuildInfo('k: go1.19.8\n\tpath\tk8s.io/x\n\tbuild\t-compiler=gc\n')).toEqual([]);
    expect(tagsFromBuildInfo('k: go1.12.17\n\tpath\tk8s.io/x\n')).toBeUndefined();
  });
});

/** Rewrites the manifest's artifact hashes and SHA256SUMS to match the files, as a careless or hostile re-upload would. */
function resign(dir: string): void {
  const sha = (f: string) =>
    createHash('sha256')
      .update(readFileSync(path.join(dir, f)))
      .digest('hex');
  const m = manifestOf(dir);
  for (const a of m.artifacts) a.sha256 = sha(a.path);
  if (m.patch) m.patch.sha256 = sha(m.patch.path);
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m, null, 2) + '\n');
  const files = spawnSync('find', ['.', '-type', 'f', '!', '-name', 'SHA256SUMS'], { cwd: dir, encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean)
    .map((f) => f.replace(/^\.\//, ''))
    .sort();
  writeFileSync(path.join(dir, 'SHA256SUMS'), files.map((f) => `${sha(f)}  ${f}`).join('\n') + '\n');
}
