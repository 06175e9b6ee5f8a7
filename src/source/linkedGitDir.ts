/**
 * A linked work tree (`git worktree add`) has a `.git` file, not a folder,
 * naming its git folder: `gitdir: <path>`. Read by the tag cache (which admin
 * folder belongs to a tree), the runc build (what to mount so Go can stamp
 * the commit) and the local runner (what to lock while the tree is moved).
 */
import path from 'node:path';
import { readBounded } from '../readBounded.js';

/** The absolute git folder a linked work tree's `.git` file names; undefined for a plain clone or no git. */
export async function linkedGitDir(tree: string): Promise<string | undefined> {
  // A `.git` that is a FIFO or a device is no linked work tree (readBounded.ts refuses it; no hang).
  const text = await readBounded(path.join(tree, '.git'), { maxBytes: 64 * 1024 })
    .then((b) => b.toString('utf8'))
    .catch(() => undefined);
  const gitdir = text && /^gitdir:\s*(.+)$/m.exec(text)?.[1].trim();
  return gitdir ? path.resolve(tree, gitdir) : undefined;
}
