/**
 * Twelve kpatch processes on one empty cache at once: eight `kpatch fetch`
 * and four `kpatch build --runner local`, on different and equal tags of the
 * stand-in remote. All must succeed; the cache must verify (`git fsck`) and
 * hold exactly the eight kept trees, no lock and no temporary tree; every
 * fetched tree must be its tag's, clean; every build's artifacts must verify
 * (`sha256sum -c SHA256SUMS`), report the right version, not switch kmem on
 * without a limit, and builds of one tag must be bit-identical.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeStandinRemote, standinFiles, type StandinRemote } from '../helpers/standin-repo.js';
import { MARK_VAR, markedProcesses, startKpatch, type Finished } from '../helpers/processes.js';

const ROOT = mkdtempSync(path.join(os.tmpdir(), 'kpatch-concurrency-'));
const CACHE = path.join(ROOT, 'cache');
const HOME = path.join(ROOT, 'home');
const MARK = `concurrency-${process.pid}`;
const FETCH_TAGS = ['v1.12.4', 'v1.14.10', 'v1.21.2', 'v1.12.4', 'v1.14.10', 'v1.21.2', 'v1.12.4', 'v1.14.10'];
const BUILD_TAGS = ['v1.12.4', 'v1.14.10', 'v1.12.4', 'v1.14.10'];
let remote: StandinRemote;

interface Run {
  kind: 'fetch' | 'build';
  tag: string;
  out?: string;
  result: Finished;
}
const runs: Run[] = [];
let seconds = 0;

beforeAll(async () => {
  mkdirSync(HOME, { recursive: true });
  writeFileSync(path.join(HOME, 'gitconfig'), '');
  remote = makeStandinRemote(path.join(ROOT, 'remote'));
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME,
    KPATCH_CACHE_DIR: CACHE,
    CI: '1',
    LANG: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: path.join(HOME, 'gitconfig'),
    [MARK_VAR]: MARK,
  };
  const started = [
    ...FETCH_TAGS.map((tag) => ({
      kind: 'fetch' as const,
      tag,
      out: undefined,
      args: ['fetch', '--json', '--k8s', tag, '--repo', remote.url],
    })),
    ...BUILD_TAGS.map((tag, i) => {
      const out = path.join(ROOT, 'out', `${i}-${tag}`);
      return {
        kind: 'build' as const,
        tag,
        out,
        args: ['build', '--json', '--k8s', tag, '--repo', remote.url, '--runner', 'local', '--out', out],
      };
    }),
  ].map((r) => ({ ...r, running: startKpatch(r.args, { cwd: ROOT, env }) }));
  const t0 = Date.now();
  for (const r of started) runs.push({ kind: r.kind, tag: r.tag, out: r.out, result: await r.running.done });
  seconds = (Date.now() - t0) / 1000;
  console.log(
    `${runs.length} concurrent kpatch processes (${FETCH_TAGS.length} fetch, ${BUILD_TAGS.length} build --runner local) on one cache: ${seconds.toFixed(1)} s`,
  );
}, 600_000);

afterAll(() => rmSync(ROOT, { recursive: true, force: true }));

const fetches = () => runs.filter((r) => r.kind === 'fetch');
const builds = () => runs.filter((r) => r.kind === 'build');
const cacheRepo = () =>
  path.join(
    CACHE,
    'repos',
    readdirSync(path.join(CACHE, 'repos')).find((n) => n.endsWith('.git'))!,
  );

describe(`${FETCH_TAGS.length} fetches and ${BUILD_TAGS.length} builds on one cache at once`, () => {
  it('all succeed', () => {
    expect(runs).toHaveLength(FETCH_TAGS.length + BUILD_TAGS.length);
    for (const r of runs) expect(r.result.code, `${r.kind} ${r.tag}: ${r.result.stderr}`).toBe(0);
    expect(markedProcesses(MARK), 'processes left running').toEqual([]);
    // They really overlapped: some waited for the cache lock another held.
    expect(runs.some((r) => /waiting for kpatch \(pid \d+/.test(r.result.stderr))).toBe(true);
  });

  it('the cache verifies and holds exactly the kept trees, no lock and no temporary tree', () => {
    const repo = cacheRepo();
    expect(execFileSync('git', ['fsck', '--no-dangling'], { cwd: repo, encoding: 'utf8', stdio: 'pipe' }).trim()).toBe('');
    expect(readdirSync(path.join(CACHE, 'repos')).filter((n) => n.endsWith('.lock'))).toEqual([]);
    const tags = execFileSync('git', ['tag', '--list'], { cwd: repo, encoding: 'utf8' }).trim().split('\n').sort();
    expect(tags).toEqual(['v1.12.4', 'v1.14.10', 'v1.21.2']);
    const kept = fetches()
      .map((r) => JSON.parse(r.result.stdout).path as string)
      .sort();
    expect(new Set(kept).size, 'every fetch got its own tree').toBe(FETCH_TAGS.length);
    const treesDir = path.dirname(kept[0]);
    expect(
      readdirSync(treesDir)
        .map((n) => path.join(treesDir, n))
        .sort(),
      'no temporary build tree left',
    ).toEqual(kept);
    const listed = execFileSync('git', ['worktree', 'list', '--porcelain'], { cwd: repo, encoding: 'utf8' });
    expect(listed.split('\n').filter((l) => l.startsWith('worktree ')).length).toBe(1 + FETCH_TAGS.length);
  });

  it('every fetched tree is its tag, checked out clean', () => {
    for (const r of fetches()) {
      const j = JSON.parse(r.result.stdout);
      expect(j).toMatchObject({ tag: r.tag, commit: remote.commits[r.tag], kept: true });
      for (const [rel, fixture] of standinFiles(r.tag)) {
        expect(readFileSync(path.join(j.path, rel), 'utf8'), `${r.tag}: ${rel}`).toBe(readFileSync(fixture, 'utf8'));
      }
      expect(execFileSync('git', ['status', '--porcelain'], { cwd: j.path, encoding: 'utf8' })).toBe('');
      expect(execFileSync('git', ['rev-parse', 'HEAD'], { cwd: j.path, encoding: 'utf8' }).trim()).toBe(remote.commits[r.tag]);
    }
  });

  it('every build verifies, reports its version, and leaves kmem off without a limit; equal tags give equal kubelets', () => {
    const hashes = new Map<string, Set<string>>();
    for (const r of builds()) {
      const out = r.out!;
      execFileSync('sha256sum', ['-c', '--quiet', 'SHA256SUMS'], { cwd: out, stdio: 'pipe' });
      const m = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
      expect(m.source).toMatchObject({ tag: r.tag, commit: remote.commits[r.tag] });
      expect(m.artifacts.map((a: { path: string }) => a.path)).toEqual(['linux-amd64/kubelet']);
      const kubelet = path.join(out, 'linux-amd64/kubelet');
      expect(execFileSync(kubelet, ['--version'], { encoding: 'utf8' }).trim()).toBe(`Kubernetes ${m.versionString}`);
      expect(m.versionString).toMatch(new RegExp(`^${r.tag.replace(/\./g, '\\.')}\\+kpatch\\.`));
      const cgroupRoot = mkdtempSync(path.join(ROOT, 'cgroot-'));
      const created = execFileSync(kubelet, ['--cgroup-root', cgroupRoot], { encoding: 'utf8' }).trim();
      expect(existsSync(created)).toBe(true);
      expect(existsSync(path.join(created, 'memory.kmem.limit_in_bytes')), `${r.tag}: kmem switched on for a pod without a limit`).toBe(
        false,
      );
      const set = hashes.get(r.tag) ?? new Set<string>();
      set.add(m.artifacts[0].sha256);
      hashes.set(r.tag, set);
    }
    for (const [tag, set] of hashes) expect(set.size, `${tag}: builds differ`).toBe(1);
  });
});
