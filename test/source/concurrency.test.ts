/**
 * Several kpatch processes on one cache: the lock serialises them (one fetch,
 * the others served from the cache), stale locks of dead owners are broken,
 * live ones are waited for.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { acquireTree } from '../../src/source/acquireTree.js';
import { cacheLayout } from '../../src/source/cacheLayout.js';
import { acquireLock } from '../../src/source/cacheLock.js';
import { baseEnv, git, makeRemote, slowRemoteEnv, startKpatch, testIo, tmpDir, type TestRemote } from '../helpers/tagCache.js';

describe('two kpatch processes on one cache', () => {
  let root: string;
  let remote: TestRemote;
  beforeAll(() => {
    root = tmpDir();
    // Big enough, and served slowly enough, that the two runs surely overlap.
    remote = makeRemote(path.join(root, 'remote'), { bigFiles: 2, bigFileBytes: 512 * 1024 });
  });

  it('fetch the same tag once and both get a good tree', async () => {
    const cache = path.join(root, 'cache-same');
    const env = { ...baseEnv(root), ...slowRemoteEnv(root, { bytesPerSecond: 1 << 20 }) };
    const args = ['fetch', '--json', '--k8s', 'v1.12.4', '--repo', remote.url, '--cache-dir', cache];
    const [a, b] = await Promise.all([startKpatch(args, env).done, startKpatch(args, env).done]);
    expect(a.stderr + b.stderr).not.toContain('error');
    expect([a.code, b.code]).toEqual([0, 0]);
    const ja = JSON.parse(a.stdout);
    const jb = JSON.parse(b.stdout);
    expect(ja.commit).toBe(remote.commits['v1.12.4']);
    expect(jb.commit).toBe(remote.commits['v1.12.4']);
    expect([ja.cached, jb.cached].sort()).toEqual([false, true]); // one fetched, the other waited and reused it
    expect(a.stderr + b.stderr).toMatch(/waiting for kpatch \(pid \d+/);
    expect(ja.path).not.toBe(jb.path);
    for (const j of [ja, jb]) expect(git(j.path, ['status', '--porcelain'])).toBe('');
    expect(git(ja.cacheRepo, ['fsck', '--no-dangling']).trim()).toBe('');
    expect(existsSync(cacheLayout(cache, remote.url).lockPath)).toBe(false);
  });

  it('fetch two different tags at once', async () => {
    const cache = path.join(root, 'cache-two');
    const env = baseEnv(root);
    const [a, b] = await Promise.all(
      ['v1.12.4', 'v1.13.0'].map((t) => startKpatch(['fetch', '--json', '--k8s', t, '--repo', remote.url, '--cache-dir', cache], env).done),
    );
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(JSON.parse(a.stdout).commit).toBe(remote.commits['v1.12.4']);
    expect(JSON.parse(b.stdout).commit).toBe(remote.commits['v1.13.0']);
    expect(git(JSON.parse(a.stdout).cacheRepo, ['fsck', '--no-dangling']).trim()).toBe('');
  });

  it('many calls in one process share the cache the same way', async () => {
    const cache = path.join(root, 'cache-lib');
    const trees = await Promise.all(
      [0, 1, 2, 3].map(() => acquireTree({ tag: '1.13.0-rc.1', repo: remote.url, cacheDir: cache }, testIo(root))),
    );
    expect(trees.filter((t) => !t.cached)).toHaveLength(1);
    expect(new Set(trees.map((t) => t.root)).size).toBe(4);
    for (const t of trees) expect(t.commit).toBe(remote.commits['v1.13.0-rc.1']);
    await Promise.all(trees.map((t) => t.release()));
    for (const t of trees) expect(existsSync(t.root)).toBe(false);
    expect(git(trees[0].cacheRepo, ['worktree', 'list']).trim().split('\n')).toHaveLength(1);
  });
});

describe('the cache lock', () => {
  let dir: string;
  beforeAll(() => {
    dir = tmpDir();
  });
  const deadPid = (): number => {
    const r = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    return Number(r.stdout.trim());
  };
  const writeLock = (p: string, owner: object, ageMs = 0) => {
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, JSON.stringify(owner) + '\n');
    const t = new Date(Date.now() - ageMs);
    utimesSync(p, t, t);
  };

  it('breaks the lock of a dead process on this host and says so', async () => {
    const p = path.join(dir, 'dead.lock');
    writeLock(p, { pid: deadPid(), host: os.hostname(), nonce: 'x', since: '' });
    const lock = await acquireLock(p, { pollMs: 10 });
    expect(lock.brokeStale).toBe(true);
    await lock.release();
    expect(existsSync(p)).toBe(false);
  });

  it('breaks a lock nobody has touched for staleMs (an owner on another host, or a reused pid)', async () => {
    const p = path.join(dir, 'old.lock');
    writeLock(p, { pid: process.pid, host: 'elsewhere', nonce: 'x', since: '' }, 10_000);
    const lock = await acquireLock(p, { staleMs: 5_000, pollMs: 10 });
    expect(lock.brokeStale).toBe(true);
    await lock.release();
  });

  it('waits for a live owner, then takes over', async () => {
    const p = path.join(dir, 'live.lock');
    const first = await acquireLock(p);
    let waitedFor = 0;
    let got = false;
    const second = acquireLock(p, { pollMs: 10, onWait: (o) => (waitedFor = o.pid) }).then((l) => {
      got = true;
      return l;
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(got).toBe(false);
    expect(waitedFor).toBe(process.pid);
    await first.release();
    const l2 = await second;
    expect(l2.brokeStale).toBe(false);
    await l2.release();
  });

  it('stops waiting on Ctrl-C', async () => {
    const p = path.join(dir, 'abort.lock');
    const first = await acquireLock(p);
    const ac = new AbortController();
    const waiting = acquireLock(p, { pollMs: 10, signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await expect(waiting).rejects.toMatchObject({ id: 'interrupted' });
    await first.release();
  });
});
