/**
 * Where the tag cache lives on disk and how a remote URL maps to its folder.
 *
 *     <cache dir>/
 *       repos/<slug>-<hash>.git    one bare repository per remote URL
 *       repos/<slug>-<hash>.lock   lock file of that repository (pid, host)
 *       trees/<slug>-<hash>/       work trees handed out from it
 *         v1.12.4-<random>/                  kept (`kpatch fetch`, --keep)
 *         v1.12.4.tmp.<host>.<pid>.<random>/ temporary, removed when the command ends
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { fail } from '../errors.js';
export { makeDirs } from '../safeFiles.js';
import type { Io } from '../io.js';

/** The upstream repository, used when --repo is not given. */
export const DEFAULT_REPO = 'https://github.com/kubernetes/kubernetes.git';
/** runc's upstream repository, used for `--runc TAG` when --repo is not given. */
export const DEFAULT_RUNC_REPO = 'https://github.com/opencontainers/runc.git';

/** Paths of one remote's cache entry. */
export interface CacheLayout {
  /** The cache root (--cache-dir). */
  cacheDir: string;
  /** Readable, unique folder name for the remote: `<slug>-<hash>`. */
  key: string;
  /** The bare repository. */
  repoDir: string;
  /** Its lock file. */
  lockPath: string;
  /** Folder that holds its work trees. */
  treesDir: string;
}

/**
 * The cache root: --cache-dir, else $KPATCH_CACHE_DIR, else
 * $XDG_CACHE_HOME/kpatch, else ~/.cache/kpatch (XDG base directory spec).
 * Relative values are taken from the caller's working folder.
 */
export function resolveCacheDir(flag: string | undefined, io: Io): string {
  const env = io.env;
  const pick = (v: string | undefined): string | undefined => (v && v.trim() !== '' ? v : undefined);
  const chosen =
    pick(flag) ??
    pick(env.KPATCH_CACHE_DIR) ??
    (pick(env.XDG_CACHE_HOME) ? path.join(env.XDG_CACHE_HOME as string, 'kpatch') : undefined) ??
    (pick(env.HOME) ? path.join(env.HOME as string, '.cache', 'kpatch') : undefined);
  if (!chosen) {
    fail('usage', {
      where: '--cache-dir',
      detail: 'no cache folder: HOME, XDG_CACHE_HOME and KPATCH_CACHE_DIR are all unset',
      hint: 'pass --cache-dir DIR or set KPATCH_CACHE_DIR',
    });
  }
  return path.resolve(io.cwd, chosen);
}

/**
 * Turns the --repo value into the URL git is given. A local path becomes a
 * `file://` URL so git uses its pack protocol (and honours --depth) rather
 * than the local-clone shortcut. Values git could read as an option, or that
 * carry control characters, are usage errors.
 */
export function normaliseRepoUrl(input: string, io: Io): string {
  const value = input.trim();
  if (value === '' || value.startsWith('-') || /[\u0000-\u001f\u007f]/.test(value)) {
    fail('usage', {
      where: `--repo ${JSON.stringify(input)}`,
      detail: 'not a repository URL',
      hint: 'give a git URL (https://..., ssh://..., git@host:path, file:///path) or a local path',
    });
  }
  const looksLikeUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) || /^[^/\s]+@[^/\s]+:/.test(value);
  const looksLikePath =
    value.startsWith('/') ||
    value.startsWith('./') ||
    value.startsWith('../') ||
    value.startsWith('~/') ||
    (!looksLikeUrl && existsSync(path.resolve(io.cwd, value)));
  if (looksLikePath) {
    const expanded = value.startsWith('~/') && io.env.HOME ? path.join(io.env.HOME, value.slice(2)) : value;
    return pathToFileURL(path.resolve(io.cwd, expanded)).href;
  }
  return value;
}

/** The URL without a password or token, for messages, JSON output and the cache's own config. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/@]*)@/i, (_m, scheme: string, userinfo: string) => {
    const user = userinfo.split(':')[0];
    if (userinfo.includes(':')) return `${scheme}${user}:***@`;
    // Over http(s) a lone user name is usually an access token (https://<token>@github.com/...).
    return /^https?:/i.test(scheme) ? `${scheme}***@` : `${scheme}${user}@`;
  });
}

/**
 * The cache folder name of a remote. Two spellings of one repository
 * (`.../kubernetes`, `.../kubernetes.git/`) share an entry; the hash keeps
 * different URLs with the same readable slug apart.
 */
export function cacheKey(url: string): string {
  // Credentials are not part of a repository's identity (and must not shape a folder name).
  const canonical = url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1')
    .replace(/\/+$/, '')
    .replace(/\.git$/, '');
  const hash = createHash('sha256').update(canonical).digest('hex').slice(0, 10);
  const withoutScheme = canonical.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/^[^/@]*@/, '');
  const parts = withoutScheme.split(/[/:]+/).filter(Boolean);
  // Host and the last two path parts are what people recognise:
  // github.com-kubernetes-kubernetes.
  const readable = [parts[0], ...parts.slice(1).slice(-2)].filter(Boolean).join('-');
  const slug = readable
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 48);
  return `${slug || 'repo'}-${hash}`;
}

/** The paths of `url`'s entry in the cache at `cacheDir`. */
export function cacheLayout(cacheDir: string, url: string): CacheLayout {
  const key = cacheKey(url);
  return {
    cacheDir,
    key,
    repoDir: path.join(cacheDir, 'repos', `${key}.git`),
    lockPath: path.join(cacheDir, 'repos', `${key}.lock`),
    treesDir: path.join(cacheDir, 'trees', key),
  };
}

/** A short, file-name-safe tag for this host, so temporary trees of other hosts sharing the cache are left alone. */
export function hostTag(): string {
  return createHash('sha256').update(os.hostname()).digest('hex').slice(0, 6);
}
