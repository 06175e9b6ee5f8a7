/**
 * The user's checkout given with `build --src`: the facts read from it before
 * the build (and before anything is copied), and the refusal to build
 * uncommitted edits under a release's name. Nothing here writes to the
 * checkout: builds run in a private copy (privateCopy.ts).
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { fail } from '../errors.js';
import { loadTargets } from '../engine/loadTargets.js';
import type { Recipe, ScanReport } from '../engine/recipe.js';
import { DEFAULT_RECIPE } from '../recipes.js';
import { describeCheckout, type CheckoutFacts } from '../source/commitFacts.js';
import type { GitIo } from '../source/runGit.js';
import type { BuildTarget } from './buildTarget.js';
import { patchPaths } from '../patchfile/patchPaths.js';
import { readBounded } from '../readBounded.js';
import { MAX_PATCH_BYTES } from '../safeFiles.js';

/** What checkSrcCheckout read from a `--src` checkout. */
export interface SrcCheckout {
  facts: CheckoutFacts;
  /** The checkout's own scan: a tree that needs nothing is said so without copying it. */
  report: ScanReport;
}

/**
 * `--src`: reads the checkout's facts (tag, commit, tree state, a fix it
 * already carries) from its own git, and refuses, as a usage error before any
 * stage starts, a checkout that is not at a release tag when no
 * `--version-string` names the version. `cacheDir`, when inside the
 * checkout, is kpatch's and not part of the tree: its work trees (whole
 * Kubernetes releases) are not scanned as the checkout's files, and its
 * files are not changes of the tree (describeCheckout).
 */
export async function checkSrcCheckout(
  root: string,
  versionString: string | undefined,
  target: BuildTarget,
  io: GitIo,
  cacheDir?: string,
): Promise<SrcCheckout> {
  const report = DEFAULT_RECIPE.scan((await loadTargets(root, await outside(root, cacheDir))).files);
  if (io.signal?.aborted) fail('interrupted');
  const facts = await describeCheckout(root, [...new Set(report.markers.map((m) => m.file))], io, cacheDir ? [cacheDir] : []);
  if (!facts.tag && !versionString) {
    fail('usage', {
      where: `--src ${root}`,
      detail: `the checkout is not at a release tag${facts.sha ? ` (HEAD is ${facts.sha.slice(0, 12)})` : ' (not a git checkout)'}, so kpatch cannot name the version; check out the tag, or give --version-string (e.g. ${target.defaultVersion(target.name === 'runc' ? 'v1.0.0-rc5' : 'v1.12.4', 'guard')})`,
    });
  }
  return { facts, report };
}

/** The recipe's targets, less any file under `dir` when that folder is inside `root`. */
async function outside(root: string, dir: string | undefined): Promise<Recipe> {
  if (dir === undefined) return DEFAULT_RECIPE;
  const [realRoot, realDir] = await Promise.all([root, dir].map((p) => realpath(p).catch(() => path.resolve(p))));
  const rel = path.relative(realRoot, realDir).split(path.sep).join('/');
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return DEFAULT_RECIPE;
  const under = (r: string) => r === rel || r.startsWith(`${rel}/`);
  return {
    ...DEFAULT_RECIPE,
    isTarget: (r) => !under(r) && DEFAULT_RECIPE.isTarget(r),
    isTargetFolder: (d) => !under(d) && DEFAULT_RECIPE.isTargetFolder(d),
  };
}

/**
 * The private copy is kpatch's, but a binary built from target files with
 * uncommitted edits would be named after the release and the fix while
 * carrying those edits: refused unless --allow-dirty. Read from the
 * checkout's `git status` (CheckoutFacts), which never rewrites its index.
 */
export function refuseDirty(commit: CheckoutFacts, paths: string[], what: string, target: BuildTarget): void {
  const changed = new Set(commit.changed ?? []);
  const dirty = paths.filter((p) => changed.has(p));
  if (dirty.length) {
    fail('dirty_files', {
      where: dirty.join(', '),
      detail: `build --src would build these uncommitted edits, with ${what}, into a ${target.binary} named after the release; commit them first, or give --allow-dirty; nothing was built and the checkout was not changed`,
    });
  }
}

/** The files a patch file changes (`diff --git a/... b/...` lines); none when it cannot be read. */
export async function patchFilePaths(file: string): Promise<string[]> {
  return patchPaths(
    await readBounded(file, { maxBytes: MAX_PATCH_BYTES })
      .then((b) => b.toString('utf8'))
      .catch(() => ''),
  );
}
