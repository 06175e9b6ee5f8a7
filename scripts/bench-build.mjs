#!/usr/bin/env node
// Benchmark (issue 4): on the stand-in Kubernetes repository, in one run,
//  (a) kpatch's own overhead: wall time of `kpatch build --runner local` minus the time of the
//      same make run by hand in the same kind of tree (both with an empty Go build cache);
//      target: under 2 s and under 5% of the total;
//  (b) a second build of the same tag with a warm Go build cache against the first;
//      target: at most 0.5x.
// Needs `npx tsc -p .` first (it runs the real bin). Usage: node scripts/bench-build.mjs
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(REPO, 'bin/kpatch.js');
const FIXTURE = path.join(REPO, 'test/fixtures/k8s-standin');
const TAG = 'v1.12.4';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'kpatch-bench-build-'));
const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'bench',
  GIT_AUTHOR_EMAIL: 'bench@kpatch.invalid',
  GIT_COMMITTER_NAME: 'bench',
  GIT_COMMITTER_EMAIL: 'bench@kpatch.invalid',
  GIT_CONFIG_GLOBAL: '/dev/null',
};
const git = (cwd, ...args) => execFileSync('git', args, { cwd, env: gitEnv, stdio: 'pipe', encoding: 'utf8' }).trim();

function time(cmd, args, opts) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26, ...opts });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
  return s;
}

try {
  // The remote: base + the release overlay, committed and tagged.
  const work = path.join(tmp, 'work');
  cpSync(path.join(FIXTURE, 'base'), work, { recursive: true });
  cpSync(path.join(FIXTURE, TAG), work, { recursive: true });
  git(work, 'init', '-q', '-b', 'master');
  git(work, 'add', '-A');
  git(work, 'commit', '-qm', `Kubernetes ${TAG}`);
  git(work, 'tag', '-a', TAG, '-m', TAG);
  const bare = path.join(tmp, 'kubernetes.git');
  git(tmp, 'clone', '-q', '--bare', work, bare);
  const url = pathToFileURL(bare).href;

  const cache = path.join(tmp, 'cache');
  const env = { ...process.env, CI: '1', KPATCH_CACHE_DIR: cache };
  const build = (out, extra = []) =>
    time(process.execPath, [BIN, 'build', '--k8s', TAG, '--repo', url, '--runner', 'local', '--out', out, ...extra], { env });
  // Fill the tag cache first: fetching is measured by bench-fetch, not here.
  time(process.execPath, [BIN, 'fetch', '--k8s', TAG, '--repo', url, '--no-keep'], { env });

  const cold = build(path.join(tmp, 'out1'));
  const warm = build(path.join(tmp, 'out2'));

  // The same make by hand: a fresh patched tree, an empty Go cache, the same version file.
  const tree = path.join(tmp, 'by-hand');
  git(tmp, 'clone', '-q', '--branch', TAG, bare, tree);
  time(process.execPath, [BIN, 'patch', '--src', tree], { env });
  const home = path.join(tmp, 'home');
  mkdirSync(home);
  const versionFile = path.join(tmp, 'version.env');
  writeFileSync(
    versionFile,
    `KUBE_GIT_VERSION='${TAG}+kpatch.guard'\nKUBE_GIT_TREE_STATE='clean'\nKUBE_GIT_COMMIT='${git(tree, 'rev-parse', 'HEAD')}'\nKUBE_GIT_MAJOR='1'\nKUBE_GIT_MINOR='12'\n`,
  );
  const make = time('make', ['WHAT=cmd/kubelet', 'KUBE_BUILD_PLATFORMS=linux/amd64'], {
    cwd: tree,
    // GO111MODULE=off as kpatch gives a tree without go.mod (the v1.12.4 harness expects GOPATH mode from Go).
    env: { ...process.env, HOME: home, GOCACHE: path.join(home, 'go-build'), GO111MODULE: 'off', KUBE_GIT_VERSION_FILE: versionFile },
  });

  const overhead = cold - make;
  console.log(`kpatch build, empty Go cache   ${cold.toFixed(2)} s`);
  console.log(`make by hand, empty Go cache   ${make.toFixed(2)} s`);
  console.log(
    `(a) kpatch overhead            ${overhead.toFixed(2)} s = ${((overhead / cold) * 100).toFixed(1)}% of the build (target: < 2 s and < 5%)`,
  );
  console.log(`kpatch build, warm Go cache    ${warm.toFixed(2)} s`);
  console.log(`(b) warm / cold                ${(warm / cold).toFixed(2)}x (target <= 0.5x)`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
