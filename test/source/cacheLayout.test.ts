/** Where the cache lives, how remotes map to folders, and how --repo values are read. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureIo } from '../../src/io.js';
import { KpatchError } from '../../src/errors.js';
import { cacheKey, cacheLayout, normaliseRepoUrl, redactUrl, resolveCacheDir } from '../../src/source/cacheLayout.js';

const io = (env: Record<string, string>, cwd = '/work/here') => captureIo({ env, cwd });

describe('resolveCacheDir', () => {
  const env = { KPATCH_CACHE_DIR: '/k', XDG_CACHE_HOME: '/xdg', HOME: '/home/u' };
  it('prefers --cache-dir, then KPATCH_CACHE_DIR, then XDG_CACHE_HOME/kpatch, then ~/.cache/kpatch', () => {
    expect(resolveCacheDir('/flag', io(env))).toBe('/flag');
    expect(resolveCacheDir(undefined, io(env))).toBe('/k');
    expect(resolveCacheDir(undefined, io({ XDG_CACHE_HOME: '/xdg', HOME: '/home/u' }))).toBe('/xdg/kpatch');
    expect(resolveCacheDir(undefined, io({ HOME: '/home/u' }))).toBe('/home/u/.cache/kpatch');
  });
  it('resolves relative paths against io.cwd, never process.cwd()', () => {
    expect(resolveCacheDir('rel/c', io({}, '/some/where'))).toBe('/some/where/rel/c');
  });
  it('is a usage error when nothing says where', () => {
    expect(() => resolveCacheDir(undefined, io({}))).toThrow(KpatchError);
  });
});

describe('cacheKey', () => {
  it('is readable and tells remotes apart', () => {
    expect(cacheKey('https://github.com/kubernetes/kubernetes.git')).toMatch(/^github\.com-kubernetes-kubernetes-[0-9a-f]{10}$/);
    expect(cacheKey('https://mirror.corp/kubernetes/kubernetes.git')).not.toBe(cacheKey('https://github.com/kubernetes/kubernetes.git'));
  });
  it('gives one entry to spellings of the same URL', () => {
    const k = cacheKey('https://github.com/kubernetes/kubernetes.git');
    expect(cacheKey('https://github.com/kubernetes/kubernetes')).toBe(k);
    expect(cacheKey('https://github.com/kubernetes/kubernetes/')).toBe(k);
    expect(cacheKey('https://bob:token@github.com/kubernetes/kubernetes.git')).toBe(k);
  });
  it('never puts credentials or odd characters in a folder name', () => {
    const k = cacheKey('https://bob:s3cret@git.corp/a b/k8s.git');
    expect(k).not.toContain('s3cret');
    expect(k).toMatch(/^[a-z0-9._-]+$/);
  });
  it('lays the entry out under repos/ and trees/', () => {
    const l = cacheLayout('/c', 'file:///srv/k8s.git');
    expect(path.dirname(l.repoDir)).toBe('/c/repos');
    expect(l.repoDir.endsWith('.git')).toBe(true);
    expect(l.lockPath).toBe(l.repoDir.replace(/\.git$/, '.lock'));
    expect(path.dirname(l.treesDir)).toBe('/c/trees');
  });
});

describe('normaliseRepoUrl and redactUrl', () => {
  it('turns local paths into file:// URLs so git uses its pack protocol', () => {
    expect(normaliseRepoUrl('/srv/k8s.git', io({}))).toBe('file:///srv/k8s.git');
    expect(normaliseRepoUrl('./k8s.git', io({}, '/srv'))).toBe('file:///srv/k8s.git');
  });
  it('leaves URLs alone', () => {
    for (const u of [
      'https://github.com/kubernetes/kubernetes.git',
      'ssh://git@host/k.git',
      'git@github.com:kubernetes/kubernetes.git',
      'file:///x',
    ]) {
      expect(normaliseRepoUrl(u, io({}))).toBe(u);
    }
  });
  it('refuses values git would read as an option', () => {
    for (const bad of ['--upload-pack=touch /tmp/x', '-u', '', 'a\nb']) {
      expect(() => normaliseRepoUrl(bad, io({}))).toThrow(KpatchError);
    }
  });
  it('hides passwords and tokens', () => {
    expect(redactUrl('https://bob:s3cret@git.corp/k.git')).toBe('https://bob:***@git.corp/k.git');
    expect(redactUrl('https://ghp_token@git.corp/k.git')).toBe('https://***@git.corp/k.git');
    expect(redactUrl('ssh://git@host/k.git')).toBe('ssh://git@host/k.git');
    expect(redactUrl('file:///x')).toBe('file:///x');
  });
});
