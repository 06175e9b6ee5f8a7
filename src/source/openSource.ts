/**
 * Opens the tree a command works on: a checkout the user has (`--src`), or a
 * release fetched through the tag cache (`--k8s` / `--runc`). The library
 * side of commands/sourceOptions.ts: it takes typed options, not flags.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fail } from '../errors.js';
import type { Io } from '../io.js';
import type { AcquireOptions } from './acquireTree.js';

/** A source tree ready to read or patch, and how to let go of it. */
export interface SourceTree {
  /** Absolute path of the tree's root folder. */
  root: string;
  /** Release tag, when the tree came from the cache. */
  tag?: string;
  /** Commit the tree is checked out at, when known. */
  commit?: string;
  /** Remote URL, when the tree came from the cache. */
  repo?: string;
  /** Removes a temporary work tree (a no-op for --src). */
  release(): Promise<void>;
}

/** Which tree to open: a folder (relative to the working folder) or a release from the cache. */
export type SourceSpec = { src: string } | { release: AcquireOptions };

/** Opens the tree `spec` names. */
export async function openSource(spec: SourceSpec, io: Io): Promise<SourceTree> {
  if ('release' in spec) {
    // Loaded only when a release is fetched: --src needs no git code at start-up.
    const { acquireTree } = await import('./acquireTree.js');
    const tree = await acquireTree(spec.release, io);
    if (tree.kept) io.stderr.write(`kpatch: the work tree of ${tree.tag} stays at ${tree.root}\n`);
    return tree;
  }
  const root = await checkSrcFolder(path.resolve(io.cwd, spec.src));
  return { root, release: async () => {} };
}

/**
 * Refuses a `--src` that is missing or not a folder (`src_missing`,
 * `src_not_dir`) and returns it. `build` asks before it probes container
 * engines, so a mistyped path is said at once, not after seconds of
 * `docker info` and `podman info`.
 */
export async function checkSrcFolder(root: string): Promise<string> {
  let st;
  try {
    st = await stat(root);
  } catch {
    fail('src_missing', { where: root });
  }
  if (!st.isDirectory()) fail('src_not_dir', { where: root });
  return root;
}
