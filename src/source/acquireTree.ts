/**
 * Gets the source tree of one Kubernetes (or runc) release: from the cache when the tag
 * is there (no network at all), else by fetching only that tag (depth 1) into
 * the cache first; then checks it out as a fresh work tree.
 *
 * This is what `kpatch fetch` and every `--k8s TAG` / `--runc TAG` option run.
 */
import path from 'node:path';
import { fail, KpatchError } from '../errors.js';
import type { Io } from '../io.js';
import {
  cacheLayout,
  makeDirs,
  DEFAULT_REPO,
  DEFAULT_RUNC_REPO,
  normaliseRepoUrl,
  redactUrl,
  resolveCacheDir,
  type CacheLayout,
} from './cacheLayout.js';
import { acquireLock } from './cacheLock.js';
import { dropIfEmpty, ensureCacheRepo, fetchTag, listRemoteTags, lookupCachedTag, recoverAfterCrash, type CachedTag } from './cacheRepo.js';
import { closestReleaseTags, tagParser, type ReleaseTag, type TagKind } from './releaseTag.js';
import { addWorktree, newTreePath, removeWorktree, sweepWorktrees } from './worktrees.js';

// Re-exported: they live in releaseTag.ts so that flag checking loads no git code.
import { DEFAULT_TIMEOUT_SECONDS, validateTag } from './releaseTag.js';
export { DEFAULT_TIMEOUT_SECONDS, validateTag };

/** What to get and where to keep it. Values are as the user typed them; all are validated here. */
export interface AcquireOptions {
  /** Release tag, `v1.12.4` or `1.12.4`. */
  tag: string;
  /** Remote URL or local path (--repo); default the upstream repository. */
  repo?: string;
  /** Cache root (--cache-dir); default from the environment, see resolveCacheDir. */
  cacheDir?: string;
  /** Leave the work tree in place when it is released (--keep). */
  keep?: boolean;
  /** false: only make sure the tag is cached, check nothing out (`fetch --no-keep`). */
  checkout?: boolean;
  /** Network stall timeout in seconds (--timeout). */
  timeoutSeconds?: number;
  /** Whose tag grammar `tag` follows (default Kubernetes'; `runc` for `--runc TAG`). */
  tagKind?: TagKind;
  /** Where `repo` came from when the user did not type it (`"repo" in FILE`): errors about it name that, not --repo. */
  repoFrom?: string;
}

/** A release's source tree from the cache. Structurally a `SourceTree` (openSource.ts). */
export interface CachedTree {
  /** Absolute path of the work tree; empty when `checkout` was false. */
  root: string;
  /** Normalised tag, e.g. `v1.12.4`. */
  tag: string;
  /** The commit the tag points to (peeled). */
  commit: string;
  /** The remote, without credentials. */
  repo: string;
  /** The bare cache repository the tree belongs to. */
  cacheRepo: string;
  /** True when the tag came from the cache, with no network access. */
  cached: boolean;
  /** True when the tree stays after release(). */
  kept: boolean;
  /** Removes the work tree unless it is kept. Safe to call twice. */
  release(): Promise<void>;
}

/** Gets the tree of `opts.tag`; see the module comment. */
export async function acquireTree(opts: AcquireOptions, io: Io): Promise<CachedTree> {
  // Everything the user typed is checked before any process or file exists.
  const kind = opts.tagKind ?? 'kubernetes';
  const tag = validateTag(opts.tag, kind).name;
  let url: string;
  try {
    url = normaliseRepoUrl(opts.repo ?? (kind === 'runc' ? DEFAULT_RUNC_REPO : DEFAULT_REPO), io);
  } catch (e) {
    throw fromSettings(e, opts.repoFrom);
  }
  const timeoutSeconds = opts.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  if (!(timeoutSeconds > 0)) fail('usage', { where: '--timeout', detail: 'must be a positive number of seconds' });
  const layout = cacheLayout(resolveCacheDir(opts.cacheDir, io), url);
  const checkout = opts.checkout ?? true;
  const keep = opts.keep ?? false;

  try {
    await makeDirs(path.dirname(layout.repoDir));
  } catch (e) {
    fail('cache_error', { where: layout.cacheDir, detail: (e as Error).message });
  }
  const lock = await acquireLock(layout.lockPath, {
    signal: io.signal,
    onWait: (o) => io.stderr.write(`kpatch: waiting for kpatch (pid ${o.pid} on ${o.host}) to finish with the cache ${layout.repoDir}\n`),
  }).catch((e) => {
    throw asCacheError(e, layout.lockPath);
  });
  let treePath = '';
  let commit: string;
  let cached: boolean;
  let created = false;
  try {
    if (lock.brokeStale) await recoverAfterCrash(layout, io);
    await sweepWorktrees(layout, io, lock.brokeStale);
    created = await ensureCacheRepo(layout, url, io);
    let found = await lookupCachedTag(layout, tag, io);
    cached = found.state !== 'missing';
    if (found.state === 'missing') {
      checkAborted(io);
      io.stderr.write(`kpatch: fetching ${tag} from ${redactUrl(url)} (this tag only, depth 1)\n`);
      const progress = io.stderr.isTTY ? progressLine(io) : undefined;
      const outcome = await fetchTag(layout, url, tag, { timeoutSeconds, onProgress: progress?.update }, io).finally(() =>
        progress?.done(),
      );
      if (outcome === 'no-such-tag') {
        await failUnknownTag(layout, url, tagParser(kind)(tag)!, timeoutSeconds, io, kind);
      }
      found = await lookupCachedTag(layout, tag, io);
    }
    commit = commitOf(found, tag, url);
    if (checkout) {
      checkAborted(io);
      treePath = newTreePath(layout, tag, keep);
      await addWorktree(layout, treePath, commit, io);
    }
  } catch (e) {
    if (created) await dropIfEmpty(layout).catch(() => {});
    if (io.signal?.aborted && !(e instanceof KpatchError && e.id === 'interrupted')) fail('interrupted');
    throw fromSettings(asCacheError(e, layout.cacheDir), opts.repoFrom);
  } finally {
    await lock.release();
  }

  let released = false;
  return {
    root: treePath,
    tag,
    commit,
    repo: redactUrl(url),
    cacheRepo: layout.repoDir,
    cached,
    kept: keep && checkout,
    async release() {
      if (released || keep || !treePath) return;
      released = true;
      await removeWorktree(layout, treePath);
    },
  };
}

