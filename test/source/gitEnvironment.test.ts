/**
 * An inherited GIT_DIR / GIT_WORK_TREE / GIT_INDEX_FILE (kpatch run from a
 * git hook, say) cannot redirect any git call of kpatch (issue 15 §4): every
 * command that runs git on a user's checkout, or on the cache, reads and
 * writes the repository it means, and the decoy repository those variables
 * name is left byte for byte as it was. Through the real CLI, with real git,
 * the stand-in Kubernetes and the host's Go for the one build.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { kpatch } from '../helpers/cli.js';
import { makeStandinRemote, STANDIN_MEMORY_GO, type StandinRemote } from '../helpers/standin-repo.js';
import { compareSnapshots, snapshotDir, type Snapshot } from '../helpers/fsSnapshot.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'kpatch-git-env-'));
const HOME = path.join(tmp, 'home');
const DECOY = path.join(tmp, 'decoy');
const cacheDir = path.join(tmp, 'cache');
let remote: StandinRemote;
let decoyBefore: Snapshot;

/** git with a clean environment (no inherited location variables), for setting up and checking. */
const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@kpatch.invalid', '-c', 'advice.detachedHead=false', ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, HOME, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
  });

/** kpatch's environment: what a git hook would hand down, pointing at the decoy. */
function hookEnv(): Record<string, string> {
  return {
    CI: '1',
    HOME,
    KPATCH_CACHE_DIR: cacheDir,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_DIR: path.join(DECOY, '.git'),
    GIT_WORK_TREE: DECOY,
    GIT_INDEX_FILE: path.join(DECOY, '.git', 'index'),
  };
}

const run = (args: string[]) => kpatch(args, { env: hookEnv(), cwd: tmp });

let n = 0;
/** A clone of the stand-in at v1.12.4. */
function checkout(): string {
  const dir = path.join(tmp, `co-${++n}`);
  git(tmp, 'clone', '-q', '--branch', 'v1.12.4', remote.url, dir);
  return dir;
}

beforeAll(() => {
  mkdirSync(HOME, { recursive: true });
  remote = makeStandinRemote(tmp, { tags: ['v1.12.4'] });
  // The decoy: a repository with a tag of its own, a tracked file that differs
  // from the checkouts' and an untracked one, so any git call aimed at it
  // would answer differently (and a write would show in its snapshot).
  mkdirSync(path.join(DECOY, path.dirname(STANDIN_MEMORY_GO)), { recursive: true });
  git(DECOY, 'init', '-q');
  writeFileSync(path.join(DECOY, STANDIN_MEMORY_GO), 'package fs\n// the decoy\n');
  git(DECOY, 'add', '-A');
  git(DECOY, 'commit', '-q', '-m', 'decoy');
  git(DECOY, 'tag', 'v9.9.9');
  writeFileSync(path.join(DECOY, 'untracked.txt'), 'decoy\n');
  decoyBefore = snapshotDir(DECOY);
});

function expectDecoyUntouched(): void {
  expect(compareSnapshots('decoy', decoyBefore, snapshotDir(DECOY), { strict: true }), 'the decoy repository changed').toEqual([]);
}

describe('an inherited GIT_DIR cannot redirect kpatch', { timeout: 600_000 }, () => {
  it("patch --src: refuses the checkout's own uncommitted edit (asked of the checkout, not the decoy)", () => {
    const dir = checkout();
    const file = path.join(dir, STANDIN_MEMORY_GO);
    writeFileSync(file, readFileSync(file, 'utf8') + '\n// my own edit\n');
    const before = readFileSync(file, 'utf8');
    const r = run(['patch', '--src', dir]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('error[dirty_files]');
    expect(readFileSync(file, 'utf8')).toBe(before);
    expectDecoyUntouched();
  });

  it('patch --src on a clean checkout patches that checkout', () => {
    const dir = checkout();
    const r = run(['patch', '--src', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(git(dir, 'status', '--porcelain')).toContain(STANDIN_MEMORY_GO);
    expectDecoyUntouched();
  });

  it('scan --src and diff --src --write read the checkout and its tag', () => {
    const dir = checkout();
    expect(run(['scan', '--src', dir]).stdout).toContain('memory.go');
    const reviewed = path.join(tmp, 'reviewed');
    const r = run(['diff', '--src', dir, '--write', reviewed]);
    expect(r.code, r.stderr).toBe(0);
    // Filed under the checkout's tag, with its commit's date: not the decoy's v9.9.9.
    const patch = readFileSync(path.join(reviewed, 'v1.12.4', '0001-kmem-accounting-guard.patch'), 'utf8');
    expect(patch).toContain(`+++ b/${STANDIN_MEMORY_GO}`);
    expectDecoyUntouched();
  });

  it('fetch --k8s puts the release in the cache', () => {
    const r = run(['fetch', '--k8s', 'v1.12.4', '--repo', remote.url, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ tag: 'v1.12.4', commit: remote.commits['v1.12.4'] });
    expectDecoyUntouched();
  });

  it("build --src stamps the checkout's tag and commit, and builds", () => {
    const dir = checkout();
    const out = path.join(tmp, 'out');
    const r = run(['build', '--src', dir, '--runner', 'local', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(m.source).toMatchObject({ tag: 'v1.12.4', commit: remote.commits['v1.12.4'], treeState: 'clean' });
    expect(git(dir, 'status', '--porcelain'), 'the checkout is not changed').toBe('');
    expectDecoyUntouched();
  });
});
