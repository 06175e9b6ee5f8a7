/**
 * Every kind of bad tag is a usage error (exit 2) that names the value, starts
 * no process and creates no file. The proof: the only `git` on PATH is a shim
 * that records each call, and the cache folder, home and working folder are
 * compared before and after.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli.js';
import { gitShim, listTree, shimCalls, startKpatch, testIo, tmpDir } from '../helpers/tagCache.js';

const BAD_TAGS = [
  'v1.12.4 ', // trailing space
  'v1.12 .4',
  'v1.12.4;touch pwned', // shell characters
  '$(touch pwned)',
  '`touch pwned`',
  'v1.12.4|id',
  'v1.12.4&&id',
  'HEAD~1', // revisions
  'HEAD',
  'v1.12.4^{tree}',
  'v1.12.4:VERSION',
  'main',
  '--upload-pack=touch pwned', // options
  '-v1.12.4',
  '../../etc/passwd', // paths
  '/tmp/x',
  'refs/tags/v1.12.4',
  'v1.12', // near misses
  'v1.12.4-rc1',
  'v1.12.4\nv1.12.5',
  '',
];

describe('bad tags', () => {
  let root: string;
  let shim: { dir: string; log: string };
  beforeAll(() => {
    root = tmpDir();
    // A git that records the call and fails: any process start is caught.
    shim = gitShim(root, true);
  });

  it.each(BAD_TAGS.map((t) => [JSON.stringify(t), t]))('fetch --k8s %s: exit 2, no git, no file', async (_label, tag) => {
    const home = tmpDir('kpatch-home-');
    const cache = path.join(home, 'cache');
    const before = listTree(home);
    const io = testIo(home, { PATH: `${shim.dir}:/usr/bin:/bin`, KPATCH_CACHE_DIR: cache });
    // `--k8s=VALUE` so yargs hands over values that look like flags unchanged.
    const code = await run(['fetch', `--k8s=${tag}`, '--repo', 'file:///nonexistent/k.git'], io);
    expect(code).toBe(2);
    expect(io.err()).toContain('error[tag_invalid]');
    expect(io.err()).toContain(JSON.stringify(tag));
    expect(shimCalls(shim.log)).toEqual([]);
    expect(listTree(home)).toEqual(before);
  });

  it('control: a good tag does reach the shim, so the check above would see a started git', async () => {
    const home = tmpDir('kpatch-home-');
    const own = gitShim(home, true);
    const io = testIo(home, { PATH: `${own.dir}:/usr/bin:/bin`, KPATCH_CACHE_DIR: path.join(home, 'cache') });
    expect(await run(['fetch', '--k8s=1.12.4', '--repo', 'file:///nonexistent/k.git'], io)).toBe(1);
    expect(shimCalls(own.log).length).toBeGreaterThan(0);
  });

  it.each([['scan'], ['diff']])('%s --k8s checks the tag the same way', async (cmd) => {
    const home = tmpDir('kpatch-home-');
    const io = testIo(home, { PATH: `${shim.dir}:/usr/bin:/bin`, KPATCH_CACHE_DIR: path.join(home, 'cache') });
    expect(await run([cmd, '--k8s=HEAD~1'], io)).toBe(2);
    expect(io.err()).toContain('error[tag_invalid]');
    expect(shimCalls(shim.log)).toEqual([]);
    expect(listTree(home)).toEqual([]);
  });

  it('the installed executable behaves the same (no git, no file, exit 2)', async () => {
    const home = tmpDir('kpatch-home-');
    const env = { PATH: `${shim.dir}:/usr/bin:/bin`, HOME: home, KPATCH_CACHE_DIR: path.join(home, 'cache') };
    for (const tag of ['--upload-pack=touch pwned', '$(touch pwned)', 'HEAD~1']) {
      const r = await startKpatch(['fetch', `--k8s=${tag}`], env).done;
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('error[tag_invalid]');
    }
    expect(shimCalls(shim.log)).toEqual([]);
    expect(listTree(home)).toEqual([]);
  });
});

describe('source flag combinations', () => {
  it.each([
    [['scan', '--src', '.', '--k8s', 'v1.12.4'], '--src and --k8s'],
    [['scan', '--repo', 'file:///x'], 'say which tree'],
    [['scan', '--src', '.', '--repo', 'file:///x'], '--repo'],
    [['scan', '--src', '.', '--keep'], '--keep'],
    [['fetch'], '--k8s TAG'],
    [['fetch', '--k8s', 'v1.12.4', '--timeout', '0'], '--timeout'],
    [['fetch', '--k8s', 'v1.12.4', '--timeout', 'soon'], '--timeout'],
    [['fetch', '--k8s', 'v1.12.4', '--repo=--upload-pack=touch pwned'], '--repo'],
  ])('%j is a usage error', async (argv, text) => {
    const home = tmpDir('kpatch-home-');
    const shim = gitShim(home, true);
    const io = testIo(home, { PATH: `${shim.dir}:/usr/bin:/bin`, KPATCH_CACHE_DIR: path.join(home, 'cache') });
    expect(await run(argv, io)).toBe(2);
    expect(io.err()).toContain(text);
    expect(shimCalls(shim.log)).toEqual([]);
    expect(listTree(home).filter((f) => !f.startsWith('shim-bin'))).toEqual([]);
  });
});
