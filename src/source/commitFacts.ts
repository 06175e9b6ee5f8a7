/**
 * The release facts a build stamps into the kubelet and the manifest: tag,
 * commit and commit time (SOURCE_DATE_EPOCH), read from the tree's git.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type { SourceTree } from './openSource.js';
import { queryGit, type GitIo } from './runGit.js';
import { statusPaths } from './gitStatus.js';

/** Tag, commit and commit time of a tree; fields are absent when git cannot tell. */
export interface CommitFacts {
  tag?: string;
  sha?: string;
  /** Commit time, seconds since the epoch. */
  time?: number;
  /** `--src`: whether the checkout has changes besides kpatch's fix (see CheckoutFacts). */
  treeState?: 'clean' | 'dirty';
}

// --no-optional-locks: reading facts must not rewrite the checkout's index (git status refreshes it).
async function gitRaw(root: string, args: string[], io: GitIo): Promise<string | undefined> {
  return queryGit(['--no-optional-locks', ...args], { cwd: root, io });
}

async function git(root: string, args: string[], io: GitIo): Promise<string | undefined> {
  return (await gitRaw(root, args, io))?.trim() || undefined;
}

/**
 * Reads the facts from the cache (for `--k8s`) or from the checkout's own git
 * (for `--src`: the tag must point exactly at HEAD, or there is no tag).
 */
export async function describeCommit(source: SourceTree, io: GitIo): Promise<CommitFacts> {
  const sha = source.commit ?? (await git(source.root, ['rev-parse', '--verify', '-q', 'HEAD^{commit}'], io));
  const tag =
    source.tag ?? (sha ? await git(source.root, ['describe', '--tags', '--exact-match', '--match', 'v[0-9]*', sha], io) : undefined);
  const time = sha ? Number(await git(source.root, ['log', '-1', '--format=%ct', sha], io)) : NaN;
  return { tag, sha, time: Number.isFinite(time) ? time : undefined };
}

/** The facts of a `--src` checkout that a build stamps: its commit's, and whether the tree has changes beyond kpatch's fix. */
export interface CheckoutFacts extends CommitFacts {
  /**
   * `dirty` when git reports changes (tracked or untracked, not ignored)
   * other than the files that carry kpatch's fix; undefined outside git.
   */
  treeState?: 'clean' | 'dirty';
  /** The changed paths behind `dirty` (at most 20), to say what they are. */
  changes?: string[];
  /** Every path git reports changed or untracked (kpatch's fix included), relative to the checkout. */
  changed?: string[];
  /**
   * Set when HEAD is not at a tag but is that tag plus commits that change
   * only files carrying kpatch's fix (a branch with a committed reviewed
   * patch): the tag the build is named after.
   */
  fixCommittedOn?: string;
}

/**
 * Describes a `--src` checkout from its own git (never from a copy of it).
 * `fixFiles` are the files that carry a kpatch marker in the checkout: their
 * changes are kpatch's fix, not a dirty tree, and a branch whose only commits
 * since a tag touch them is that tag with the fix committed. `ownDirs` are
 * kpatch's own folders (the cache): when one is inside the checkout, its
 * files are kpatch's, not changes of the user's, and git status leaves them
 * out (they would make every CI build that keeps its cache in the workspace
 * "dirty").
 */
export async function describeCheckout(root: string, fixFiles: string[], io: GitIo, ownDirs: string[] = []): Promise<CheckoutFacts> {
  const facts: CheckoutFacts = await describeCommit({ root, release: async () => {} }, io);
  if (!facts.sha) return facts;
  const prefix = (await git(root, ['rev-parse', '--show-prefix'], io)) ?? '';
  const fix = new Set(fixFiles.map((f) => prefix + f));
  if (!facts.tag && fix.size) {
    const near = await git(root, ['describe', '--tags', '--abbrev=0', '--match', 'v[0-9]*', facts.sha], io);
    const changed = near ? await gitRaw(root, ['diff', '--name-only', '-z', near, facts.sha, '--'], io) : undefined;
    const paths = changed?.split('\0').filter(Boolean) ?? [];
    if (near && paths.length && paths.every((p) => fix.has(p))) {
      facts.tag = near;
      facts.fixCommittedOn = near;
    }
  }
  const realRoot = await realpath(root).catch(() => path.resolve(root));
  const inside = (await Promise.all(ownDirs.map((d) => realpath(d).catch(() => path.resolve(d)))))
    .map((d) => path.relative(realRoot, d))
    .filter((rel) => rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel));
  const status = await gitRaw(
    root,
    ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--', '.', ...inside.map((rel) => `:(exclude)${rel}`)],
    io,
  );
  if (status === undefined) return facts;
  const changes: string[] = [];
  const changed: string[] = [];
  for (const p of statusPaths(status)) {
    const rel = p.startsWith(prefix) ? p.slice(prefix.length) : p;
    changed.push(rel);
    if (!fix.has(p)) changes.push(rel);
  }
  facts.changed = changed;
  facts.treeState = changes.length ? 'dirty' : 'clean';
  if (changes.length) facts.changes = changes.slice(0, 20);
  return facts;
}
