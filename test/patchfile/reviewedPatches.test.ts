/**
 * Reviewed patches end to end, on the stand-in Kubernetes remote over file://:
 * `diff --write` files the patch a build would apply at a stable path, byte
 * for byte the same on every run and the same bytes `build` writes; `--check`
 * passes while the release is unchanged and fails with a readable difference
 * once the vendored code under the patch changed (a second remote whose
 * v1.12.4 moved to a commit that edits memory.go); `build --patch` builds with
 * exactly the reviewed file, and refuses, before building and leaving nothing,
 * a patch that no longer applies.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { kpatch } from '../helpers/cli.js';
import { expectValidJson } from '../helpers/jsonSchema.js';
import { makeStandinRemote, STANDIN_MEMORY_GO, type StandinRemote } from '../helpers/standin-repo.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'kpatch-reviewed-'));
const env = { CI: '1', KPATCH_CACHE_DIR: path.join(tmp, 'cache'), HOME: path.join(tmp, 'home') };
const reviewed = path.join(tmp, 'reviewed');
const PATCH = path.join(reviewed, 'v1.12.4', '0001-kmem-accounting-guard.patch');
let remote: StandinRemote;
/** A copy of the remote whose v1.12.4 points at a commit that changed memory.go. */
let moved: string;

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

function git(cwd: string, args: string[]): string {
  return execFileSync(
    'git',
    ['-c', 'user.name=t', '-c', 'user.email=t@kpatch.invalid', '-c', 'commit.gpgSign=false', '-c', 'tag.gpgSign=false', ...args],
    { cwd, encoding: 'utf8', stdio: 'pipe' },
  );
}

beforeAll(() => {
  mkdirSync(env.HOME, { recursive: true });
  remote = makeStandinRemote(tmp, { tags: ['v1.12.4'] });
  // The second remote: same history, but v1.12.4 re-tagged on a commit that fixes a
  // typo in the comment right above the call, i.e. inside the patch's context.
  const bare = path.join(tmp, 'moved.git');
  execFileSync('git', ['clone', '-q', '--bare', remote.url, bare], { stdio: 'pipe' });
  const work = path.join(tmp, 'moved-work');
  execFileSync('git', ['clone', '-q', '--branch', 'v1.12.4', bare, work], { stdio: 'pipe' });
  const file = path.join(work, STANDIN_MEMORY_GO);
  const before = readFileSync(file, 'utf8');
  expect(before).toContain('kernel memory accouting when');
  writeFileSync(file, before.replace('kernel memory accouting when', 'kernel memory accounting when'));
  git(work, ['commit', '-q', '-am', 'fix a typo in memory.go']);
  git(work, ['tag', '-f', '-a', 'v1.12.4', '-m', 'Kubernetes v1.12.4 (moved)']);
  git(work, ['push', '-q', '--force', bare, 'refs/tags/v1.12.4']);
  moved = `file://${bare}`;
});

describe('kpatch diff --write', () => {
  it('writes <dir>/<tag>/0001-<recipe>-<mode>.patch, the same bytes on a second run', () => {
    const first = kpatch(['diff', '--k8s', 'v1.12.4', '--repo', remote.url, '--mode', 'guard', '--write', reviewed], { env });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout.trim()).toBe(PATCH);
    const bytes = readFileSync(PATCH);
    expect(bytes.toString()).toMatch(/^From 0{40} Mon Sep 17 00:00:00 2001\n/);
    // The date is the tag commit's, never the clock.
    expect(bytes.toString()).toContain('Date: Mon, 3 Dec 2018 18:00:00 +0000');
    expect(bytes.toString()).toContain(`diff --git a/${STANDIN_MEMORY_GO} b/${STANDIN_MEMORY_GO}`);

    const again = kpatch(['diff', '--k8s', 'v1.12.4', '--repo', remote.url, '--mode', 'guard', '--write', reviewed, '--json'], { env });
    expect(again.code, again.stderr).toBe(0);
    expect(readFileSync(PATCH).equals(bytes)).toBe(true);
    const doc = expectValidJson('diff.schema.json', again.stdout);
    expect(doc.written).toEqual({ path: PATCH, sha256: sha256(PATCH) });
    expect(readdirSync(path.dirname(PATCH))).toEqual(['0001-kmem-accounting-guard.patch']);
  });

  it('the written patch applies with git apply to the pristine tag', () => {
    const clone = path.join(tmp, 'apply-check');
    execFileSync('git', ['clone', '-q', '--branch', 'v1.12.4', remote.url, clone], { stdio: 'pipe' });
    execFileSync('git', ['apply', '--check', PATCH], { cwd: clone, stdio: 'pipe' });
  });
});

