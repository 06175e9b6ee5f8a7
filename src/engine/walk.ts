/**
 * Finding a recipe's target files in a tree. Vendor folders are searched like
 * any other (they are the point); `.git` is skipped.
 *
 * Folder links are followed when they stay inside the tree, because Go
 * compiles through them: a `.../cgroups/fs` that links to a folder elsewhere
 * in the tree is compiled as `.../cgroups/fs`, so kpatch must read it there.
 * A link back to one of its own ancestors (a build's
 * `_output/.../src/k8s.io/kubernetes -> ../..`) is not followed, so the walk
 * cannot loop. A folder link that leaves the tree and holds target files is
 * refused (`unsafe_path`): kpatch would have to read, and patch, files that
 * are not the tree's.
 */
import { readdirSync, realpathSync, statSync, type Dirent } from 'node:fs';
import path from 'node:path';
import { fail } from '../errors.js';

/** A file found by the walk. */
export interface FoundFile {
  /** Path relative to the root, forward slashes: the path Go compiles it under. */
  rel: string;
  abs: string;
  /** True when the entry is a symbolic link rather than a regular file. */
  symlink: boolean;
  /**
   * Set when the file was reached through a linked folder: its real path
   * relative to the (real) root, where it is read and written.
   */
  real?: string;
}

/** Entries an outside folder link may hold before kpatch stops looking and refuses it. */
const OUTSIDE_LOOK_BUDGET = 20_000;

/**
 * Walks `root` and returns the files for which `accept(rel)` holds, sorted by
 * path; `acceptFolder(dirRel)` may rule out a whole folder's files at once. Synchronous on purpose: for a Kubernetes-sized tree (25,000 files in
 * 2,000 folders) readdirSync is three times faster than promise-per-folder
 * (see scripts/bench-scan.mjs), and nothing else runs meanwhile.
 */
export function findFiles(
  root: string,
  accept: (rel: string) => boolean,
  acceptFolder: (dirRel: string) => boolean = () => true,
): FoundFile[] {
  const found: FoundFile[] = [];
  const realRoot = realpathSync(root);
  const join = (dirRel: string, name: string) => (dirRel ? `${dirRel}/${name}` : name);
  /** `real` is the folder's real absolute path; `onStack` the real paths of the folders above it. */
  const walk = (dirRel: string, real: string, onStack: string[]): void => {
    const entries = readdirSync(real, { withFileTypes: true });
    // Asked once per folder: most folders of a Kubernetes tree hold no target,
    // and skipping their 25,000 file names is a measurable part of a scan.
    const filesMayMatch = acceptFolder(dirRel);
    const linked = real !== path.join(realRoot, dirRel);
    for (const e of entries) {
      const rel = join(dirRel, e.name);
      if (e.isDirectory()) {
        if (e.name !== '.git') walk(rel, path.join(real, e.name), [...onStack, real]);
        continue;
      }
      if (e.isSymbolicLink()) {
        const target = linkedFolder(path.join(real, e.name));
        if (target) {
          followLink(rel, target, [...onStack, real]);
          continue;
        }
      }
      if (filesMayMatch && (e.isFile() || e.isSymbolicLink()) && accept(rel)) {
        const realRel = path.relative(realRoot, path.join(real, e.name)).split(path.sep).join('/');
        found.push({ rel, abs: path.join(root, rel), symlink: e.isSymbolicLink(), ...(linked ? { real: realRel } : {}) });
      }
    }
  };
  const followLink = (rel: string, target: string, onStack: string[]): void => {
    const inside = target === realRoot || target.startsWith(realRoot + path.sep);
    if (!inside) {
      if (holdsTargets(target, rel, accept, acceptFolder)) {
        fail('unsafe_path', {
          where: rel,
          detail: `this folder is a link to ${target}, outside the tree, and holds files kpatch reads; Go would compile them, so kpatch will not read or patch them there`,
          hint: 'copy the folder into the tree (replace the link with the folder), or point --src at the tree the link leads into; nothing was changed',
        });
      }
      return;
    }
    // A link to the folder itself or one of its ancestors would loop (and re-read the tree).
    if (onStack.includes(target) || target === realRoot) return;
    walk(rel, target, onStack);
  };
  walk('', realRoot, []);
  return found.sort((a, b) => (a.rel < b.rel ? -1 : 1));
}

/** The real path of the folder a link leads to; undefined for a link to a file or a dangling link. */
function linkedFolder(abs: string): string | undefined {
  try {
    return statSync(abs).isDirectory() ? realpathSync(abs) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether a folder outside the tree, seen at `rel`, holds a file the recipe
 * reads. Links inside it are not followed; when it is too big to look
 * through, the answer is yes: refusing is safer than reading half of it.
 */
function holdsTargets(dir: string, rel: string, accept: (rel: string) => boolean, acceptFolder: (dirRel: string) => boolean): boolean {
  let budget = OUTSIDE_LOOK_BUDGET;
  const look = (abs: string, r: string): boolean => {
    let entries: Dirent[];
    try {
      entries = readdirSync(abs, { withFileTypes: true });
    } catch {
      return false;
    }
    const filesMayMatch = acceptFolder(r);
    for (const e of entries) {
      if (--budget < 0) return true;
      const er = `${r}/${e.name}`;
      if (e.isDirectory()) {
        if (e.name !== '.git' && look(path.join(abs, e.name), er)) return true;
      } else if (filesMayMatch && (e.isFile() || e.isSymbolicLink()) && accept(er)) {
        return true;
      }
    }
    return false;
  };
  return look(dir, rel);
}
