#!/usr/bin/env node
// Benchmarks on the real Kubernetes v1.20.2 release (scripts/real-release.sh fetches it
// with apt; 22,695 files), each against a baseline run in the same process:
//   scan   `kpatch scan --json` on a checkout of the tag against
//          `git grep -l EnableKernelMemoryAccounting` on the same checkout (medians of
//          alternating runs; target <= 1.2x), and `kpatch scan --src <missing folder>`
//          (the scan command loaded and its first check, no tree read) against `node -e 0`:
//          what start-up alone costs;
//   fetch  bytes the kpatch cache holds after `kpatch fetch --k8s v1.20.2` against the
//          .git of `git clone --depth 1 --branch v1.20.2` of the same file:// URL;
//   build  (only with --build: two real kubelet builds, 10-15 minutes) kpatch's own
//          overhead: `kpatch build --runner local` minus the same steps by hand (a shallow
//          clone of the tag, `kpatch patch`, and the same make), both with an empty Go cache. Wall time,
//          and CPU time (user + system of the run and every process it waited for, from
//          GNU time), which other load on the machine barely moves: a compile that waits
//          for a core takes longer, not more CPU.
// Needs `npx tsc -p .` first (it runs the real bin).
// Usage: node scripts/bench-real.mjs [--runs 7] [--build]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(REPO, 'bin/kpatch.js');
const TAG = 'v1.20.2';
const argv = process.argv.slice(2);
const RUNS = Number(argv.includes('--runs') ? argv[argv.indexOf('--runs') + 1] : 7);
const BUILD = argv.includes('--build');

const url = execFileSync(path.join(REPO, 'scripts/real-release.sh'), ['kubernetes'], {
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'inherit'],
}).trim();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'kpatch-bench-real-'));
const env = { ...process.env, CI: '1', KPATCH_CACHE_DIR: path.join(tmp, 'cache') };

function time(cmd, args, opts = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26, env, ...opts });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (!(opts.ok ?? [0]).includes(r.status)) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
  return { s, out: r.stdout };
}
/** `time` under GNU time: also the CPU seconds (user + system) of the run and everything it waited for. */
function timeCpu(cmd, args, opts = {}) {
  const out = path.join(tmp, 'cpu.txt');
  const r = time('/usr/bin/time', ['-f', '%U %S', '-o', out, cmd, ...args], opts);
  const [user, sys] = readFileSync(out, 'utf8').trim().split('\n').pop().split(' ').map(Number);
  return { ...r, cpu: user + sys };
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (s) => `${(s * 1000).toFixed(0)} ms`;
function bytesOf(dir) {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) n += statSync(path.join(e.parentPath ?? e.path, e.name)).size;
  }
  return n;
}

