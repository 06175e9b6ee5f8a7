/**
 * The bare cache repository of one remote: created atomically, asked which tags
 * it already holds (locally, no network), given one more tag with a depth-1
 * fetch, and cleaned up after a kpatch process that died holding it.
 *
 * Callers hold the cache lock (cacheLock.ts) around everything here but
 * `lookupCachedTag`, which only reads.
 */
import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, readdir, readFile, readlink, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fail, KpatchError, type ErrorContext, type ErrorId } from '../errors.js';
import type { Io } from '../io.js';
import type { CacheLayout } from './cacheLayout.js';
import { makeDirs, redactUrl } from './cacheLayout.js';
import { GitFailure, runGit } from './runGit.js';

/** What the cache knows about a tag. */
export type CachedTag = { state: 'missing' } | { state: 'commit'; commit: string } | { state: 'not-commit'; type: string; object: string };

/** Network settings for fetch and ls-remote. */
export interface NetworkOptions {
  /** Give up when the remote sends nothing for this many seconds. */
  timeoutSeconds: number;
  /** Receives git's transfer progress (stage, percent). */
  onProgress?: (stage: string, percent: number) => void;
}

/** True when the cache repository of `layout` exists. */
export async function cacheRepoExists(layout: CacheLayout): Promise<boolean> {
  try {
    return (await stat(path.join(layout.repoDir, 'HEAD'))).isFile();
  } catch {
    return false;
  }
}

/**
 * Creates the bare repository if needed. It is built under a temporary name
 * and renamed into place, so a process killed half-way never leaves a
 * repository that looks complete but is not.
 */
