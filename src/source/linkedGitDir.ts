/**
 * A linked work tree (`git worktree add`) has a `.git` file, not a folder,
 * naming its git folder: `gitdir: <path>`. Read by the tag cache (which admin
 * folder belongs to a tree), the runc build (what to mount so Go can stamp
 * the commit) and the local runner (what to lock while the tree is moved).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** The absolute git folder a linked work tree's `.git` file names; undefined for a plain clone or no git. */
export async function linkedGitDir(tree: string): Promise<string | undefined> {
  const text = await readFile(path.join(tree, '.git'), 'utf8').catch(() => undefined);
  const gitdir = text && /^gitdir:\s*(.+)$/m.exec(text)?.[1].trim();
  return gitdir ? path.resolve(tree, gitdir) : undefined;
}
