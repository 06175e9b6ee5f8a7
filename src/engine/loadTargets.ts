/**
 * Reading and parsing a recipe's target files, refusing trees it must not
 * touch: a target that does not parse, or a symlink that leaves the tree.
 * Files reached through a linked folder inside the tree are read (Go compiles
 * them there) and carry their real path, where a rewrite writes them.
 */
import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { fail, KpatchError } from '../errors.js';
import { describeProblems, syntaxProblems } from './parse.js';
import type { Recipe } from './recipe.js';
import { makeGoFile, type GoFile } from './sourceFile.js';
import { findFiles } from './walk.js';

/** Target files of a tree, parsed, plus which of them are symlinks. */
export interface LoadedTargets {
  root: string;
  files: GoFile[];
  /** Relative paths of targets that are symbolic links (inside the tree). */
  symlinks: Set<string>;
}

/** Finds, reads and parses every target of `recipe` under `root`. */
export async function loadTargets(root: string, recipe: Recipe): Promise<LoadedTargets> {
  let found;
  try {
    found = findFiles(root, recipe.isTarget, recipe.isTargetFolder);
  } catch (e) {
    if (e instanceof KpatchError) throw e;
    fail('src_unreadable', { where: root, detail: (e as Error).message });
  }
  const realRoot = await realpath(root);
  const symlinks = new Set<string>();
  const files: GoFile[] = [];
  for (const f of found) {
    if (f.symlink) {
      const target = await realpath(f.abs).catch(() => '');
      if (!target || path.relative(realRoot, target).startsWith('..')) {
        fail('unsafe_path', { where: f.rel, detail: `it points to ${target || 'a missing file'}, outside the tree` });
      }
      symlinks.add(f.rel);
    }
    let text: string;
    try {
      text = await readFile(f.abs, 'utf8');
    } catch (e) {
      fail('src_unreadable', { where: f.rel, detail: (e as Error).message });
    }
    // Through a linked folder, the file is written where it really is (a rename
    // through the link would work, but the change is reported by its real path).
    const file = f.real ? { ...makeGoFile(f.rel, path.join(realRoot, f.real), text), realPath: f.real } : makeGoFile(f.rel, f.abs, text);
    const problems = syntaxProblems(file.tree);
    if (problems.length) fail('parse_error', { where: f.rel, detail: describeProblems(f.rel, problems) });
    files.push(file);
  }
  return { root, files, symlinks };
}
