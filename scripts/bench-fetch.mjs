#!/usr/bin/env node
// Benchmark: the tag cache of `kpatch fetch` (issue 3), in one run, on a
// generated remote with many releases and a long history:
//   (a) bytes the cache holds after `kpatch fetch` of one tag, against the
//       .git of `git clone --depth 1 --branch TAG` of the same tag (target <= 1.05x);
//   (b) wall time of a second `kpatch fetch` of the cached tag, against
//       `git worktree add` of the same commit by hand (target <= 1.2x);
//   (c) no network on the cached path: the remote is renamed away and every
//       git call is recorded; none may be fetch, ls-remote or clone.
// Usage: node scripts/bench-fetch.mjs [--files 18000] [--commits 2000] [--releases 40] [--runs 5] [--keep-dir]
// Needs dist/ (npx tsc -p .) and git. Writes only under a temporary folder.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const FILES = opt('files', 18000);
const COMMITS = opt('commits', 2000);
const RELEASES = opt('releases', 40);
const RUNS = opt('runs', 5);
const FILES_PER_COMMIT = 8;
const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/kpatch.js');
const GIT = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();

const root = mkdtempSync(path.join(os.tmpdir(), 'kpatch-bench-fetch-'));
const env = {
  PATH: process.env.PATH,
  HOME: root,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: path.join(root, 'gitconfig'),
  LANG: 'C',
};
const git = (cwd, ...a) => execFileSync(GIT, a, { cwd, env, encoding: 'utf8', maxBuffer: 1 << 26 });

// --- a remote shaped like Kubernetes: ~18k source files, a long history, many releases ---------
let seed = 42;
// Math.imul keeps the LCG exact (a plain * loses low bits past 2^53 and cycles early).
const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
const WORDS =
  'func return err nil if else for range package import struct interface string int64 error context ctx cgroup memory kubelet pod container path config value result manager state status node volume'.split(
    ' ',
  );
const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
function ident() {
  let s = '';
  const n = 3 + Math.floor(rand() * 6);
  for (let i = 0; i < n; i++) s += ALNUM[Math.floor(rand() * ALNUM.length)];
  return s;
}
function goFile(n) {
  const lines = [`package p${n % 500}`, '', 'import "fmt"', ''];
  const target = 2000 + Math.floor(rand() * 14000);
  let size = 0;
  while (size < target) {
    let l = '\t';
    const w = 4 + Math.floor(rand() * 8);
    for (let i = 0; i < w; i++) {
      // Words plus random identifiers: compresses about 4x, like real Go source.
      l += i % 2 === 0 ? WORDS[Math.floor(rand() * WORDS.length)] + ' ' : `${ident()} `;
    }
    lines.push(l);
    size += l.length + 1;
  }
  return lines.join('\n') + '\n';
}
const fileName = (i) => `${i % 3 === 0 ? 'vendor/github.com/x' : i % 3 === 1 ? 'pkg' : 'staging/src/k8s.io'}/d${i % 900}/f${i}.go`;

async function generateRemote() {
  const work = path.join(root, 'gen.git');
  git(root, 'init', '--quiet', '--bare', work);
  // One fast-import process for the whole history: marks and the branch tip carry over.
  const fi = spawn(GIT, ['fast-import', '--quiet'], { cwd: work, env, stdio: ['pipe', 'ignore', 'inherit'] });
  const finished = new Promise((resolve, reject) =>
    fi.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`fast-import exited ${code}`)))),
  );
  const emit = async (s) => {
    if (!fi.stdin.write(s)) await new Promise((r) => fi.stdin.once('drain', r));
  };
  const data = (s) => `data ${Buffer.byteLength(s)}\n${s}\n`;
  let mark = 0;
  let when = 1_500_000_000;
  const commitHeader = (msg) => {
    mark++;
    when += 3600;
    return `commit refs/heads/master\nmark :${mark}\ncommitter Bench <bench@kpatch.invalid> ${when} +0000\n${data(msg)}`;
  };
  await emit(commitHeader('initial tree'));
  for (let i = 0; i < FILES; i++) await emit(`M 100644 inline ${fileName(i)}\n${data(goFile(i))}`);
  const every = Math.max(1, Math.floor(COMMITS / RELEASES));
  const tags = [];
  for (let c = 1; c <= COMMITS; c++) {
    let b = commitHeader(`change ${c}`);
    for (let k = 0; k < FILES_PER_COMMIT; k++) {
      const i = Math.floor(rand() * FILES);
      b += `M 100644 inline ${fileName(i)}\n${data(goFile(i + c))}`;
    }
    await emit(b);
    if (c % every === 0 && tags.length < RELEASES) {
      const n = tags.length;
      const tag = `v1.${8 + Math.floor(n / 10)}.${n % 10}`;
      tags.push(tag);
      // Releases alternate between annotated and lightweight tags, as real repositories do.
      if (n % 2 === 0)
        await emit(`tag ${tag}\nfrom :${mark}\ntagger Bench <bench@kpatch.invalid> ${when} +0000\n${data(`Kubernetes ${tag}`)}`);
      else await emit(`reset refs/tags/${tag}\nfrom :${mark}\n\n`);
    }
  }
  fi.stdin.end();
  await finished;
  git(work, 'repack', '-a', '-d', '--quiet');
  return { bare: work, tags };
}

