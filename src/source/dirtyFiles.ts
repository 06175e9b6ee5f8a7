/**
 * Which of a set of files have uncommitted changes, when the tree is a git
 * work tree; so `patch` never overwrites a user's own edits.
 */
import { simpleGit } from 'simple-git';
import { fail } from '../errors.js';

/**
 * Returns the subset of `paths` (relative to `root`) that git reports as
 * modified, added or untracked. Outside a git work tree, returns [].
 */
export async function dirtyFiles(root: string, paths: string[]): Promise<string[]> {
  if (paths.length === 0) return [];
  const git = simpleGit({ baseDir: root });
  const inside = await git.raw(['rev-parse', '--is-inside-work-tree']).then((o) => o.trim() === 'true').catch(() => false);
  if (!inside) return [];
  const prefix = (await git.raw(['rev-parse', '--show-prefix'])).trim();
  const out = await git.raw(['status', '--porcelain=v1', '-z', '--untracked-files=all', '--', ...paths.map((p) => `:(literal)${p}`)]);
  const dirty = new Set<string>();
  for (const entry of out.split('\0')) {
    if (entry.length < 4) continue;
    const file = entry.slice(3);
    dirty.add(prefix && file.startsWith(prefix) ? file.slice(prefix.length) : file);
  }
  return paths.filter((p) => dirty.has(p));
}

/**
 * Throws `dirty_files` naming the paths (relative to `root`) that have
 * uncommitted changes; `detail` says what kpatch was about to do. The one
 * check behind patch, build --src and build --patch, so a user's own edits
 * are never overwritten.
 */
export async function refuseDirtyFiles(root: string, paths: string[], detail: string): Promise<void> {
  const dirty = await dirtyFiles(root, paths);
  if (dirty.length) fail('dirty_files', { where: dirty.join(', '), detail });
}
