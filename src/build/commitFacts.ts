/**
 * The release facts a build stamps into the kubelet and the manifest: tag,
 * commit and commit time (SOURCE_DATE_EPOCH), read from the tree's git.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { SourceTree } from '../commands/sourceOptions.js';

const run = promisify(execFile);

/** Tag, commit and commit time of a tree; fields are absent when git cannot tell. */
export interface CommitFacts {
  tag?: string;
  sha?: string;
  /** Commit time, seconds since the epoch. */
  time?: number;
}

async function git(root: string, args: string[]): Promise<string | undefined> {
  try {
    const { stdout } = await run('git', ['-C', root, ...args], { encoding: 'utf8' });
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reads the facts from the cache (for `--k8s`) or from the checkout's own git
 * (for `--src`: the tag must point exactly at HEAD, or there is no tag).
 */
export async function describeCommit(source: SourceTree): Promise<CommitFacts> {
  const sha = source.commit ?? (await git(source.root, ['rev-parse', '--verify', '-q', 'HEAD^{commit}']));
  const tag = source.tag ?? (sha ? await git(source.root, ['describe', '--tags', '--exact-match', '--match', 'v[0-9]*', sha]) : undefined);
  const time = sha ? Number(await git(source.root, ['log', '-1', '--format=%ct', sha])) : NaN;
  return { tag, sha, time: Number.isFinite(time) ? time : undefined };
}
