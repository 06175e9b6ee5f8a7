/**
 * `kpatch fetch --k8s TAG` end to end, in-process through run(), against real
 * git remotes made by the test: fetch by tag, normalisation, the work tree,
 * the cache served with the remote gone, a new tag after the first, unknown
 * tags, tags that are not commits, missing and unreachable remotes.
 */
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli.js';
import { addRelease, git, gitShim, makeRemote, shimCalls, slowRemoteEnv, testIo, tmpDir, type TestRemote } from '../helpers/tagCache.js';

interface FetchJson {
  tag: string;
  commit: string;
  path: string | null;
  repo: string;
  cached: boolean;
  kept: boolean;
  cacheRepo: string;
}

async function fetchJson(home: string, args: string[], env: Record<string, string> = {}) {
  const io = testIo(home, env);
  const code = await run(['fetch', '--json', ...args], io);
  return { code, json: code === 0 ? (JSON.parse(io.out()) as FetchJson) : undefined, stderr: io.err() };
}

describe('kpatch fetch', () => {
  let root: string;
  let remote: TestRemote;
  beforeAll(() => {
    root = tmpDir();
    remote = makeRemote(path.join(root, 'remote'));
  });

  it('fetches an annotated tag, peels it, and hands out a clean work tree of its commit', async () => {
    const cache = path.join(root, 'c1');
    const { code, json, stderr } = await fetchJson(root, ['--k8s', 'v1.12.4', '--repo', remote.url, '--cache-dir', cache]);
    expect(stderr).not.toContain('error');
    expect(code).toBe(0);
    expect(json).toMatchObject({ tag: 'v1.12.4', commit: remote.commits['v1.12.4'], repo: remote.url, cached: false, kept: true });
    expect(json!.path!.startsWith(cache + path.sep)).toBe(true);
    expect(readFileSync(path.join(json!.path!, 'VERSION'), 'utf8')).toBe('v1.12.4\n');
    expect(git(json!.path!, ['rev-parse', 'HEAD']).trim()).toBe(remote.commits['v1.12.4']);
    expect(git(json!.path!, ['status', '--porcelain'])).toBe('');
    // Kubernetes' version stamping runs `git describe` in the tree: it must name the release.
    expect(git(json!.path!, ['describe', '--tags']).trim()).toBe('v1.12.4');
    // Depth 1: only the tag's commit, none of the history before it, no other release.
    expect(git(json!.cacheRepo, ['rev-list', '--count', '--all']).trim()).toBe('1');
    expect(git(json!.cacheRepo, ['tag', '--list']).trim()).toBe('v1.12.4');
    expect(() => git(json!.cacheRepo, ['cat-file', '-e', remote.commits['v1.12.3']])).toThrow();
  });

  it('normalises 1.13.0 to v1.13.0 and peels a lightweight tag', async () => {
    const { code, json } = await fetchJson(root, ['--k8s', '1.13.0', '--repo', remote.url, '--cache-dir', path.join(root, 'c2')]);
    expect(code).toBe(0);
    expect(json).toMatchObject({ tag: 'v1.13.0', commit: remote.commits['v1.13.0'] });
    expect(readFileSync(path.join(json!.path!, 'VERSION'), 'utf8')).toBe('v1.13.0\n');
  });

  it('peels a tag of a tag, and fetches pre-release tags', async () => {
    const cache = path.join(root, 'c3');
    const a = await fetchJson(root, ['--k8s', 'v1.15.0', '--repo', remote.url, '--cache-dir', cache]);
    expect(a.json).toMatchObject({ tag: 'v1.15.0', commit: remote.commits['v1.15.0'] });
    const b = await fetchJson(root, ['--k8s', 'v1.13.0-rc.1', '--repo', remote.url, '--cache-dir', cache]);
    expect(b.json).toMatchObject({ tag: 'v1.13.0-rc.1', commit: remote.commits['v1.13.0-rc.1'] });
  });

  it('serves a cached tag with the remote renamed away and runs no network git command', async () => {
    const own = makeRemote(path.join(root, 'gone'));
    const cache = path.join(root, 'c4');
    const first = await fetchJson(root, ['--k8s', 'v1.12.4', '--repo', own.url, '--cache-dir', cache]);
    expect(first.json?.cached).toBe(false);
    renameSync(own.bare, own.bare + '.away');
    const shim = gitShim(path.join(root, 'c4-shim'));
    const second = await fetchJson(root, ['--k8s', '1.12.4', '--repo', own.url, '--cache-dir', cache], {
      PATH: `${shim.dir}:${process.env.PATH}`,
    });
    expect(second.stderr).not.toContain('error');
    expect(second.json).toMatchObject({ tag: 'v1.12.4', commit: own.commits['v1.12.4'], cached: true });
    expect(second.json!.path).not.toBe(first.json!.path);
    expect(readFileSync(path.join(second.json!.path!, 'VERSION'), 'utf8')).toBe('v1.12.4\n');
    const calls = shimCalls(shim.log);
    expect(calls.length).toBeGreaterThan(0); // the shim really was the git that ran
    // The subcommand of each call: the first word that is not an option.
    expect(calls.map((c) => c.split(' ').find((w) => !w.startsWith('-')))).toEqual(['for-each-ref', 'worktree', 'reset']); // reset: the checkout, a git of its own (worktrees.ts)
    // And an uncached tag now fails as unreachable, which proves the remote is really gone.
    const third = await fetchJson(root, ['--k8s', 'v1.13.0', '--repo', own.url, '--cache-dir', cache]);
    expect(third.code).toBe(1);
    expect(third.stderr).toContain('error[repo_missing]');
  });

  it('fetches a tag released after the first fetch, and only its own objects', async () => {
    const own = makeRemote(path.join(root, 'growing'));
    const cache = path.join(root, 'c5');
    const first = await fetchJson(root, ['--k8s', 'v1.13.0', '--repo', own.url, '--cache-dir', cache]);
    expect(first.code).toBe(0);
    const commit = addRelease(own, 'v1.16.0');
    const second = await fetchJson(root, ['--k8s', 'v1.16.0', '--repo', own.url, '--cache-dir', cache]);
    expect(second.json).toMatchObject({ tag: 'v1.16.0', commit, cached: false });
    expect(second.json!.cacheRepo).toBe(first.json!.cacheRepo);
    expect(git(second.json!.cacheRepo, ['tag', '--list']).split('\n').filter(Boolean).sort()).toEqual(['v1.13.0', 'v1.16.0']);
    // Two shallow commits, nothing between them.
    expect(git(second.json!.cacheRepo, ['rev-list', '--count', '--all']).trim()).toBe('2');
    expect(git(second.json!.cacheRepo, ['fsck', '--no-dangling']).trim()).toBe('');
  });

  it('lists the closest release tags for an unknown one', async () => {
    const cache = path.join(root, 'c6');
    const io = testIo(root);
    const code = await run(['fetch', '--k8s', 'v1.12.9', '--repo', remote.url, '--cache-dir', cache], io);
    expect(code).toBe(1);
    expect(io.err()).toContain('error[tag_unknown]');
    expect(io.err()).toContain('v1.12.9');
    expect(io.err()).toMatch(/closest release tags: v1\.12\.4, v1\.12\.3, v1\.13\.0, v1\.13\.0-rc\.1/);
    expect(io.out()).toBe('');
    // A first fetch that failed leaves no empty repository behind.
    expect(existsSync(path.join(cache, 'repos')) ? readdirSync(path.join(cache, 'repos')) : []).toEqual([]);
  });

  it.each([
    ['v1.14.0', 'tree'],
    ['v1.14.1', 'blob'],
  ])('says clearly that %s points to a %s, not a commit', async (tag, type) => {
    const io = testIo(root);
    const code = await run(['fetch', '--k8s', tag, '--repo', remote.url, '--cache-dir', path.join(root, 'c7')], io);
    expect(code).toBe(1);
    expect(io.err()).toContain('error[tag_not_commit]');
    expect(io.err()).toContain(`points to a ${type}`);
  });

  it('says the repository is missing when nothing is at the URL', async () => {
    const io = testIo(root);
    const code = await run(['fetch', '--k8s', 'v1.12.4', '--repo', `file://${root}/no-such.git`, '--cache-dir', path.join(root, 'c8')], io);
    expect(code).toBe(1);
    expect(io.err()).toContain('error[repo_missing]');
    expect(io.err()).toContain('no-such.git');
  });

  it('says the repository is unreachable when nothing answers', async () => {
    // A port that was just free: connection refused.
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const io = testIo(root);
    const code = await run(
      ['fetch', '--k8s', 'v1.12.4', '--repo', `http://127.0.0.1:${port}/k.git`, '--cache-dir', path.join(root, 'c9')],
      io,
    );
    expect(code).toBe(1);
    expect(io.err()).toContain('error[repo_unreachable]');
  });

  it('stops a remote that sends nothing after --timeout seconds', async () => {
    const io = testIo(root, slowRemoteEnv(root, { hangSeconds: 8 }));
    const t0 = Date.now();
    const code = await run(
      ['fetch', '--k8s', 'v1.12.4', '--repo', remote.url, '--cache-dir', path.join(root, 'c10'), '--timeout', '1.5'],
      io,
    );
    expect(code).toBe(1);
    expect(io.err()).toContain('error[repo_unreachable]');
    expect(io.err()).toContain('no data from the remote for 1.5 s');
    expect(Date.now() - t0).toBeLessThan(15_000);
  });

  it('says so when the cache folder cannot be used', async () => {
    const file = path.join(root, 'not-a-folder');
    writeFileSync(file, 'x');
    const io = testIo(root);
    expect(await run(['fetch', '--k8s', 'v1.12.4', '--repo', remote.url, '--cache-dir', file], io)).toBe(1);
    expect(io.err()).toContain('error[cache_error]');
    expect(io.err()).toContain(file);
  });

  it('shows git transfer progress on a terminal, and none when stderr is a file or pipe', async () => {
    const tty = testIo(root);
    tty.stderr.isTTY = true;
    expect(await run(['fetch', '--k8s', 'v1.13.0', '--repo', remote.url, '--cache-dir', path.join(root, 'c12')], tty)).toBe(0);
    expect(tty.err()).toMatch(/\rkpatch: {3}receiving 100%/);
    const pipe = testIo(root);
    expect(await run(['fetch', '--k8s', 'v1.13.0', '--repo', remote.url, '--cache-dir', path.join(root, 'c13')], pipe)).toBe(0);
    expect(pipe.err()).not.toContain('\r');
  });

  it('prints the tree path on stdout, and --no-keep only fills the cache', async () => {
    const cache = path.join(root, 'c11');
    const io = testIo(root);
    expect(await run(['fetch', '--k8s', 'v1.12.3', '--repo', remote.url, '--cache-dir', cache, '--no-keep'], io)).toBe(0);
    expect(io.out()).toBe('');
    expect(io.err()).toContain(remote.commits['v1.12.3']);
    const io2 = testIo(root);
    expect(await run(['fetch', '--k8s', 'v1.12.3', '--repo', remote.url, '--cache-dir', cache], io2)).toBe(0);
    const tree = io2.out().trim();
    expect(readFileSync(path.join(tree, 'VERSION'), 'utf8')).toBe('v1.12.3\n');
    expect(io2.err()).toContain('from the cache');
  });
});