/** One self-rewriting stderr line with git's transfer progress, for terminals only. */
function progressLine(io: Io): { update: (stage: string, percent: number) => void; done: () => void } {
  let last = '';
  return {
    update(stage, percent) {
      const text = `kpatch:   ${stage} ${percent}%`;
      if (text === last) return;
      last = text;
      io.stderr.write(`\r${text}\u001b[K`);
    },
    done() {
      if (last) io.stderr.write('\n');
    },
  };
}

/**
 * A repository that came from the settings file and is wrong (not a URL,
 * nothing there, unreachable) is the settings file's error: the message
 * names the file and the key, and the hint says how to fix or override it,
 * instead of blaming a --repo the user never typed.
 */
function fromSettings(e: unknown, repoFrom: string | undefined): unknown {
  if (!repoFrom || !(e instanceof KpatchError)) return e;
  const fix = `fix ${repoFrom}, or pass --repo URL to override it for this run`;
  if (e.id === 'usage')
    return new KpatchError('config_invalid', {
      where: repoFrom,
      detail: `${e.detail ?? 'not a repository URL'}: ${(e.where ?? '').replace(/^--repo /, '')}`,
      hint: fix,
    });
  if (e.id === 'repo_missing' || e.id === 'repo_unreachable') {
    return new KpatchError(e.id, {
      where: `${e.where ?? ''} (${repoFrom})`.trim(),
      detail: e.detail,
      hint: e.id === 'repo_missing' ? fix : `${fix}; ${e.hint}`,
    });
  }
  return e;
}

/** File-system failures in the cache (permissions, full disk, read-only mount) become `cache_error`. */
function asCacheError(e: unknown, where: string): unknown {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (e instanceof KpatchError || typeof code !== 'string') return e;
  return new KpatchError('cache_error', { where, detail: (e as Error).message });
}

function checkAborted(io: Io): void {
  if (io.signal?.aborted) fail('interrupted');
}

function commitOf(found: CachedTag, tag: string, url: string): string {
  if (found.state === 'commit') return found.commit;
  if (found.state === 'not-commit') {
    fail('tag_not_commit', {
      where: `${tag} in ${redactUrl(url)}`,
      detail: `refs/tags/${tag} points to a ${found.type} (${found.object}), not a commit`,
    });
  }
  // The fetch said it succeeded but the ref is not there: a server that
  // ignored the refspec. Say so rather than pretend the tag is unknown.
  fail('git_failed', { where: `git fetch ${redactUrl(url)}`, detail: `refs/tags/${tag} is still missing after a successful fetch` });
}

async function failUnknownTag(
  layout: CacheLayout,
  url: string,
  wanted: ReleaseTag,
  timeoutSeconds: number,
  io: Io,
  kind: TagKind,
): Promise<never> {
  let detail: string;
  try {
    const closest = closestReleaseTags(wanted, await listRemoteTags(layout, url, { timeoutSeconds }, io), 5, kind);
    detail = closest.length
      ? `closest release tags: ${closest.join(', ')}`
      : `the repository has no release tags at all: is --repo a ${kind === 'runc' ? 'runc' : 'Kubernetes'} repository?`;
  } catch (e) {
    if (e instanceof KpatchError && e.id === 'interrupted') throw e;
    detail = 'the list of tags could not be read to suggest others';
  }
  fail('tag_unknown', { where: `${wanted.name} in ${redactUrl(url)}`, detail });
}
