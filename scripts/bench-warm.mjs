#!/usr/bin/env node
// Benchmark (issue 13 §3): does a second `kpatch build` of a real release reuse the Go build cache?
// On the real Kubernetes v1.20.2 (scripts/real-release.sh; its hack/lib/golang.sh exports
// GOCACHE="${KUBE_GOPATH}/cache" inside the tree), in one run, with one fresh kpatch cache:
//   cold: `kpatch build --k8s v1.20.2 --repo <file url> --runner local` (empty Go build cache);
//   warm: the same command again (new work tree, new --out), same cache.
// Prints both times, warm/cold (target: at most 0.35x), the size of the runner's Go build cache
// after each build, and whether the two kubelets are bit-identical.
// Needs `npx tsc -p .` first (it runs the real bin), go, make, rsync and gcc on the host.
// Usage: node scripts/bench-warm.mjs [--tag v1.20.2] [--keep]
// A real build takes minutes and about 1.4 GB of memory: run it on an otherwise idle machine.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(REPO, 'bin/kpatch.js');
const argv = process.argv.slice(2);
const TAG = argv.includes('--tag') ? argv[argv.indexOf('--tag') + 1] : 'v1.20.2';
const KEEP = argv.includes('--keep');

const envLines = execFileSync('bash', [path.join(REPO, 'scripts/real-release.sh'), 'env'], { encoding: 'utf8' });
const url = /^KPATCH_REAL_K8S_URL=(.+)$/m.exec(envLines)?.[1];
if (!url) throw new Error(`scripts/real-release.sh env printed no KPATCH_REAL_K8S_URL:\n${envLines}`);

const tmp = mkdtempSync(path.join(process.env.TMPDIR ?? '/var/tmp', 'kpatch-bench-warm-'));
const cache = path.join(tmp, 'cache');
const env = { ...process.env, CI: '1', KPATCH_CACHE_DIR: cache };
const goBuild = path.join(cache, 'build', 'local', 'go-build');

function kpatch(args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8', maxBuffer: 1 << 28 });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`kpatch ${args.join(' ')} exited ${r.status}:\n${r.stderr.split('\n').slice(-40).join('\n')}`);
  return s;
}

/** Bytes and files under dir (0 when missing). */
function du(dir) {
  let bytes = 0;
  let files = 0;
  const walk = (d) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        bytes += statSync(p).size;
        files += 1;
      }
    }
  };
  walk(dir);
  return { bytes, files };
}

const sha = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');
const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;
const fmt = (s) => `${Math.floor(s / 60)}m${(s % 60).toFixed(1).padStart(4, '0')}s`;

try {
  console.log(`kpatch build --k8s ${TAG} --runner local, cold then warm; cache ${cache}`);
  // The tag cache is filled first: fetching is bench-fetch's subject, not this one's.
  kpatch(['fetch', '--k8s', TAG, '--repo', url, '--no-keep']);
  const build = (out) => kpatch(['build', '--k8s', TAG, '--repo', url, '--runner', 'local', '--out', path.join(tmp, out)]);

  const cold = build('cold');
  const afterCold = du(goBuild);
  console.log(`cold: ${fmt(cold)}  Go build cache after: ${mb(afterCold.bytes)} in ${afterCold.files} files`);
  const warm = build('warm');
  const afterWarm = du(goBuild);
  console.log(`warm: ${fmt(warm)}  Go build cache after: ${mb(afterWarm.bytes)} in ${afterWarm.files} files`);

  const kubelet = (out) => path.join(tmp, out, 'linux-amd64', 'kubelet');
  const same = sha(kubelet('cold')) === sha(kubelet('warm'));
  const ratio = warm / cold;
  console.log('');
  console.log('| | time | Go build cache after |');
  console.log('|---|---|---|');
  console.log(`| cold (empty cache) | ${fmt(cold)} | ${mb(afterCold.bytes)} |`);
  console.log(`| warm (second build, new work tree) | ${fmt(warm)} | ${mb(afterWarm.bytes)} |`);
  console.log(`| warm / cold | ${ratio.toFixed(2)}x (target <= 0.35x) | |`);
  console.log(`kubelets bit-identical: ${same ? 'yes' : 'no'}`);
  console.log(
    `host: ${os.cpus().length} CPUs, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} at the end`,
  );
  process.exitCode = ratio <= 0.35 ? 0 : 1;
} finally {
  if (KEEP) console.log(`kept ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
}
