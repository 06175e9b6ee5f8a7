/**
 * Set-ups for the bad-input rows of issue 14 §1 (call sites kpatch cannot see
 * or rewrite, several vendored copies, linked folders): edits of the stand-in
 * v1.12.4 tree each row works on, committed so the tree is clean but
 * different. Kept here so the table's section stays one row per input.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { materializeStandin, STANDIN_MEMORY_GO, STANDIN_RUNC_FS_DIR } from './standin-repo.js';

/** Where cadvisor's own vendored runc sits in the rows' trees. */
export const NESTED_RUNC = 'vendor/github.com/google/cadvisor/vendor/github.com/opencontainers/runc';
const TOP_RUNC = 'vendor/github.com/opencontainers/runc';

function commitAll(tree: string, message: string): void {
  const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=kpatch-test', '-c', 'user.email=test@kpatch.invalid', '-c', 'commit.gpgSign=false', ...args], {
      cwd: tree,
      stdio: 'pipe',
      env,
    });
  git('add', '-A');
  git('commit', '-qm', message);
}

/** Applies `edit` to each named file (relative paths) and commits. */
export function commitEdits(tree: string, edits: Record<string, (text: string) => string>): void {
  for (const [rel, edit] of Object.entries(edits)) writeFileSync(path.join(tree, rel), edit(readFileSync(path.join(tree, rel), 'utf8')));
  commitAll(tree, 'edit');
}

/** memory.go with the call statement replaced by `stmt` (tab-indented like the call). */
export function replaceCall(stmt: string): Record<string, (text: string) => string> {
  return {
    [STANDIN_MEMORY_GO]: (t) => t.replace('if err := EnableKernelMemoryAccounting(path); err != nil {\n\t\t\t\treturn err\n\t\t\t}', stmt),
  };
}

/** A release's vendored runc copied to `dest` in the tree (replacing what is there), committed. */
function copyRunc(tree: string, fromTag: string, dest: string): void {
  const from = mkdtempSync(path.join(os.tmpdir(), 'kpatch-runc-copy-'));
  try {
    materializeStandin(fromTag, from);
    rmSync(path.join(tree, dest), { recursive: true, force: true });
    mkdirSync(path.dirname(path.join(tree, dest)), { recursive: true });
    cpSync(path.join(from, TOP_RUNC), path.join(tree, dest), { recursive: true });
  } finally {
    rmSync(from, { recursive: true, force: true });
  }
  commitAll(tree, `runc of ${fromTag} at ${dest}`);
}

/** cadvisor's nested vendor/ gets the runc of `fromTag` (v1.14.10: with the nokmem pair; v1.12.4: without). */
export function addNestedRunc(tree: string, fromTag: string): void {
  copyRunc(tree, fromTag, NESTED_RUNC);
}

/** The tree's own vendored runc becomes the one of `fromTag`. */
export function replaceTopRunc(tree: string, fromTag: string): void {
  copyRunc(tree, fromTag, TOP_RUNC);
}

/**
 * Moves `.../cgroups/fs` to `target` (absolute; inside or outside the tree)
 * and puts a relative link in its place; commits when the target is inside.
 */
export function linkFsFolder(tree: string, target: string): void {
  mkdirSync(path.dirname(target), { recursive: true });
  renameSync(path.join(tree, STANDIN_RUNC_FS_DIR), target);
  const link = path.join(tree, STANDIN_RUNC_FS_DIR);
  symlinkSync(path.relative(path.dirname(link), target), link);
  commitAll(tree, 'cgroups/fs is a link');
}

/** Moves a whole folder of the tree (relative) to `target` outside it and links it. */
export function linkFolderOut(tree: string, rel: string, target: string): void {
  renameSync(path.join(tree, rel), target);
  symlinkSync(target, path.join(tree, rel));
  commitAll(tree, `${rel} is a link out`);
}
