#!/usr/bin/env node
// Benchmark: how `kpatch build --src` makes its private copy of a checkout
// (issue 13 §1). Two candidates, on the same checkout, in one process,
// alternating, each followed by the removal of what it made:
//   (copy)     kpatch's copyCheckout (dist/src/pipeline/privateCopy.js): a file
//              copy that skips the root's .git and _output/;
//   (worktree) `git stash create` (the uncommitted changes as a commit, or
//              HEAD when there are none) + `git worktree add --detach` of it
//              + an overlay of the untracked files (`git ls-files --others
//              --exclude-standard`) + `git worktree remove` / prune.
// The checkout gets one modified tracked file, one untracked file and an
// _output/ of 50 MB before the runs, as a user's checkout after a build has.
// Usage: node scripts/bench-private-copy.mjs --src CHECKOUT [--runs 3]
//   (CHECKOUT: e.g. a clone of `scripts/real-release.sh env`'s KPATCH_REAL_K8S_URL at v1.20.2;
//    the script restores the file it modifies and removes what it adds.)
// Needs dist/ (npx tsc -p .) and git.
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
const arg = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const SRC = path.resolve(arg('src', ''));
const RUNS = Number(arg('runs', '3'));
if (!arg('src')) {
  console.error('usage: node scripts/bench-private-copy.mjs --src CHECKOUT [--runs 3]');
  process.exit(2);
}
const HERE = path.dirname(fileURLToPath(import.meta.url));
const { copyCheckout } = await import(path.join(HERE, '../dist/src/pipeline/privateCopy.js'));
const git = (cwd, ...a) => execFileSync('git', a, { cwd, encoding: 'utf8', maxBuffer: 1 << 28 }).trim();

const cache = mkdtempSync(path.join(os.tmpdir(), 'kpatch-bench-copy-'));
const tracked = git(SRC, 'ls-files', '-z', '--', 'vendor/github.com/opencontainers/runc/libcontainer/cgroups/fs/memory.go', 'README.md')
  .split('\0')
  .filter(Boolean)[0];
const original = readFileSync(path.join(SRC, tracked));
appendFileSync(path.join(SRC, tracked), '\n// a local edit\n');
writeFileSync(path.join(SRC, 'NOTES.kpatch-bench'), 'untracked notes\n');
mkdirSync(path.join(SRC, '_output/local/bin'), { recursive: true });
writeFileSync(path.join(SRC, '_output/local/bin/old-kubelet'), Buffer.alloc(50 << 20, 1));
const files = Number(git(SRC, 'ls-files', '-z').split('\0').length);

async function viaCopy() {
  const c = await copyCheckout(SRC, cache);
  await c.remove();
}

async function viaWorktree() {
  const dest = path.join(cache, 'wt', path.basename(SRC));
  mkdirSync(path.dirname(dest), { recursive: true });
  const stash = git(SRC, 'stash', 'create') || git(SRC, 'rev-parse', 'HEAD');
  git(SRC, 'worktree', 'add', '-q', '--detach', dest, stash);
  for (const f of git(SRC, 'ls-files', '-z', '--others', '--exclude-standard').split('\0').filter(Boolean)) {
    mkdirSync(path.dirname(path.join(dest, f)), { recursive: true });
    cpSync(path.join(SRC, f), path.join(dest, f), { preserveTimestamps: true, verbatimSymlinks: true });
  }
  git(SRC, 'worktree', 'remove', '--force', dest);
  git(SRC, 'worktree', 'prune');
}

const time = async (f) => {
  execFileSync('sync');
  const t = process.hrtime.bigint();
  await f();
  return Number(process.hrtime.bigint() - t) / 1e9;
};
const results = { copy: [], worktree: [] };
try {
  // One warm-up of each, so both read a page cache in the same state.
  await viaCopy();
  await viaWorktree();
  for (let i = 0; i < RUNS; i++) {
    results.copy.push(await time(viaCopy));
    results.worktree.push(await time(viaWorktree));
  }
} finally {
  writeFileSync(path.join(SRC, tracked), original);
  rmSync(path.join(SRC, 'NOTES.kpatch-bench'), { force: true });
  rmSync(path.join(SRC, '_output'), { recursive: true, force: true });
  rmSync(cache, { recursive: true, force: true });
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
console.log(`checkout: ${SRC} (${files} tracked files), ${RUNS} alternating runs each, copy+removal`);
console.log(
  `  copy (kpatch):           median ${median(results.copy).toFixed(2)} s  [${results.copy.map((x) => x.toFixed(2)).join(', ')}]`,
);
console.log(
  `  stash+worktree+overlay:  median ${median(results.worktree).toFixed(2)} s  [${results.worktree.map((x) => x.toFixed(2)).join(', ')}]`,
);
console.log(`  ratio copy / worktree:   ${(median(results.copy) / median(results.worktree)).toFixed(2)}x`);
