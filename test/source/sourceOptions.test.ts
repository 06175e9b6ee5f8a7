/**
 * `--k8s TAG` in place of `--src` for the commands that read a tree: the tree
 * comes from the cache, is removed when the command ends unless `--keep`, and
 * `--src` keeps working as before.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli.js';
import { openSource } from '../../src/source/openSource.js';
import { cacheLayout } from '../../src/source/cacheLayout.js';
import { git, makeRemote, testIo, tmpDir, type TestRemote } from '../helpers/tagCache.js';

describe('--k8s for scan, diff and patch', () => {
  let root: string;
  let remote: TestRemote;
  beforeAll(() => {
    root = tmpDir();
    remote = makeRemote(path.join(root, 'remote'));
  });

  const trees = (cache: string): string[] => {
    const dir = cacheLayout(cache, remote.url).treesDir;
    return existsSync(dir) ? readdirSync(dir) : [];
  };

  it('scan --k8s reads the release from the cache and removes its tree afterwards', async () => {
    const cache = path.join(root, 'c-scan');
    const io = testIo(root);
    const code = await run(['scan', '--json', '--k8s', '1.12.4', '--repo', remote.url, '--cache-dir', cache], io);
    expect(io.err()).not.toContain('error[');
    expect(code).toBe(0);
    const doc = JSON.parse(io.out());
    expect(doc.source).toMatchObject({ tag: 'v1.12.4', commit: remote.commits['v1.12.4'], repo: remote.url });
    expect(trees(cache)).toEqual([]);
    expect(git(cacheLayout(cache, remote.url).repoDir, ['worktree', 'list']).trim().split('\n')).toHaveLength(1);
  });

  it('diff --k8s works the same way', async () => {
    const cache = path.join(root, 'c-diff');
    const io = testIo(root);
    expect(await run(['diff', '--k8s', 'v1.13.0', '--repo', remote.url, '--cache-dir', cache], io)).toBe(0);
    expect(trees(cache)).toEqual([]);
  });

  it('--keep leaves the tree in place', async () => {
    const cache = path.join(root, 'c-keep');
    const io = testIo(root);
    expect(await run(['scan', '--k8s', 'v1.12.4', '--repo', remote.url, '--cache-dir', cache, '--keep'], io)).toBe(0);
    expect(trees(cache)).toHaveLength(1);
    expect(trees(cache)[0]).toMatch(/^v1\.12\.4-[0-9a-f]{8}$/);
    expect(io.err()).toContain(`stays at ${path.join(cacheLayout(cache, remote.url).treesDir, trees(cache)[0])}`);
  });

  it('openSource hands out a SourceTree whose release() removes a temporary tree', async () => {
    const cache = path.join(root, 'c-open');
    const tree = await openSource({ release: { tag: 'v1.12.3', repo: remote.url, cacheDir: cache, keep: false } }, testIo(root));
    expect(tree).toMatchObject({ tag: 'v1.12.3', commit: remote.commits['v1.12.3'], repo: remote.url });
    expect(existsSync(path.join(tree.root, 'VERSION'))).toBe(true);
    await tree.release();
    await tree.release(); // twice is fine
    expect(existsSync(tree.root)).toBe(false);
  });

  it('--src still opens a checkout the user has', async () => {
    const tree = await openSource({ src: remote.work }, testIo(root));
    expect(tree.root).toBe(remote.work);
    expect(tree.tag).toBeUndefined();
  });
});