export async function ensureCacheRepo(layout: CacheLayout, url: string, io: Io): Promise<boolean> {
  if (await cacheRepoExists(layout)) return false;
  await makeDirs(path.dirname(layout.repoDir));
  const tmp = `${layout.repoDir}.init-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await mkdir(tmp);
    // An empty template: no sample hooks, so nothing in the cache can run code.
    await runGit(['init', '--quiet', '--bare', '--template='], { cwd: tmp, io });
    await appendFile(
      path.join(tmp, 'config'),
      [
        // Never repack or gc behind our back: other processes read this repository.
        '[gc]',
        '\tauto = 0',
        '[maintenance]',
        '\tauto = false',
        // Keep every fetched pack as a pack; loose objects take more room (issue 3, bytes target).
        '[fetch]',
        '\tunpackLimit = 1',
        '\twriteCommitGraph = false',
        '[core]',
        '\tlogAllRefUpdates = false',
        '[kpatch]',
        `\tremote = ${JSON.stringify(redactUrl(url))}`,
        '',
      ].join('\n'),
    );
    await rename(tmp, layout.repoDir);
    return true;
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    if (e instanceof GitFailure) throw gitError(e, url);
    fail('cache_error', { where: layout.repoDir, detail: String((e as Error).message) });
  }
}

/**
 * Deletes a cache repository that holds no tag and no work tree: the trace of
 * a first fetch that failed (wrong URL, unknown tag), not worth keeping.
 */
export async function dropIfEmpty(layout: CacheLayout): Promise<void> {
  const hasEntries = async (dir: string): Promise<boolean> =>
    (await readdir(dir, { recursive: true }).catch(() => [] as string[])).length > 0;
  if (await hasEntries(path.join(layout.repoDir, 'worktrees'))) return;
  const refs = await readdir(path.join(layout.repoDir, 'refs', 'tags')).catch(() => [] as string[]);
  const packed = await stat(path.join(layout.repoDir, 'packed-refs')).then(
    () => true,
    () => false,
  );
  if (refs.length === 0 && !packed) await rm(layout.repoDir, { recursive: true, force: true });
}

/** Looks `tag` up in the cache without touching the network. */
export async function lookupCachedTag(layout: CacheLayout, tag: string, io: Io): Promise<CachedTag> {
  if (!(await cacheRepoExists(layout))) return { state: 'missing' };
  const ref = `refs/tags/${tag}`;
  let out: string;
  try {
    out = await runGit(['for-each-ref', '--format=%(refname)%00%(objectname)%00%(objecttype)%00%(*objectname)%00%(*objecttype)', ref], {
      cwd: layout.repoDir,
      io,
    });
  } catch (e) {
    throw e instanceof GitFailure ? gitError(e) : e;
  }
  const line = out.split('\n').find((l) => l.startsWith(`${ref}\0`));
  if (!line) return { state: 'missing' };
  const [, object, type, peeled, peeledType] = line.split('\0');
  if (type === 'commit') return { state: 'commit', commit: object };
  if (type !== 'tag') return { state: 'not-commit', type, object };
  if (peeledType === 'commit') return { state: 'commit', commit: peeled };
  if (peeledType !== 'tag') return { state: 'not-commit', type: peeledType, object: peeled };
  // A tag of a tag: let git peel all the way.
  try {
    const commit = (await runGit(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd: layout.repoDir, io })).trim();
    return { state: 'commit', commit };
  } catch {
    const deep = (await runGit(['rev-parse', '--verify', `${ref}^{}`], { cwd: layout.repoDir, io })).trim();
    const deepType = (await runGit(['cat-file', '-t', deep], { cwd: layout.repoDir, io })).trim();
    return { state: 'not-commit', type: deepType, object: deep };
  }
}

/**
 * Fetches exactly `refs/tags/<tag>` with depth 1. Refs are updated only after
 * the objects are in place, so an interrupted fetch leaves the tag absent, not
 * broken. Returns 'no-such-tag' when the remote has no such tag.
 */
export async function fetchTag(
  layout: CacheLayout,
  url: string,
  tag: string,
  net: NetworkOptions,
  io: Io,
): Promise<'fetched' | 'no-such-tag'> {
  const ref = `refs/tags/${tag}`;
  try {
    await runGit(
      [
        // Slow-link guard for http(s); the stall timer below covers every transport.
        '-c',
        'http.lowSpeedLimit=1000',
        '-c',
        `http.lowSpeedTime=${Math.max(1, Math.round(net.timeoutSeconds))}`,
        'fetch',
        '--depth=1',
        '--no-tags',
        '--no-write-fetch-head',
        '--progress',
        '--',
        url,
        `+${ref}:${ref}`,
      ],
      { cwd: layout.repoDir, io, stallMs: net.timeoutSeconds * 1000, onProgress: net.onProgress },
    );
    return 'fetched';
  } catch (e) {
    if (e instanceof GitFailure && e.kind === 'exit' && /couldn't find remote ref/i.test(e.stderr)) return 'no-such-tag';
    await stopStrayGit(e, layout, io);
    throw e instanceof GitFailure ? gitError(e, url, net) : e;
  }
}

/** The tag names a remote has (`git ls-remote --tags`, one round trip). */
export async function listRemoteTags(layout: CacheLayout, url: string, net: NetworkOptions, io: Io): Promise<string[]> {
  try {
    const out = await runGit(['ls-remote', '--tags', '--refs', '--', url], {
      cwd: layout.repoDir,
      io,
      stallMs: net.timeoutSeconds * 1000,
    });
    return out
      .split('\n')
      .map((l) => /\trefs\/tags\/(.+)$/.exec(l)?.[1])
      .filter((t): t is string => t !== undefined);
  } catch (e) {
    await stopStrayGit(e, layout, io);
    throw e instanceof GitFailure ? gitError(e, url, net) : e;
  }
}

/**
 * Cleans up after a kpatch process that died holding the lock (SIGKILL, power
 * loss): waits for git processes it left running in the repository, then
 * removes the lock and temporary files they would have removed themselves.
 * Only called while holding the cache lock, so nothing else is writing.
 */
export async function recoverAfterCrash(layout: CacheLayout, io: Io): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && (await processesWorkingIn(layout.repoDir)).length > 0) {
    if (io.signal?.aborted) fail('interrupted', { where: 'waiting for an earlier git process to end' });
    await new Promise((r) => setTimeout(r, 100));
  }
  const repo = layout.repoDir;
  const junk = ['shallow.lock', 'packed-refs.lock', 'config.lock', 'HEAD.lock', 'FETCH_HEAD.lock'].map((f) => path.join(repo, f));
  junk.push(...(await findFiles(path.join(repo, 'refs'), (n) => n.endsWith('.lock'))));
  junk.push(...(await findFiles(path.join(repo, 'objects', 'pack'), (n) => n.startsWith('tmp_'))));
  await Promise.all(junk.map((f) => rm(f, { force: true })));
}

/**
 * After git was stopped (Ctrl-C, or the stall timeout), the transport helper
 * it started (`git-remote-http` blocked on a server that never answers) can
 * outlive it: git does not always take it down, and it would hang on for as
 * long as the server keeps the connection. Gives git a moment to finish on
 * its own, then kills the git processes still working in the cache
 * repository (the caller holds the lock, so they are this process's) and
 * clears the lock and temporary files a killed git leaves, as after a crash.
 */
async function stopStrayGit(e: unknown, layout: CacheLayout, io: Io): Promise<void> {
  if (!(e instanceof GitFailure) || (e.kind !== 'abort' && e.kind !== 'timeout')) return;
  const deadline = Date.now() + 1000;
  let left = await processesWorkingIn(layout.repoDir);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    left = await processesWorkingIn(layout.repoDir);
  }
  if (left.length === 0) return;
  for (const pid of left) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  await recoverAfterCrash(layout, { ...io, signal: undefined });
}

/**
 * Pids of git processes whose working folder is `dir` or inside it: children
 * a killed kpatch left behind. Linux only (reads /proc); elsewhere returns none.
 */
export async function processesWorkingIn(dir: string): Promise<number[]> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return [];
  }
  const found: number[] = [];
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e) && Number(e) !== process.pid)
      .map(async (e) => {
        try {
          const cwd = await readlink(`/proc/${e}/cwd`);
          if (cwd !== dir && !cwd.startsWith(dir + path.sep)) return;
          // Only git itself (git, git-upload-pack, git-remote-https...): a user's
          // shell sitting in the cache is not work in progress.
          const comm = (await readFile(`/proc/${e}/comm`, 'utf8')).trim();
          if (comm === 'git' || comm.startsWith('git-')) found.push(Number(e));
        } catch {
          // Gone, or another user's process: not ours to wait for.
        }
      }),
  );
  return found;
}

async function findFiles(dir: string, match: (name: string) => boolean): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch {
    return [];
  }
  return entries.filter((d) => d.isFile() && match(d.name)).map((d) => path.join(d.parentPath ?? d.path, d.name));
}

/** Turns a git failure into the catalogue error a user can act on. */
export function gitError(e: GitFailure, url?: string, net?: NetworkOptions): Error {
  const where = url ? redactUrl(url) : undefined;
  switch (e.kind) {
    case 'abort':
      return errorOf('interrupted', {});
    case 'missing':
      return errorOf('tool_missing', { where: 'git', detail: 'kpatch needs git on PATH to fetch and check out sources' });
    case 'timeout':
      return errorOf('repo_unreachable', {
        where,
        detail: `no data from the remote for ${net?.timeoutSeconds ?? '?'} s; git was stopped`,
        hint: 'check the network or mirror; on a slow link raise --timeout SECONDS; offline, work on a checkout with --src DIR, or point --repo at a local mirror (a path or file:// URL)',
      });
    case 'exit':
      break;
  }
  // git prints the URL it was given, password included: show the redacted form.
  const text = (url ? e.stderr.split(url).join(redactUrl(url)) : e.stderr).trim();
  if (url && MISSING_RE.test(text)) return errorOf('repo_missing', { where, detail: lastLines(text) });
  if (url && UNREACHABLE_RE.test(text)) return errorOf('repo_unreachable', { where, detail: lastLines(text) });
  return errorOf('git_failed', { where: `git ${e.args.filter((a) => a !== url).join(' ')}`, detail: lastLines(text) });
}

const MISSING_RE =
  /does not appear to be a git repository|repository '[^']*' not found|Repository not found|not found: did you run git update-server-info|returned error: 404|No such file or directory/i;
const UNREACHABLE_RE =
  /Could not resolve|Connection refused|Connection timed out|timed out|unable to access|Could not read from remote|Network is unreachable|No route to host|early EOF|hung up|transfer closed|Permission denied|Authentication failed|could not read Username|terminal prompts disabled|SSL|certificate|Operation too slow/i;

function lastLines(text: string): string {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(-6)
    .join('\n');
}

function errorOf(id: ErrorId, ctx: ErrorContext): KpatchError {
  return new KpatchError(id, ctx);
}