// --- helpers --------------------------------------------------------------------------------------
function bytesOf(dir) {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) n += statSync(path.join(e.parentPath ?? e.path, e.name)).size;
  }
  return n;
}
function timed(cmd, args, extraEnv = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env: { ...env, ...extraEnv }, encoding: 'utf8', maxBuffer: 1 << 26 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { ms, out: r.stdout };
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = (b) => `${(b / 1e6).toFixed(1)} MB`;
const fmtRatio = (r, target) => `${r.toFixed(3)}x (target <= ${target}x: ${r <= target ? 'met' : 'MISSED'})`;

// --- run --------------------------------------------------------------------------------------------
const t0 = Date.now();
const remote = await generateRemote();
const url = `file://${remote.bare}`;
const tag = remote.tags[Math.floor(remote.tags.length / 2)];
const remoteBytes = bytesOf(remote.bare);
console.log(
  `remote: ${FILES} files, ${COMMITS} commits, ${remote.tags.length} releases, ${mb(remoteBytes)} on disk (generated in ${((Date.now() - t0) / 1000).toFixed(1)} s); tag ${tag}`,
);

// (a) cache bytes against a shallow clone of the same tag.
const cache = path.join(root, 'cache');
const first = timed(process.execPath, [BIN, 'fetch', '--json', '--k8s', tag, '--repo', url, '--cache-dir', cache]);
const fetched = JSON.parse(first.out);
const cloneDir = path.join(root, 'clone');
const clone = timed(GIT, ['clone', '--quiet', '--depth', '1', '--branch', tag, url, cloneDir]);
const cacheBytes = bytesOf(fetched.cacheRepo);
const cloneBytes = bytesOf(path.join(cloneDir, '.git'));
const packBytes = (d) => bytesOf(path.join(d, 'objects'));
console.log(`(a) first fetch ${first.ms.toFixed(0)} ms, git clone --depth 1 ${clone.ms.toFixed(0)} ms`);
console.log(
  `    cache repository ${mb(cacheBytes)} (objects ${mb(packBytes(fetched.cacheRepo))}); clone .git ${mb(cloneBytes)} (objects ${mb(packBytes(path.join(cloneDir, '.git')))})`,
);
const ratioA = cacheBytes / cloneBytes;
console.log(`    bytes ratio kpatch/clone: ${fmtRatio(ratioA, 1.05)}`);
git(fetched.cacheRepo, 'worktree', 'remove', '--force', fetched.path);
rmSync(cloneDir, { recursive: true, force: true });

// The remote goes away for everything below: the cached path must not need it.
renameSync(remote.bare, remote.bare + '.away');

// (b) second fetch of the cached tag against `git worktree add` by hand, alternating.
const kp = [];
const hand = [];
for (let i = 0; i < RUNS; i++) {
  const r = timed(process.execPath, [BIN, 'fetch', '--json', '--k8s', tag, '--repo', url, '--cache-dir', cache]);
  const j = JSON.parse(r.out);
  if (!j.cached) throw new Error('second fetch was not served from the cache');
  kp.push(r.ms);
  git(fetched.cacheRepo, 'worktree', 'remove', '--force', j.path);
  const p = path.join(root, `by-hand-${i}`);
  hand.push(timed(GIT, ['-C', fetched.cacheRepo, 'worktree', 'add', '--detach', '--quiet', p, fetched.commit]).ms);
  git(fetched.cacheRepo, 'worktree', 'remove', '--force', p);
}
// The machine is shared: best-of-N is the least noisy estimate of each cost; medians are shown too.
const ratioB = Math.min(...kp) / Math.min(...hand);
const startup = median([0, 1, 2].map(() => timed(process.execPath, [BIN, '--version']).ms));
console.log(
  `(b) cached fetch: kpatch best ${Math.min(...kp).toFixed(0)} ms, median ${median(kp).toFixed(0)} ms [${kp.map((x) => x.toFixed(0)).join(', ')}]`,
);
console.log(
  `    git worktree add by hand: best ${Math.min(...hand).toFixed(0)} ms, median ${median(hand).toFixed(0)} ms [${hand.map((x) => x.toFixed(0)).join(', ')}]`,
);
console.log(`    kpatch --version alone (node start-up): ${startup.toFixed(0)} ms`);
console.log(
  `    time ratio kpatch/by hand (best of ${RUNS}): ${fmtRatio(ratioB, 1.2)}; medians ${(median(kp) / median(hand)).toFixed(3)}x`,
);

// (c) every git call on the cached path, recorded by a shim first on PATH.
const shimDir = path.join(root, 'shim');
const log = path.join(root, 'git-calls.log');
execFileSync('mkdir', ['-p', shimDir]);
writeFileSync(path.join(shimDir, 'git'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec '${GIT}' "$@"\n`);
chmodSync(path.join(shimDir, 'git'), 0o755);
const r = timed(process.execPath, [BIN, 'fetch', '--json', '--k8s', tag, '--repo', url, '--cache-dir', cache], {
  PATH: `${shimDir}:${env.PATH}`,
});
const calls = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
// The subcommand is the first word that is not an option (or the value of -c).
const subcommand = (line) => {
  const w = line.split(' ');
  for (let i = 0; i < w.length; i++) {
    if (w[i] === '-c' || w[i] === '-C') i++;
    else if (!w[i].startsWith('-')) return w[i];
  }
  return '';
};
const network = calls.filter((c) => ['fetch', 'ls-remote', 'clone', 'pull', 'fetch-pack', 'remote'].includes(subcommand(c)));
console.log(
  `(c) cached path with the remote renamed away: ok=${JSON.parse(r.out).cached}; git calls: ${calls.map(subcommand).join(', ')}; network calls: ${network.length}`,
);

if (!argv.includes('--keep-dir')) rmSync(root, { recursive: true, force: true });
else console.log(`left in ${root}`);
const ok = ratioA <= 1.05 && ratioB <= 1.2 && network.length === 0;
console.log(ok ? 'all targets met' : 'TARGET MISSED');
process.exitCode = ok ? 0 : 1;