describe('kpatch diff --check', () => {
  it('passes (exit 0) while the committed patch matches a fresh one', () => {
    const r = kpatch(['diff', '--k8s', 'v1.12.4', '--repo', remote.url, '--check', reviewed], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('up to date');
    const j = kpatch(['diff', '--k8s', 'v1.12.4', '--repo', remote.url, '--check', reviewed, '--json'], { env });
    expect(j.code).toBe(0);
    expect(expectValidJson('diff.schema.json', j.stdout).check).toEqual({ path: PATCH, status: 'same', difference: null });
  });

  it('fails (exit 1) with a readable difference when the vendored code under the patch changed', () => {
    const r = kpatch(['diff', '--k8s', 'v1.12.4', '--repo', moved, '--check', reviewed], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error[patch_drift]');
    expect(r.stderr).toContain(PATCH);
    // The difference: the patch's old context line (committed) against the new one (generated now).
    expect(r.stdout).toContain(`--- ${PATCH}\t(committed)\n`);
    expect(r.stdout).toMatch(/^\+\+\+ .*\(generated now from v1\.12\.4 \([0-9a-f]{12}\) by this kpatch\)$/m);
    // The patch removes the comment line (`-` in the patch): committed spelling, then the new one.
    expect(r.stdout).toMatch(/^--\t+\/\/ Only enable kernel memory accouting when this cgroup$/m);
    expect(r.stdout).toMatch(/^\+-\t+\/\/ Only enable kernel memory accounting when this cgroup$/m);
    expect(r.stdout).toMatch(/^-Date: Mon, 3 Dec 2018 18:00:00 \+0000$/m);
    expect(r.stdout).not.toContain('\u001b['); // not a terminal: no colour

    const j = kpatch(['diff', '--k8s', 'v1.12.4', '--repo', moved, '--check', reviewed, '--json'], { env });
    expect(j.code).toBe(1);
    const doc = expectValidJson('diff.schema.json', j.stdout);
    expect(doc.check.status).toBe('drift');
    expect(doc.check.difference).toContain('accounting when this cgroup');
  });

  it('a tag with no committed patch is reported as missing (exit 1)', () => {
    const r = kpatch(['diff', '--k8s', 'v1.12.4', '--repo', remote.url, '--mode', 'remove', '--check', reviewed], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error[patch_drift]');
    expect(r.stderr).toContain('no reviewed patch is committed for v1.12.4');
  });
});

describe('kpatch build --patch (local runner)', () => {
  it('builds with exactly the reviewed file and records its sha256 in the manifest', () => {
    // A reviewer's note in the message proves the build used this file, not a patch of its own.
    const annotated = path.join(tmp, 'annotated', 'v1.12.4', '0001-kmem-accounting-guard.patch');
    mkdirSync(path.dirname(annotated), { recursive: true });
    writeFileSync(
      annotated,
      readFileSync(PATCH, 'utf8').replace('\n---\n', '\n\nReviewed-by: Release Engineer <re@kpatch.invalid>\n---\n'),
    );
    const out = path.join(tmp, 'out-reviewed');
    const r = kpatch(
      ['build', '--k8s', 'v1.12.4', '--repo', remote.url, '--runner', 'local', '--patch', annotated, '--out', out, '--json'],
      { env },
    );
    expect(r.code, r.stderr).toBe(0);
    const m = expectValidJson('build.schema.json', r.stdout);
    expect(m.patch).toEqual({ path: 'patches/0001-kmem-accounting-guard.patch', sha256: sha256(annotated), reviewedFrom: annotated });
    expect(m.mode).toBe('guard');
    expect(m.modeReason).toContain('reviewed patch');
    expect(readFileSync(path.join(out, m.patch.path)).equals(readFileSync(annotated))).toBe(true);
    expect(JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')).patch.sha256).toBe(sha256(annotated));
    expect(existsSync(path.join(out, 'linux-amd64/kubelet'))).toBe(true);
    execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: out, stdio: 'pipe' });

    // What the CI workflow runs on each result; its JSON is validated too.
    const v = kpatch(['verify', out, '--repo', remote.url, '--json'], { env });
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(expectValidJson('verify.schema.json', v.stdout).ok).toBe(true);
  });

  it('without --patch, build writes the same bytes diff --write filed for review', () => {
    const out = path.join(tmp, 'out-generated');
    const r = kpatch(['build', '--k8s', 'v1.12.4', '--repo', remote.url, '--runner', 'local', '--out', out], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(path.join(out, 'patches/0001-kmem-accounting-guard.patch')).equals(readFileSync(PATCH))).toBe(true);
  });

  it('a reviewed patch that no longer applies stops the build before make and leaves no output', () => {
    const parent = path.join(tmp, 'refused');
    mkdirSync(parent);
    const out = path.join(parent, 'out');
    const r = kpatch(['build', '--k8s', 'v1.12.4', '--repo', moved, '--runner', 'local', '--patch', PATCH, '--out', out], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error[patch_does_not_apply]');
    expect(r.stderr).toContain(PATCH);
    expect(r.stderr).toMatch(/patch does not apply|patch failed/);
    expect(r.stderr).not.toMatch(/build: started/);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('a patch that applies but does not guard the call stops the build before make (patch_incomplete)', () => {
    // A real, cleanly applying patch that only touches the comment: a reviewer's wrong file.
    const clone = path.join(tmp, 'typo-only');
    execFileSync('git', ['clone', '-q', '--branch', 'v1.12.4', remote.url, clone], { stdio: 'pipe' });
    const file = path.join(clone, STANDIN_MEMORY_GO);
    writeFileSync(file, readFileSync(file, 'utf8').replace('accouting', 'accounting'));
    const wrong = path.join(tmp, 'typo-only.patch');
    writeFileSync(wrong, git(clone, ['diff']));
    const parent = path.join(tmp, 'incomplete');
    mkdirSync(parent);
    const r = kpatch(
      ['build', '--k8s', 'v1.12.4', '--repo', remote.url, '--runner', 'local', '--patch', wrong, '--out', path.join(parent, 'out')],
      { env },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error[patch_incomplete]');
    expect(r.stderr).toMatch(
      new RegExp(`still unguarded after the patch:\\n\\s+${STANDIN_MEMORY_GO.replace(/\./g, '\\.')}:\\d+ \\(\\*MemoryGroup\\)\\.Apply`),
    );
    expect(r.stderr).not.toMatch(/build: started/);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('a missing --patch file is a usage error before anything is fetched', () => {
    const r = kpatch(
      [
        'build',
        '--k8s',
        'v1.12.4',
        '--repo',
        remote.url,
        '--runner',
        'local',
        '--patch',
        path.join(tmp, 'nope.patch'),
        '--out',
        path.join(tmp, 'out-none'),
      ],
      { env: { ...env, KPATCH_CACHE_DIR: path.join(tmp, 'fresh-cache') } },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--patch');
    expect(existsSync(path.join(tmp, 'fresh-cache', 'repos'))).toBe(false);
  });
});

describe('reviewed patches and the matrix', () => {
  it('matrix --patches gives each build its reviewed patch, and refuses a tag without one', () => {
    const cwd = path.join(tmp, 'ci-checkout');
    cpSync(reviewed, path.join(cwd, 'reviewed-patches'), { recursive: true });
    const r = kpatch(['matrix', '--k8s', 'v1.12.4', '--patches', 'reviewed-patches', '--format', 'json'], { cwd, env });
    expect(r.code, r.stderr).toBe(0);
    const doc = expectValidJson('matrix.schema.json', r.stdout);
    expect(doc.include[0].patch).toBe('reviewed-patches/v1.12.4/0001-kmem-accounting-guard.patch');
    expect(doc.include[0].args.slice(-2)).toEqual(['--patch', 'reviewed-patches/v1.12.4/0001-kmem-accounting-guard.patch']);
    const missing = kpatch(['matrix', '--k8s', 'v1.12.4,v1.13.12', '--patches', 'reviewed-patches'], { cwd, env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('reviewed-patches/v1.13.12/0001-kmem-accounting-guard.patch');
  });
});
