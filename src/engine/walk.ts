/**
 * Finding a recipe's target files in a tree. Vendor folders are searched like
 * any other (they are the point); `.git` is skipped and folder symlinks are not
 * followed, so a build's `_output/.../src/k8s.io/kubernetes -> ../..` link
 * cannot loop.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';

/** A file found by the walk. */
export interface FoundFile {
  /** Path relative to the root, forward slashes. */
  rel: string;
  abs: string;
  /** True when the entry is a symbolic link rather than a regular file. */
  symlink: boolean;
}

/** Walks `root` and returns the files for which `accept(rel)` holds, sorted by path. */
export async function findFiles(root: string, accept: (rel: string) => boolean): Promise<FoundFile[]> {
  const found: FoundFile[] = [];
  const walk = async (dirRel: string): Promise<void> => {
    const entries = await readdir(path.join(root, dirRel), { withFileTypes: true });
    const subdirs: Promise<void>[] = [];
    for (const e of entries) {
      const rel = dirRel ? `${dirRel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (e.name !== '.git') subdirs.push(walk(rel));
      } else if ((e.isFile() || e.isSymbolicLink()) && accept(rel)) {
        found.push({ rel, abs: path.join(root, rel), symlink: e.isSymbolicLink() });
      }
    }
    await Promise.all(subdirs);
  };
  await walk('');
  return found.sort((a, b) => (a.rel < b.rel ? -1 : 1));
}
