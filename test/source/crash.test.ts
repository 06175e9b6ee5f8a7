/**
 * Faults: a fetch killed mid-transfer (SIGKILL of kpatch alone, and of its
 * whole process group with git in it), Ctrl-C, and a process killed while it
 * held a temporary work tree. Each is followed by a good run on the same cache.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli.js';
import { cacheLayout } from '../../src/source/cacheLayout.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { baseEnv, git, makeRemote, slowRemoteEnv, startKpatch, testIo, tmpDir, waitFor, type TestRemote } from '../helpers/tagCache.js';

/** Bytes of the partial packs git is writing into the cache repository right now. */
function partialPackBytes(repoDir: string): number {
  const dir = path.join(repoDir, 'objects', 'pack');
  if (!existsSync(dir)) return 0;
  return readdirSync(dir)
    .filter((f) => f.startsWith('tmp_pack_'))
    .reduce((n, f) => n + (existsSync(path.join(dir, f)) ? statSync(path.join(dir, f)).size : 0), 0);
}

describe('a fetch killed mid-way', () => {
  let root: string;
  let remote: TestRemote;
  beforeAll(() => {
    root = tmpDir();
    // About 12 MB of incompressible files in the v1.12.4 tree.
    remote = makeRemote(path.join(root, 'remote'), { bigFiles: 6, bigFileBytes: 1 << 20 });
  });

  async function goodFetchAfter(cache: string): Promise<void> {
    const layout = cacheLayout(cache, remote.url);
    const r = await startKpatch(['fetch', '--json', '--k8s', 'v1.12.4', '--repo', remote.url, '--cache-dir', cache], baseEnv(root)).done;
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.commit).toBe(remote.commits['v1.12.4']);
    expect(readFileSync(path.join(j.path, 'VERSION'), 'utf8')).toBe('v1.12.4\n');
    expect(git(j.path, ['status', '--porcelain'])).toBe('');
    expect(git(layout.repoDir, ['fsck', '--no-dangling']).trim()).toBe('');
    // What the dead process left (lock, partial pack, git's own lock files) is gone.
    expect(existsSync(layout.lockPath)).toBe(false);
    expect(partialPackBytes(layout.repoDir)).toBe(0);
    expect(readdirSync(layout.repoDir).filter((f) => f.endsWith('.lock'))).toEqual([]);
  }

  it.each([
    ['kpatch alone (git lives on, orphaned)', false],
    ['kpatch and its git children (process group)', true],
  ])('SIGKILL of %s, then a good fetch', async (_label, group) => {
    const cache = path.join(root, `cache-kill-${group ? 'group' : 'alone'}`);
    const layout = cacheLayout(cache, remote.url);
    const env = { ...baseEnv(root), ...slowRemoteEnv(root, { bytesPerSecond: 1 << 20 }) };
    const { child, done } = startKpatch(['fetch', '--k8s', 'v1.12.4', '--repo', remote.url, '--cache-dir', cache], env, {
      detached: group,
    });
    await waitFor(() => partialPackBytes(layout.repoDir) > 100_000, 30_000, 'the transfer to start');
    if (group) process.kill(-child.pid!, 'SIGKILL');
    else child.kill('SIGKILL');
    const r = await done;
    expect(r.signal).toBe('SIGKILL');
    expect(existsSync(layout.lockPath)).toBe(true); // it really died holding the lock
    expect(git(layout.repoDir, ['tag', '--list']).trim()).toBe(''); // and the tag never arrived
    await goodFetchAfter(cache);
  });

  it('Ctrl-C stops git, removes the partial work, exits 130, and the next fetch works', async () => {
    const cache = path.join(root, 'cache-ctrl-c');
    const layout = cacheLayout(cache, remote.url);
    const ac = new AbortController();
    const io = testIo(root, slowRemoteEnv(root, { bytesPerSecond: 1 << 20 }), ac.signal);
    const running = run(['fetch', '--k8s', 'v1.12.4', '--repo', remote.url, '--cache-dir', cache], io);
    await waitFor(() => partialPackBytes(layout.repoDir) > 100_000, 30_000, 'the transfer to start');
    ac.abort();
    expect(await running).toBe(130);
    expect(io.err()).toContain('error[interrupted]');
    expect(io.out()).toBe('');
    expect(existsSync(layout.lockPath)).toBe(false);
    expect(existsSync(layout.treesDir) ? readdirSync(layout.treesDir) : []).toEqual([]);
    await goodFetchAfter(cache);
  });

  it('Ctrl-C on a terminal (SIGINT to kpatch and git alike) exits 130 and leaves a usable cache', async () => {
    const cache = path.join(root, 'cache-sigint');
    const layout = cacheLayout(cache, remote.url);
    const env = { ...baseEnv(root), ...slowRemoteEnv(root, { bytesPerSecond: 1 << 20 }) };
    const { child, done } = startKpatch(['fetch', '--k8s', 'v1.12.4', '--repo', remote.url, '--cache-dir', cache], env, { detached: true });
    await waitFor(() => partialPackBytes(layout.repoDir) > 100_000, 30_000, 'the transfer to start');
    process.kill(-child.pid!, 'SIGINT');
    const r = await done;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('error[interrupted]');
    expect(r.stdout).toBe('');
    expect(existsSync(layout.lockPath)).toBe(false);
    expect(existsSync(layout.treesDir) ? readdirSync(layout.treesDir) : []).toEqual([]);
    await goodFetchAfter(cache);
  });

  it('a temporary work tree of a killed process is swept by the next run; kept trees stay', async () => {
    const cache = path.join(root, 'cache-sweep');
    const layout = cacheLayout(cache, remote.url);
    const keep = await startKpatch(['fetch', '--json', '--k8s', 'v1.13.0', '--repo', remote.url, '--cache-dir', cache], baseEnv(root)).done;
    const kept = JSON.parse(keep.stdout).path as string;
    // A process that takes a temporary tree (as scan --k8s does) and is killed before releasing it.
    const lib = path.join(REPO_ROOT, 'dist/src/source/acquireTree.js');
    const script = `
      import { acquireTree } from ${JSON.stringify(lib)};
      const io = { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
      const t = await acquireTree({ tag: 'v1.13.0', repo: ${JSON.stringify(remote.url)}, cacheDir: ${JSON.stringify(cache)} }, io);
      console.log(t.root);
      setInterval(() => {}, 1000);`;
    const holder = spawn(process.execPath, ['--input-type=module', '-e', script], { env: baseEnv(root), stdio: 'ignore' });
    const pid = holder.pid!;
    await waitFor(
      () => existsSync(layout.treesDir) && readdirSync(layout.treesDir).some((n) => n.includes(`.tmp.`) && n.includes(`.${pid}.`)),
      30_000,
      'the temporary tree',
    );
    await waitFor(() => !existsSync(layout.lockPath), 30_000, 'the holder to release the lock');
    const orphan = readdirSync(layout.treesDir).find((n) => n.includes(`.${pid}.`))!;
    process.kill(pid, 'SIGKILL');
    await waitFor(() => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });
    const io = testIo(root);
    expect(await run(['fetch', '--k8s', 'v1.13.0', '--repo', remote.url, '--cache-dir', cache, '--no-keep'], io)).toBe(0);
    expect(existsSync(path.join(layout.treesDir, orphan))).toBe(false);
    expect(existsSync(kept)).toBe(true);
    const listed = git(layout.repoDir, ['worktree', 'list', '--porcelain']);
    expect(listed).toContain(kept);
    expect(listed).not.toContain(orphan);
  });
});