try {
  const tree = path.join(tmp, 'kubernetes');
  execFileSync('git', ['clone', '-q', '--branch', TAG, url, tree], { stdio: 'pipe' });
  console.log(
    `tree: ${TAG} from ${url}, ${execFileSync('git', ['ls-files'], { cwd: tree, encoding: 'utf8', maxBuffer: 1 << 26 }).split('\n').length - 1} files`,
  );

  // --- scan -------------------------------------------------------------------------------------
  const grepArgs = ['grep', '-l', 'EnableKernelMemoryAccounting'];
  const scanArgs = [BIN, 'scan', '--src', tree, '--json'];
  time('git', grepArgs, { cwd: tree });
  const first = JSON.parse(time(process.execPath, scanArgs).out);
  if (first.verdict !== 'affected') throw new Error(`scan said ${first.verdict}`);
  const grep = [];
  const scan = [];
  const version = [];
  const node0 = [];
  for (let i = 0; i < RUNS; i++) {
    grep.push(time('git', grepArgs, { cwd: tree }).s);
    scan.push(time(process.execPath, scanArgs).s);
    node0.push(time(process.execPath, ['-e', '0']).s);
    version.push(time(process.execPath, [BIN, 'scan', '--src', path.join(tmp, 'missing')], { ok: [2] }).s);
  }
  const g = median(grep);
  const sc = median(scan);
  console.log(
    `scan: git grep -l ${ms(g)}, kpatch scan ${ms(sc)} (medians of ${RUNS}): ${(sc / g).toFixed(2)}x (target <= 1.2x: ${sc / g <= 1.2 ? 'met' : 'MISSED'})`,
  );
  console.log(
    `      start-up: node -e 0 ${ms(median(node0))}, kpatch scan --src <missing> ${ms(median(version))}; scan minus start-up ${ms(sc - median(version))}`,
  );

  // --- fetch ------------------------------------------------------------------------------------
  const fetched = JSON.parse(time(process.execPath, [BIN, 'fetch', '--json', '--k8s', TAG, '--repo', url]).out);
  const clone = path.join(tmp, 'shallow');
  time('git', ['clone', '-q', '--depth', '1', '--branch', TAG, url, clone]);
  const cacheBytes = bytesOf(fetched.cacheRepo);
  const cloneBytes = bytesOf(path.join(clone, '.git'));
  console.log(
    `fetch: kpatch cache repository ${(cacheBytes / 1e6).toFixed(1)} MB, git clone --depth 1 .git ${(cloneBytes / 1e6).toFixed(1)} MB: ${(cacheBytes / cloneBytes).toFixed(3)}x (target <= 1.05x: ${cacheBytes / cloneBytes <= 1.05 ? 'met' : 'MISSED'})`,
  );
  rmSync(clone, { recursive: true, force: true });

  // --- build ------------------------------------------------------------------------------------
  if (BUILD) {
    const home = path.join(tmp, 'home');
    mkdirSync(home);
    const built = timeCpu(
      process.execPath,
      [BIN, 'build', '--k8s', TAG, '--repo', url, '--runner', 'local', '--out', path.join(tmp, 'out')],
      {
        env: { ...env, HOME: home },
      },
    );
    // The same by hand, each step timed: a shallow clone of the tag, the fix applied in place
    // with kpatch patch, and the same make with an empty Go cache and the same version file.
    const byHand = path.join(tmp, 'by-hand');
    const cloned = timeCpu('git', ['clone', '-q', '--depth', '1', '--branch', TAG, url, byHand]);
    const patched = timeCpu(process.execPath, [BIN, 'patch', '--src', byHand]);
    const versionFile = path.join(tmp, 'version.env');
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: byHand, encoding: 'utf8' }).trim();
    writeFileSync(
      versionFile,
      `KUBE_GIT_VERSION='${TAG}+kpatch.guard'\nKUBE_GIT_TREE_STATE='clean'\nKUBE_GIT_COMMIT='${commit}'\nKUBE_GIT_MAJOR='1'\nKUBE_GIT_MINOR='20'\n`,
    );
    const home2 = path.join(tmp, 'home2');
    mkdirSync(home2);
    const make = timeCpu('make', ['WHAT=cmd/kubelet', 'KUBE_BUILD_PLATFORMS=linux/amd64'], {
      cwd: byHand,
      env: { ...process.env, HOME: home2, KUBE_GIT_VERSION_FILE: versionFile },
    });
    const hand = { s: cloned.s + patched.s + make.s, cpu: cloned.cpu + patched.cpu + make.cpu };
    const over = built.s - hand.s;
    const overCpu = built.cpu - hand.cpu;
    const steps = (k) => `clone ${cloned[k].toFixed(1)} + patch ${patched[k].toFixed(1)} + make ${make[k].toFixed(1)}`;
    console.log(
      `build: wall: kpatch build ${built.s.toFixed(1)} s, by hand ${hand.s.toFixed(1)} s (${steps('s')}): overhead ${over.toFixed(1)} s = ${((over / built.s) * 100).toFixed(1)}% (load ${os.loadavg()[0].toFixed(1)})`,
    );
    console.log(
      `       CPU:  kpatch build ${built.cpu.toFixed(1)} s, by hand ${hand.cpu.toFixed(1)} s (${steps('cpu')}): overhead ${overCpu.toFixed(1)} s = ${((overCpu / built.cpu) * 100).toFixed(1)}% (target < 2 s and < 5%)`,
    );
  } else {
    console.log('build: skipped (--build runs two real kubelet builds)');
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
