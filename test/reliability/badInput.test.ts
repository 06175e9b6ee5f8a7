/**
 * Every bad input gets a clear error, the right exit code, and changes
 * nothing on disk: one table, one row per input, run through the real
 * executable (bin/kpatch.js) with real git, make, Go and podman.
 *
 * Each row gives the command line (and any set-up), the exit code and a
 * fragment of the message. For every row the test also checks that
 *   - the stand-in source tree the row works on (a git checkout of v1.12.4),
 *     the tag cache and the folder --out lives in are unchanged: every file's
 *     content, mode and mtime; for exit 2 (a usage error: "nothing was
 *     started") even the folders' mtimes (see fsSnapshot.ts);
 *   - no process kpatch started is still running (processes.ts);
 *   - the message is kpatch's own (`kpatch: error[id]`), never a stack trace.
 *
 * How the hard cases are made (the suite runs as root in CI):
 *   - unreadable files: permissions do not stop root, so those rows run
 *     kpatch as the user nobody (uid 65534) on a chmod 000 file or folder;
 *   - read-only target file: `chattr +i` (e2fsprogs; skipped where the file
 *     system has no immutable flag); read-only target folder: a read-only
 *     bind mount; read-only --out parent: a read-only tmpfs; full disk: a
 *     64 KiB tmpfs as the --out parent;
 *   - missing programs: PATH is a folder holding links to only what the row
 *     keeps (git, go, make, ...);
 *   - an engine installed but not running: the docker client with
 *     DOCKER_HOST at a socket nothing listens on, and podman --remote at one;
 *   - a remote that hangs: a TCP listener on 127.0.0.1 that accepts and never
 *     answers, as git:// and http:// URLs, with --timeout 2;
 *   - a successful or failing make without a long build: a `make` on PATH
 *     (a small node script) that prints, fails, or writes a large kubelet;
 *   - Ctrl-C: SIGINT to the kpatch process while it is in the stage the row
 *     names. In the patch stage kpatch is held on a target that is a link to
 *     a FIFO, which the test feeds only after the SIGINT; in the build stage
 *     the signal comes once the compiler (local) or the container (podman)
 *     runs, on a cache whose Go build cache is cold.
 *
 * To add a row: append to CASES. `exit` and `message` are required; give
 * `setup` for files, mounts and modes, `path` to drop programs, `interrupt`
 * for Ctrl-C, `cache: 'fresh'` for a cache of the row's own, and
 * `cacheMayChange` for what the row may leave in the cache (a failed
 * build's log under logs/, the Go build cache under build/).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostNeeds } from '../../src/pipeline/runners/hostTools.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { freePort, importShellOnlyImage } from '../helpers/loopbackRegistry.js';
import { makeRuncStandinRemote } from '../helpers/runc-standin-repo.js';
import {
  makeStandinRemote,
  materializeStandin,
  STANDIN_MEMORY_GO,
  STANDIN_RUNC_FS_DIR,
  type StandinRemote,
} from '../helpers/standin-repo.js';
import { compareSnapshots, snapshotDir, type Snapshot } from '../helpers/fsSnapshot.js';
import {
  addNestedRunc,
  commitEdits,
  linkFolderOut,
  linkFsFolder,
  NESTED_RUNC,
  replaceCall,
  replaceTopRunc,
} from '../helpers/sitesSetups.js';
import { hangListener, MARK_VAR, markedProcesses, startKpatch, waitFor, type HangListener, type Running } from '../helpers/processes.js';
import { linkSync, utimesSync } from 'node:fs'; // for the rows of section "patch and diff keep the user's files"
import { artifactFolder, artifactsOf, KUBELET, manyFilesRemote } from '../helpers/untrusted.js';
import { makeFakeNode } from '../helpers/fakeNode.js';

/** Every program the local runner checks for a kubelet build (hostTools.ts). */
const HOST_TOOLS = hostNeeds('kubelet').map((n) => n.program);
const IS_ROOT = process.getuid?.() === 0;
const NOBODY = 65534;
const PODMAN_IMAGE = 'localhost/kpatch/kube-cross:local';

const ROOT = mkdtempSync(path.join(os.tmpdir(), 'kpatch-badinput-'));
chmodSync(ROOT, 0o755); // rows run as nobody must reach their trees
const HOME = path.join(ROOT, 'home');
const SHARED_CACHE = path.join(ROOT, 'cache');
let remote: StandinRemote;
let runcUrl = '';
let hang: HangListener;
const cleanups: (() => void)[] = [];

/** Everything a row can refer to. */
interface Sandbox {
  /** The row's own folder. */
  dir: string;
  /** A git checkout of the stand-in v1.12.4 (committed, clean); also kpatch's working folder. */
  tree: string;
  /** The folder --out lives in (empty); `${out}/artifacts` is the usual --out. */
  out: string;
  /** The tag cache the row runs with. */
  cache: string;
  /** `file://` URL of the stand-in Kubernetes remote. */
  url: string;
  /** `file://` URL of the stand-in runc remote. */
  runcUrl: string;
  /** Port of the listener that never answers. */
  hangPort: number;
  /** Extra environment set by `setup`. */
  env: Record<string, string>;
}

/** One bad input. */
interface Case {
  name: string;
  args: (s: Sandbox) => string[];
  exit: number;
  /** A fragment of stderr. */
  message: string;
  setup?: (s: Sandbox) => void | Promise<void>;
  /** Programs on PATH (linked into a folder of their own); default: the real PATH. */
  path?: string[];
  /** Run kpatch as nobody (uid 65534) when the test runs as root. */
  asNobody?: boolean;
  /** kpatch's working folder: the tree (default, so a path taken for "." shows up as a change) or the row's folder. */
  cwd?: 'tree' | 'dir';
  /** 'fresh': a cache of the row's own, primed like the shared one (see primeCache), with a cold Go build cache. */
  cache?: 'shared' | 'fresh';
  /** What the row may leave in the cache: prefixes ending in '/' (logs/, build/) or exact paths. */
  cacheMayChange?: string[];
  /** Waits for the stage to interrupt and sends SIGINT (and whatever must follow it). */
  interrupt?: (s: Sandbox, run: Running) => Promise<void>;
  /** Skipped (with the reason) when this returns a string. */
  skip?: () => string | undefined;
  /** kpatch's stdout: 'closed' (the reader went away, as with `| head -1`) or 'full' (/dev/full: every write fails with ENOSPC). */
  stdout?: 'closed' | 'full';
  /**
   * Where `message` is: stderr (default; a non-zero exit must then come with
   * kpatch's own error line), or stdout, for a report that is not an error
   * (doctor's `unknown`, whose exit status is the answer).
   */
  messageOn?: 'stdout';
  /** The run must end on its own within this many seconds (for inputs that used to hang it); it is killed (SIGKILL) after twice that. */
  within?: number;
}

const FS_DIR = (s: Sandbox) => path.join(s.tree, STANDIN_RUNC_FS_DIR);
const MEMORY_GO = (s: Sandbox) => path.join(s.tree, STANDIN_MEMORY_GO);
const ART = (s: Sandbox) => path.join(s.out, 'artifacts');
const fetch = (s: Sandbox, ...more: string[]) => ['fetch', '--k8s', 'v1.12.4', '--repo', s.url, '--no-keep', ...more];
const build = (s: Sandbox, ...more: string[]) => ['build', '--k8s', 'v1.12.4', '--repo', s.url, '--out', ART(s), ...more];
/** What a failed or interrupted build may leave in the cache: its log, the Go build cache, the empty folder of version stamps. */
const BUILD_LEFTOVERS = ['logs', 'logs/', 'build', 'build/', 'tmp'];

function sh(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: 'pipe' });
}

function mountTmpfs(dir: string, options: string): void {
  sh('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]);
  cleanups.push(() => spawnSync('umount', ['-l', dir]));
}

function chattrWorks(): string | undefined {
  if (!IS_ROOT) return 'needs root';
  const probe = path.join(ROOT, 'chattr-probe');
  writeFileSync(probe, '');
  const r = spawnSync('chattr', ['+i', probe]);
  spawnSync('chattr', ['-i', probe]);
  return r.status === 0 ? undefined : `chattr +i does not work here: ${r.error?.message ?? r.stderr}`;
}
const needsRoot = () => (IS_ROOT ? undefined : 'needs root (mount)');

/** A `make` for rows that need make to fail, or to succeed quickly with a given output: KPATCH_FAKE_MAKE says which. */
function fakeMake(dir: string): void {
  writeFileSync(
    path.join(dir, 'make'),
    `#!${process.execPath}
const fs = require('node:fs');
const how = process.env.KPATCH_FAKE_MAKE;
if (how === 'fail') {
  console.log('+++ [stand-in make] Building go targets for linux/amd64');
  console.error('pkg/kubelet/kubelet.go:42:2: undefined: brokenThing');
  process.exit(2);
}
const lines = how === 'big-log' ? 4000 : 3;
for (let i = 0; i < lines; i++) console.log('stand-in make: compiling package ' + i + ' of the kubelet, a line long enough to fill a small disk');
fs.mkdirSync('_output/local/bin/linux/amd64', { recursive: true });
fs.writeFileSync('_output/local/bin/linux/amd64/kubelet', Buffer.alloc(how === 'big-kubelet' ? 300 * 1024 : 1024));
`,
  );
  chmodSync(path.join(dir, 'make'), 0o755);
}

/**
 * A `make` wrapper for the rows on build --src, first on PATH: what `how`
 * says (rewrite a tracked file as Kubernetes' generators do, fail, sleep,
 * write no kubelet, or put an old one in place with its mtime), in the
 * tree make runs in; 'rewrite-sleep' says when it started.
 */
function srcMake(s: Sandbox, how: 'rewrite-fail' | 'rewrite-sleep' | 'none' | 'old'): void {
  const dir = path.join(s.dir, 'srcmake');
  mkdirSync(dir, { recursive: true });
  const old = path.join(s.dir, 'old-kubelet');
  writeFileSync(old, 'old kubelet\n');
  const steps = {
    'rewrite-fail': `printf '\\n// regenerated\\n' >> pkg/version/base.go; echo 'pkg/kubelet/kubelet.go:42:2: undefined: brokenThing' >&2; exit 2`,
    'rewrite-sleep': `printf '\\n// regenerated\\n' >> pkg/version/base.go; : > '${path.join(s.dir, 'make-started')}'; exec sleep 120`,
    none: `echo 'nothing to be done'; exit 0`,
    old: `mkdir -p _output/local/bin/linux/amd64 && touch -d 2020-01-01 '${old}' && cp -p '${old}' _output/local/bin/linux/amd64/kubelet; exit 0`,
  }[how];
  writeFileSync(path.join(dir, 'make'), `#!/bin/sh\n${steps}\n`);
  chmodSync(path.join(dir, 'make'), 0o755);
  s.env.PATH = `${dir}:${process.env.PATH ?? '/usr/bin:/bin'}`;
}

/** A folder with links to only `programs` (and the fake make when 'fake-make' is listed). */
function binDir(s: Sandbox, programs: string[]): string {
  const dir = path.join(s.dir, 'bin');
  mkdirSync(dir, { recursive: true });
  const withToolchain = programs.includes('fake-make')
    ? ['fake-make', ...programs.filter((p) => p !== 'fake-make'), ...HOST_TOOLS.filter((p) => p !== 'make')]
    : programs;
  for (const p of withToolchain) {
    if (p === 'fake-make') fakeMake(dir);
    else if (existsSync(path.join(dir, p))) continue;
    else symlinkSync(execFileSync('sh', ['-c', `command -v ${p}`], { encoding: 'utf8' }).trim(), path.join(dir, p));
  }
  return dir;
}

/**
 * A fake el7 node at `<row dir>/node` (kmem on, no binaries: `vulnerable`
 * when every file is sound) whose node file `rel` is a FIFO or a link to /dev/zero.
 */
function hostileNode(s: Sandbox, rel: string, kind: 'fifo' | 'zero'): void {
  const made = makeFakeNode({ mode: 'v1', kernel: '3.10.0-1160.el7.x86_64', cgroups: { kubepods: 'on' }, base: s.dir });
  const root = path.join(s.dir, 'node');
  renameSync(made, root);
  const file = path.join(root, rel);
  rmSync(file, { force: true });
  if (kind === 'fifo') sh('mkfifo', [file]);
  else symlinkSync('/dev/zero', file);
}

/** Replaces memory.go by a link to `target` (relative to the link's folder, or absolute). */
function linkMemoryGo(s: Sandbox, target: string): void {
  rmSync(MEMORY_GO(s));
  symlinkSync(target, MEMORY_GO(s));
}

/**
 * Holds kpatch in the patch stage: a second target file is a link to a FIFO,
 * so reading the targets blocks until the test writes into it.
 */
function fifoTarget(s: Sandbox): void {
  sh('mkfifo', [path.join(s.tree, 'hold.fifo')]);
  symlinkSync(path.relative(FS_DIR(s), path.join(s.tree, 'hold.fifo')), path.join(FS_DIR(s), 'zz_hold.go'));
}

/**
 * Waits until kpatch is blocked reading the FIFO, sends SIGINT, then feeds
 * the FIFO (a one-line Go file) whenever kpatch reads it, until it exits.
 */
async function interruptWhileReadingFifo(s: Sandbox, run: Running): Promise<void> {
  const fifo = path.join(s.tree, 'hold.fifo');
  const writer = (): number | undefined => {
    try {
      return openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK); // ENXIO until a reader has it open
    } catch {
      return undefined;
    }
  };
  let fd: number | undefined;
  await waitFor(() => (fd = writer()) !== undefined, 30_000, 'kpatch to open the held target');
  run.child.kill('SIGINT');
  await new Promise((r) => setTimeout(r, 300));
  let exited = false;
  void run.done.then(() => (exited = true));
  while (!exited) {
    if (fd !== undefined) {
      writeSync(fd, 'package fs\n');
      closeSync(fd);
    }
    await new Promise((r) => setTimeout(r, 100));
    fd = exited ? undefined : writer();
  }
  if (fd !== undefined) closeSync(fd);
}

/** Waits until a process of this run whose command line matches `re` is running, lets it work `ms`, then sends SIGINT. */
async function interruptWhenRunning(run: Running, marker: string, re: RegExp, ms: number, what: string): Promise<void> {
  await waitFor(() => markedProcesses(marker).some((p) => re.test(p)), 120_000, what);
  await new Promise((r) => setTimeout(r, ms));
  run.child.kill('SIGINT');
}

/** Sends `signal` once kpatch has run `ms` (for stages with nothing to wait for, e.g. a long read). */
async function signalAfter(run: Running, signal: NodeJS.Signals, ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
  run.child.kill(signal);
}

/** Sends `signal` once git has connected to the remote that never answers. */
async function signalOnConnect(run: Running, signal: NodeJS.Signals): Promise<void> {
  const seen = hang.accepted();
  await waitFor(() => hang.accepted() > seen, 30_000, 'git to connect to the remote');
  run.child.kill(signal);
}

/** Puts the many-files release in the row's cache, so the row's run only checks it out. */
const primedManyFiles = new Set<string>();
function primeManyFiles(s: Sandbox): void {
  if (primedManyFiles.has(s.cache)) return;
  primedManyFiles.add(s.cache);
  // Fetched, and a tree made and removed (as primeCache does, without scanning 20,000 files), so its folders exist.
  const r = spawnSync(
    process.execPath,
    [path.join(REPO_ROOT, 'bin/kpatch.js'), 'fetch', '--k8s', 'v1.12.4', '--repo', manyFilesRemote(ROOT), '--json'],
    { env: baseEnv(s.cache, 'prime'), encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`kpatch fetch: ${r.stderr}`);
  const doc = JSON.parse(r.stdout) as { path: string; cacheRepo: string };
  rmSync(doc.path, { recursive: true, force: true });
  git(doc.cacheRepo, ['worktree', 'prune']);
  mkdirSync(path.join(doc.cacheRepo, 'worktrees')); // as kpatch leaves it after removing a tree
}

/** Sends `signal` while git writes the work tree of the many-files release (a checkout of 20,000 files). */
async function signalDuringCheckout(s: Sandbox, run: Running, signal: NodeJS.Signals): Promise<void> {
  await waitFor(
    () => markedProcesses(s.env[MARK_VAR]).some((p) => /git.* (reset|checkout|read-tree)\b/.test(p)),
    60_000,
    'git to check the tree out',
  );
  await new Promise((r) => setTimeout(r, 500));
  run.child.kill(signal);
}

/** podman as the tests run it here (README, "This machine"). */
const PODMAN_ENV = { KPATCH_PODMAN_ARGS: '--runtime /usr/sbin/runc', CONTAINERS_CONF: path.join(REPO_ROOT, 'scripts/ci/containers.conf') };
function podman(args: string[]): string {
  return execFileSync('podman', ['--runtime', '/usr/sbin/runc', ...args], {
    env: { ...process.env, ...PODMAN_ENV },
    encoding: 'utf8',
    stdio: 'pipe',
  });
}
/** kpatch build containers (any state) with a mount under `dir`. */
function containersUnder(dir: string): string[] {
  return podman(['ps', '-a', '--format', '{{.Names}}'])
    .split('\n')
    .filter((n) => n.startsWith('kpatch-build-'))
    .filter((n) => {
      try {
        return podman(['inspect', '--format', '{{range .Mounts}}{{.Source}} {{end}}', n]).includes(dir);
      } catch {
        return false;
      }
    });
}
const podmanInstalled = () => (spawnSync('sh', ['-c', 'command -v podman']).status === 0 ? undefined : 'podman is not installed');
/** A loopback HOST:PORT nothing listens on, for a registry that refuses (set by the row's setup). */
let deadRegistry = '';
let podmanReady: string | undefined | null = null;
function podmanImage(): string | undefined {
  if (podmanReady !== null) return podmanReady;
  if (spawnSync('sh', ['-c', 'command -v podman']).status !== 0) return (podmanReady = 'podman is not installed');
  execFileSync('bash', [path.join(REPO_ROOT, 'scripts/ci/podman-image.sh'), PODMAN_IMAGE], { stdio: 'pipe', timeout: 600_000 });
  return (podmanReady = undefined);
}

const CASES: Case[] = [
  // --- the command line itself -------------------------------------------------------------
  { name: 'no command', args: () => [], exit: 2, message: 'say which command to run' },
  { name: 'unknown command', args: () => ['frobnicate'], exit: 2, message: 'Unknown argument: frobnicate' },
  { name: 'unknown flag', args: (s) => ['scan', '--src', s.tree, '--bogus'], exit: 2, message: 'Unknown argument: bogus' },
  { name: 'scan without --src or --k8s', args: () => ['scan'], exit: 2, message: 'say which tree to work on: --src DIR or --k8s TAG' },
  {
    name: 'scan --src with --k8s',
    args: (s) => ['scan', '--src', s.tree, '--k8s', 'v1.12.4'],
    exit: 2,
    message: 'error[usage]: invalid command line: --src and --k8s',
  },
  {
    name: 'patch --src with --k8s',
    args: (s) => ['patch', '--src', s.tree, '--k8s', 'v1.12.4'],
    exit: 2,
    message: 'error[usage]: invalid command line: --src and --k8s',
  },
  {
    name: 'build --src with --k8s',
    args: (s) => ['build', '--src', s.tree, '--k8s', 'v1.12.4', '--out', ART(s)],
    exit: 2,
    message: 'error[usage]: invalid command line: --src and --k8s',
  },
  {
    name: 'diff --mode that does not exist',
    args: (s) => ['diff', '--src', s.tree, '--mode', 'bogus'],
    exit: 2,
    message: 'Argument: mode, Given: "bogus"',
  },
  {
    name: 'scan --fail-on that does not exist',
    args: (s) => ['scan', '--src', s.tree, '--fail-on', 'never'],
    exit: 2,
    message: 'Argument: fail-on, Given: "never"',
  },
  { name: 'fetch without --k8s', args: () => ['fetch'], exit: 2, message: 'say which release to fetch: --k8s TAG' },
  {
    name: '--repo without --k8s',
    args: (s) => ['scan', '--src', s.tree, '--repo', s.url],
    exit: 2,
    message: '--repo only apply to --k8s TAG',
  },
  {
    name: 'build --image with --registry',
    args: (s) => build(s, '--image', 'a/b:c', '--registry', 'mirror.corp/k8s'),
    exit: 2,
    message: '--image and --registry',
  },
  {
    name: 'build --platform with a shell injection',
    args: (s) => build(s, '--platform', 'linux/amd64;id'),
    exit: 2,
    message: 'error[usage]: invalid command line: --platform linux/amd64;id',
  },
  {
    name: 'build --version-string with a command substitution',
    args: (s) => build(s, '--version-string', 'v1.12.4 $(id)'),
    exit: 2,
    message: 'Kubernetes needs a semantic version',
  },
  { name: 'fetch --timeout 0', args: (s) => fetch(s, '--timeout', '0'), exit: 2, message: '--timeout 0' },
  {
    name: 'fetch --timeout that is not a number',
    args: (s) => fetch(s, '--timeout', 'soon'),
    exit: 2,
    message: 'error[usage]: invalid command line: --timeout\n  not a number',
  },
  {
    name: 'verify --timeout that is not a number: the same words as fetch',
    args: (s) => ['verify', s.dir, '--timeout', 'soon'],
    exit: 2,
    message: 'error[usage]: invalid command line: --timeout\n  not a number',
  },
  {
    name: 'build --out given twice',
    args: (s) => build(s, '--out', path.join(s.out, 'other')),
    exit: 2,
    message: 'error[usage]: invalid command line: --out\n  given 2 times',
  },
  { name: 'scan --src given twice', args: (s) => ['scan', '--src', s.tree, '--src', s.out], exit: 2, message: 'given 2 times' },
  { name: 'doctor unknown flag', args: () => ['doctor', '--node', '/'], exit: 2, message: 'Unknown argument: node' },

  // --- tags and injections -----------------------------------------------------------------
  {
    name: 'tag with a shell command',
    args: (s) => ['fetch', '--k8s', 'v1.0.0;rm -rf /', '--repo', s.url],
    exit: 2,
    message: 'error[tag_invalid]: not a release tag: "v1.0.0;rm -rf /"',
  },
  {
    name: 'tag that is a revision expression',
    args: (s) => ['fetch', '--k8s', 'HEAD~1', '--repo', s.url],
    exit: 2,
    message: 'not a release tag: "HEAD~1"',
  },
  {
    name: 'tag that is a git option',
    args: (s) => ['fetch', '--k8s=--upload-pack=touch /tmp/kpatch-pwned', '--repo', s.url],
    exit: 2,
    message: 'not a release tag: "--upload-pack=touch /tmp/kpatch-pwned"',
  },
  {
    name: 'tag that is a path',
    args: (s) => ['scan', '--k8s', '../../etc/passwd', '--repo', s.url],
    exit: 2,
    message: 'not a release tag: "../../etc/passwd"',
  },
  {
    name: 'tag with a space',
    args: (s) => ['build', '--k8s', 'v1.12.4 ', '--repo', s.url, '--out', ART(s)],
    exit: 2,
    message: 'not a release tag: "v1.12.4 "',
  },
  {
    name: 'tag that is a full ref name',
    args: (s) => ['patch', '--k8s', 'refs/tags/v1.12.4', '--repo', s.url],
    exit: 2,
    message: 'not a release tag: "refs/tags/v1.12.4"',
  },
  {
    name: 'tag with a command substitution',
    args: (s) => ['diff', '--k8s', '$(touch pwned)', '--repo', s.url],
    exit: 2,
    message: 'not a release tag: "$(touch pwned)"',
  },
  {
    name: '--repo that is a git option',
    args: () => ['fetch', '--k8s', 'v1.12.4', '--repo=--upload-pack=touch /tmp/kpatch-pwned'],
    exit: 2,
    message: 'not a repository URL',
  },
  {
    name: '--repo with a newline',
    args: (s) => ['fetch', '--k8s', 'v1.12.4', '--repo', `${s.url}\nfetch = x`],
    exit: 2,
    message: 'not a repository URL',
  },
  {
    name: 'tag the remote does not have',
    args: (s) => ['fetch', '--k8s', 'v1.12.5', '--repo', s.url],
    exit: 1,
    message: 'closest release tags: v1.12.4',
  },
  {
    name: '--repo that does not exist',
    args: (s) => ['fetch', '--k8s', 'v1.12.4', '--repo', path.join(s.dir, 'no-such.git')],
    exit: 1,
    message: 'error[repo_missing]',
  },

  // --- the source tree ---------------------------------------------------------------------
  {
    name: '--src that does not exist',
    args: (s) => ['scan', '--src', path.join(s.dir, 'nowhere')],
    exit: 2,
    message: 'error[src_missing]',
  },
  { name: '--src that is a file', args: (s) => ['diff', '--src', MEMORY_GO(s)], exit: 2, message: 'error[src_not_dir]' },
  {
    // Said before any container engine is asked: `docker info` would fail first (no daemon, or no docker at all).
    name: 'build --src that does not exist, with --runner docker',
    args: (s) => ['build', '--src', path.join(s.dir, 'nowhere'), '--runner', 'docker'],
    exit: 2,
    message: 'error[src_missing]',
  },
  {
    name: '--src that is empty (an unset variable)',
    args: () => ['patch', '--src', ''],
    exit: 2,
    message: 'error[usage]: invalid command line: --src ""',
  },
  {
    name: '--src that cannot be read',
    asNobody: true,
    cwd: 'dir',
    setup: (s) => chmodSync(s.tree, 0o000),
    args: (s) => ['scan', '--src', s.tree],
    exit: 1,
    message: 'error[src_unreadable]',
  },
  {
    name: 'target file that cannot be read',
    asNobody: true,
    setup: (s) => chmodSync(MEMORY_GO(s), 0o000),
    args: (s) => ['patch', '--src', s.tree],
    exit: 1,
    message: `error[src_unreadable]: cannot read the source tree: ${STANDIN_MEMORY_GO}`,
  },
  {
    name: 'target file that is a link out of the tree (scan)',
    setup: (s) => {
      writeFileSync(path.join(s.dir, 'elsewhere.go'), 'package fs\n');
      linkMemoryGo(s, path.join(s.dir, 'elsewhere.go'));
    },
    args: (s) => ['scan', '--src', s.tree],
    exit: 1,
    message: 'outside the tree',
  },
  {
    name: 'target file that is a link out of the tree (patch)',
    setup: (s) => {
      renameSync(MEMORY_GO(s), path.join(s.dir, 'memory.go'));
      symlinkSync(path.join(s.dir, 'memory.go'), MEMORY_GO(s));
    },
    args: (s) => ['patch', '--src', s.tree, '--allow-dirty'],
    exit: 1,
    message: 'error[unsafe_path]: target file is a symbolic link',
  },
  {
    name: 'target file that is a dangling link',
    setup: (s) => linkMemoryGo(s, 'gone.go'),
    args: (s) => ['diff', '--src', s.tree],
    exit: 1,
    message: 'points to a missing file',
  },
  {
    name: 'target file that is a link inside the tree (patch)',
    setup: (s) => {
      renameSync(MEMORY_GO(s), path.join(s.tree, 'memory.go.real'));
      symlinkSync(path.relative(FS_DIR(s), path.join(s.tree, 'memory.go.real')), MEMORY_GO(s));
    },
    args: (s) => ['patch', '--src', s.tree, '--allow-dirty'],
    exit: 1,
    message: 'patching would replace the link with a regular file',
  },
  {
    name: 'target file that is a link inside the tree (build --src)',
    setup: (s) => {
      renameSync(MEMORY_GO(s), path.join(s.tree, 'memory.go.real'));
      symlinkSync(path.relative(FS_DIR(s), path.join(s.tree, 'memory.go.real')), MEMORY_GO(s));
    },
    args: (s) => [
      'build',
      '--src',
      s.tree,
      '--runner',
      'local',
      '--allow-dirty',
      '--version-string',
      'v1.12.4+kpatch.test',
      '--out',
      ART(s),
    ],
    exit: 1,
    message: 'patching would replace the link with a regular file',
  },
  {
    name: 'target file with uncommitted changes (build --src)',
    setup: (s) => writeFileSync(MEMORY_GO(s), pristineMemoryGo + '\n// a local edit\n'),
    args: (s) => ['build', '--src', s.tree, '--runner', 'local', '--version-string', 'v1.12.4+kpatch.test', '--out', ART(s)],
    exit: 1,
    message: 'error[dirty_files]',
  },
  {
    name: 'read-only target file (chattr +i)',
    skip: chattrWorks,
    setup: (s) => {
      sh('chattr', ['+i', MEMORY_GO(s)]);
      cleanups.push(() => spawnSync('chattr', ['-i', MEMORY_GO(s)]));
    },
    args: (s) => ['patch', '--src', s.tree],
    exit: 1,
    message: 'error[write_failed]',
  },
  {
    name: 'read-only target folder (read-only bind mount)',
    skip: needsRoot,
    setup: (s) => {
      sh('mount', ['--bind', FS_DIR(s), FS_DIR(s)]);
      cleanups.push(() => spawnSync('umount', ['-l', FS_DIR(s)]));
      sh('mount', ['-o', 'remount,bind,ro', FS_DIR(s)]);
    },
    args: (s) => ['patch', '--src', s.tree],
    exit: 1,
    message: 'EROFS',
  },
  {
    name: 'target file with uncommitted changes',
    setup: (s) => writeFileSync(MEMORY_GO(s), pristineMemoryGo + '\n// a local edit\n'),
    args: (s) => ['patch', '--src', s.tree],
    exit: 1,
    message: 'error[dirty_files]',
  },
  {
    name: 'target file with a syntax error',
    setup: (s) => commitChange(s, (t) => t.replace('func (s *MemoryGroup) Apply', 'func (s *MemoryGroup) Apply(')),
    args: (s) => ['patch', '--src', s.tree],
    exit: 1,
    message: 'error[parse_error]',
  },
  {
    name: 'call site whose error is checked later (cannot be rewritten)',
    setup: (s) =>
      commitChange(s, (t) =>
        t.replace(
          'if err := EnableKernelMemoryAccounting(path); err != nil {',
          'err = EnableKernelMemoryAccounting(path)\n\t\t\tif err != nil {',
        ),
      ),
    args: (s) => ['patch', '--src', s.tree],
    exit: 1,
    message: 'error[unsupported_shape]',
  },
  {
    name: 'scan --fail-on affected on an affected tree',
    args: (s) => ['scan', '--src', s.tree, '--fail-on', 'affected'],
    exit: 1,
    message: 'error[scan_affected]',
  },

  // --- the cache and the remote ------------------------------------------------------------
  { name: '--cache-dir that is a file', args: (s) => fetch(s, '--cache-dir', MEMORY_GO(s)), exit: 1, message: 'error[cache_error]' },
  {
    name: '--cache-dir on a read-only file system',
    skip: needsRoot,
    setup: (s) => mountTmpfs(s.out, 'size=64k,ro'),
    args: (s) => fetch(s, '--cache-dir', path.join(s.out, 'cache')),
    exit: 1,
    message: 'error[cache_error]',
  },
  {
    name: 'a git:// remote that never answers',
    args: (s) => ['fetch', '--k8s', 'v1.12.4', '--repo', `git://127.0.0.1:${s.hangPort}/kubernetes`, '--timeout', '2'],
    exit: 1,
    message: 'no data from the remote for 2 s; git was stopped',
  },
  {
    name: 'an http:// remote that never answers (scan --k8s)',
    args: (s) => ['scan', '--k8s', 'v1.12.4', '--repo', `http://127.0.0.1:${s.hangPort}/kubernetes.git`, '--timeout', '2'],
    exit: 1,
    message: 'error[repo_unreachable]: cannot reach the repository: http://127.0.0.1:',
  },
  {
    name: 'an http:// remote that never answers (build)',
    args: (s) => [
      'build',
      '--k8s',
      'v1.12.4',
      '--repo',
      `http://127.0.0.1:${s.hangPort}/kubernetes.git`,
      '--timeout',
      '2',
      '--out',
      ART(s),
    ],
    exit: 1,
    message: 'raise --timeout SECONDS',
  },

  // --- programs that are missing or not running --------------------------------------------
  { name: 'fetch without git', path: [], args: (s) => fetch(s), exit: 1, message: 'error[tool_missing]: required program not found: git' },
  {
    name: 'scan --k8s without git',
    path: [],
    args: (s) => ['scan', '--k8s', 'v1.12.4', '--repo', s.url],
    exit: 1,
    message: 'error[tool_missing]: required program not found: git',
  },
  {
    name: 'build --runner local without go',
    path: ['git', ...HOST_TOOLS.filter((p) => p !== 'go')],
    args: (s) => build(s, '--runner', 'local'),
    exit: 1,
    message: 'apt-get install golang-go',
  },
  {
    name: 'build --runner local without make',
    path: ['git', ...HOST_TOOLS.filter((p) => p !== 'make')],
    args: (s) => build(s, '--runner', 'local'),
    exit: 1,
    message: 'apt-get install make',
  },
  {
    name: 'build --runner podman without podman',
    path: ['git'],
    args: (s) => build(s, '--runner', 'podman'),
    exit: 1,
    message: '--runner podman: `podman` is not on PATH',
  },
  {
    name: 'build --runner docker without docker',
    path: ['git'],
    args: (s) => build(s, '--runner', 'docker'),
    exit: 1,
    message: '--runner docker: `docker` is not on PATH',
  },
  {
    name: 'build --runner auto with nothing to build with',
    path: ['git'],
    args: (s) => build(s),
    exit: 1,
    message: 'nothing can build the kubelet here',
  },
  {
    name: 'build --runner docker, docker installed but no daemon',
    skip: () => (spawnSync('sh', ['-c', 'command -v docker']).status === 0 ? undefined : 'the docker client is not installed'),
    setup: (s) => void (s.env.DOCKER_HOST = `unix://${path.join(s.dir, 'no-daemon.sock')}`),
    args: (s) => build(s, '--runner', 'docker'),
    exit: 1,
    message: 'error[engine_unavailable]: container engine is installed but not answering: docker info',
  },
  {
    name: 'build --runner podman, podman installed but its service not running',
    skip: () => (spawnSync('sh', ['-c', 'command -v podman']).status === 0 ? undefined : 'podman is not installed'),
    setup: (s) => void (s.env.KPATCH_PODMAN_ARGS = `--remote --url unix://${path.join(s.dir, 'no-service.sock')}`),
    args: (s) => build(s, '--runner', 'podman'),
    exit: 1,
    message: 'error[engine_unavailable]: container engine is installed but not answering: podman info',
  },

  // --- the output folder and make ----------------------------------------------------------
  {
    name: '--out that exists',
    setup: (s) => mkdirSync(ART(s)),
    args: (s) => build(s, '--runner', 'local'),
    exit: 1,
    message: 'error[out_exists]',
  },
  {
    name: '--out that is empty (an unset variable), with --force',
    args: (s) => ['build', '--k8s', 'v1.12.4', '--repo', s.url, '--out', '', '--force'],
    exit: 2,
    message: 'error[usage]: invalid command line: --out ""',
  },
  {
    name: '--out whose parent is a file',
    setup: (s) => writeFileSync(path.join(s.out, 'file'), 'x'),
    args: (s) => ['build', '--k8s', 'v1.12.4', '--repo', s.url, '--runner', 'local', '--out', path.join(s.out, 'file', 'artifacts')],
    exit: 1,
    message: 'error[out_unwritable]',
  },
  {
    name: '--out on a read-only file system',
    skip: needsRoot,
    setup: (s) => mountTmpfs(s.out, 'size=64k,ro'),
    args: (s) => build(s, '--runner', 'local'),
    exit: 1,
    message: 'error[out_unwritable]: cannot write the output folder',
  },
  {
    name: '--out on a full disk: the kubelet does not fit',
    skip: needsRoot,
    path: ['git', 'go', 'fake-make'],
    setup: (s) => {
      mountTmpfs(s.out, 'size=64k');
      s.env.KPATCH_FAKE_MAKE = 'big-kubelet';
    },
    args: (s) => build(s, '--runner', 'local'),
    exit: 1,
    message: 'error[out_unwritable]',
    cacheMayChange: BUILD_LEFTOVERS,
  },
  {
    name: '--out on a full disk: the build log does not fit',
    skip: needsRoot,
    path: ['git', 'go', 'fake-make'],
    setup: (s) => {
      mountTmpfs(s.out, 'size=64k');
      s.env.KPATCH_FAKE_MAKE = 'big-log';
    },
    args: (s) => build(s, '--runner', 'local'),
    exit: 1,
    message: 'error[out_unwritable]',
    cacheMayChange: BUILD_LEFTOVERS,
  },
  {
    name: '--out on a full disk: the runc build log does not fit',
    skip: needsRoot,
    path: ['git', 'go', 'fake-make'],
    setup: (s) => {
      mountTmpfs(s.out, 'size=64k');
      s.env.KPATCH_FAKE_MAKE = 'big-log';
    },
    args: (s) => ['build', '--runc', 'v1.0.0-rc5', '--repo', s.runcUrl, '--runner', 'local', '--out', ART(s)],
    exit: 1,
    message: 'error[out_unwritable]',
    cacheMayChange: BUILD_LEFTOVERS,
  },
  {
    name: 'make fails',
    path: ['git', 'go', 'fake-make'],
    setup: (s) => void (s.env.KPATCH_FAKE_MAKE = 'fail'),
    args: (s) => build(s, '--runner', 'local'),
    exit: 1,
    message: 'undefined: brokenThing',
    cacheMayChange: BUILD_LEFTOVERS,
  },

  // --- doctor ------------------------------------------------------------------------------
  {
    name: 'doctor --format npd with a --root that does not exist: exit 2, unknown to NPD',
    args: (s) => ['doctor', '--format', 'npd', '--root', path.join(s.dir, 'nowhere')],
    exit: 2,
    message: 'error[node_root_missing]',
  },
  {
    name: 'doctor --format npd with a --runc that cannot be read: exit 2 (NPD: unknown), not 1 (NPD: problem)',
    asNobody: true,
    setup: (s) => {
      writeFileSync(path.join(s.dir, 'runc'), 'x');
      chmodSync(path.join(s.dir, 'runc'), 0o000);
    },
    args: (s) => ['doctor', '--format', 'npd', '--runc', path.join(s.dir, 'runc')],
    exit: 2,
    message: 'error[node_binary_unreadable]',
  },
  { name: 'doctor --format with an unknown format', args: () => ['doctor', '--format', 'yaml'], exit: 2, message: 'Invalid values' },
  {
    name: 'doctor --root that does not exist',
    args: (s) => ['doctor', '--root', path.join(s.dir, 'nowhere')],
    exit: 2,
    message: 'error[node_root_missing]',
  },
  { name: 'doctor --root that is a file', args: (s) => ['doctor', '--root', MEMORY_GO(s)], exit: 2, message: 'error[node_root_not_dir]' },
  {
    name: 'doctor --root without proc or sys',
    args: (s) => ['doctor', '--root', s.tree],
    exit: 2,
    message: 'error[node_root_unrecognised]',
  },
  {
    name: 'doctor --kubelet that does not exist',
    args: (s) => ['doctor', '--kubelet', path.join(s.dir, 'kubelet')],
    exit: 2,
    message: 'error[node_binary_missing]',
  },
  {
    name: 'doctor --runc that cannot be read',
    asNobody: true,
    setup: (s) => {
      writeFileSync(path.join(s.dir, 'runc'), 'x');
      chmodSync(path.join(s.dir, 'runc'), 0o000);
    },
    args: (s) => ['doctor', '--runc', path.join(s.dir, 'runc')],
    exit: 1,
    message: 'error[node_binary_unreadable]',
  },

  {
    name: 'doctor --format npd on a node root whose /proc/cgroups is a FIFO: unknown (exit 2) at once, not a hang',
    setup: (s) => hostileNode(s, 'proc/cgroups', 'fifo'),
    args: (s) => ['doctor', '--format', 'npd', '--root', path.join(s.dir, 'node')],
    exit: 2,
    messageOn: 'stdout',
    message: 'kmem unknown: /proc/cgroups is a FIFO (named pipe)',
    within: 15,
  },
  {
    name: 'doctor on a node root whose kubepods memory.kmem.slabinfo links to /dev/zero: unknown, the file named, not read',
    setup: (s) => hostileNode(s, 'sys/fs/cgroup/memory/kubepods/memory.kmem.slabinfo', 'zero'),
    args: (s) => ['doctor', '--root', path.join(s.dir, 'node')],
    exit: 1,
    messageOn: 'stdout',
    message: '/sys/fs/cgroup/memory/kubepods/memory.kmem.slabinfo is a character device; doctor does not read such a file',
    within: 15,
  },
  {
    name: 'doctor --format sentinel (kured) on a node root whose /proc/self/mountinfo is a FIFO: no reboot (exit 1), at once',
    setup: (s) => hostileNode(s, 'proc/self/mountinfo', 'fifo'),
    args: (s) => ['doctor', '--format', 'sentinel', '--root', path.join(s.dir, 'node')],
    exit: 1,
    messageOn: 'stdout',
    message: 'kmem unknown: /proc/self/mountinfo is a FIFO (named pipe)',
    within: 15,
  },

  // --- settings files and small files that are not regular files ----------------------------
  {
    name: 'a FIFO kpatch.config.json (kpatch config): config_invalid at once, not a hang',
    setup: (s) => sh('mkfifo', [path.join(s.tree, 'kpatch.config.json')]),
    args: () => ['config'],
    exit: 2,
    message: 'is a FIFO (named pipe): only regular files are read',
    within: 15,
  },
  {
    name: 'kpatch.config.json linked to /dev/zero (build): config_invalid before reading a byte',
    setup: (s) => symlinkSync('/dev/zero', path.join(s.tree, 'kpatch.config.json')),
    args: (s) => build(s),
    exit: 2,
    message: 'is a character device: only regular files are read',
    within: 15,
  },
  {
    name: 'a FIFO package.json in the working folder (scan): config_invalid at once',
    setup: (s) => sh('mkfifo', [path.join(s.tree, 'package.json')]),
    args: (s) => ['scan', '--src', s.tree],
    exit: 2,
    message: `package.json\n  it is a FIFO (named pipe)`,
    within: 15,
  },
  {
    name: '--force onto a folder whose manifest.json is a FIFO: not one kpatch wrote (out_exists), at once',
    setup: (s) => {
      mkdirSync(ART(s));
      sh('mkfifo', [path.join(ART(s), 'manifest.json')]);
    },
    args: (s) => build(s, '--force'),
    exit: 1,
    message: 'error[out_exists]',
    within: 15,
  },

  // --- Ctrl-C at each stage ----------------------------------------------------------------
  {
    name: 'Ctrl-C while fetching',
    args: (s) => ['fetch', '--k8s', 'v1.12.4', '--repo', `http://127.0.0.1:${s.hangPort}/kubernetes.git`, '--timeout', '120'],
    interrupt: async (_s, run) => {
      const seen = hang.accepted();
      await waitFor(() => hang.accepted() > seen, 30_000, 'git to connect to the remote');
      run.child.kill('SIGINT');
    },
    exit: 130,
    message: 'error[interrupted]',
  },
  {
    name: 'Ctrl-C while scan --k8s fetches',
    args: (s) => ['scan', '--k8s', 'v1.12.4', '--repo', `git://127.0.0.1:${s.hangPort}/kubernetes`, '--timeout', '120'],
    interrupt: async (_s, run) => {
      const seen = hang.accepted();
      await waitFor(() => hang.accepted() > seen, 30_000, 'git to connect to the remote');
      run.child.kill('SIGINT');
    },
    exit: 130,
    message: 'error[interrupted]',
  },
  {
    name: 'Ctrl-C while patch reads the targets',
    setup: fifoTarget,
    interrupt: interruptWhileReadingFifo,
    args: (s) => ['patch', '--src', s.tree],
    exit: 130,
    message: 'error[interrupted]',
  },
  {
    name: 'Ctrl-C in the patch stage of build --src',
    setup: fifoTarget,
    interrupt: interruptWhileReadingFifo,
    args: (s) => ['build', '--src', s.tree, '--runner', 'local', '--version-string', 'v1.12.4+kpatch.test', '--out', ART(s)],
    exit: 130,
    message: 'error[interrupted]',
    cacheMayChange: BUILD_LEFTOVERS,
  },
  {
    name: 'Ctrl-C while make builds (local runner)',
    cache: 'fresh',
    args: (s) => build(s, '--runner', 'local'),
    interrupt: (s, run) => interruptWhenRunning(run, s.env[MARK_VAR], /\/compile |go build/, 1000, 'the Go compiler to run'),
    exit: 130,
    message: 'error[interrupted]',
    cacheMayChange: BUILD_LEFTOVERS,
  },
  {
    name: 'Ctrl-C while make builds runc (local runner)',
    cache: 'fresh',
    args: (s) => ['build', '--runc', 'v1.0.0-rc5', '--repo', s.runcUrl, '--runner', 'local', '--out', ART(s)],
    interrupt: (s, run) => interruptWhenRunning(run, s.env[MARK_VAR], /\/compile |go build/, 1000, 'the Go compiler to run'),
    exit: 130,
    message: 'error[interrupted]',
    cacheMayChange: BUILD_LEFTOVERS,
  },
  {
    name: 'Ctrl-C while make builds (podman runner)',
    skip: podmanImage,
    cache: 'fresh',
    setup: (s) => void Object.assign(s.env, PODMAN_ENV),
    args: (s) => build(s, '--runner', 'podman', '--image', PODMAN_IMAGE),
    interrupt: async (s, run) => {
      await waitFor(() => containersUnder(s.cache).length > 0, 120_000, 'the build container');
      await new Promise((r) => setTimeout(r, 2000));
      run.child.kill('SIGINT');
    },
    exit: 130,
    message: 'error[interrupted]',
    cacheMayChange: BUILD_LEFTOVERS,
  },

  // ---- build never touches the user's checkout; --out never replaces what is not kpatch's (issues 13, 14)
  // build --src works in a private copy: make's failures, rewrites and Ctrl-C never reach the checkout.
  {
    name: 'build --src whose make rewrites a tracked file, then fails',
    setup: (s) => srcMake(s, 'rewrite-fail'),
    args: (s) => ['build', '--src', s.tree, '--runner', 'local', '--version-string', 'v1.12.4+kpatch.test', '--out', ART(s)],
    exit: 1,
    message: 'error[build_failed]',
    cacheMayChange: BUILD_LEFTOVERS,
  },
  {
    name: 'build --src with untracked files and an old _output/, whose make fails',
    setup: (s) => {
      writeFileSync(path.join(s.tree, 'NOTES.md'), 'untracked notes\n');
      mkdirSync(path.join(s.tree, '_output/local/bin/linux/amd64'), { recursive: true });
      writeFileSync(path.join(s.tree, '_output/local/bin/linux/amd64/kubelet'), 'old kubelet\n');
      srcMake(s, 'rewrite-fail');
    },
    args: (s) => ['build', '--src', s.tree, '--runner', 'local', '--version-string', 'v1.12.4+kpatch.test', '--out', ART(s)],
    exit: 1,
    message: 'undefined: brokenThing',
    cacheMayChange: BUILD_LEFTOVERS,
  },
  {
    name: 'build --src on a checkout patched by kpatch patch, whose make fails',
    setup: (s) => {
      kpatchSync(['patch', '--src', s.tree], baseEnv(s.cache, s.env[MARK_VAR]));
      srcMake(s, 'rewrite-fail');
    },
    args: (s) => ['build', '--src', s.tree, '--runner', 'local', '--version-string', 'v1.12.4+kpatch.test', '--out', ART(s)],
    exit: 1,
    message: 'error[build_failed]',
    cacheMayChange: BUILD_LEFTOVERS,
  },
  {
    name: 'Ctrl-C while make builds the private copy of --src',
    cache: 'fresh',
    args: (s) => ['build', '--src', s.tree, '--runner', 'local', '--version-string', 'v1.12.4+kpatch.test', '--out', ART(s)],
    interrupt: (s, run) => interruptWhenRunning(run, s.env[MARK_VAR], /\/compile |go build/, 1000, 'the Go compiler to run'),
    exit: 130,
    message: 'error[interrupted]',
    cacheMayChange: BUILD_LEFTOVERS,
  },
  {
    name: 'SIGTERM while make runs on the private copy of --src',
    setup: (s) => srcMake(s, 'rewrite-sleep'),
    args: (s) => ['build', '--src', s.tree, '--runner', 'local', '--version-string', 'v1.12.4+kpatch.test', '--out', ART(s)],
    interrupt: async (s, run) => {
      await waitFor(() => existsSync(path.join(s.dir, 'make-started')), 60_000, 'make to start');
      run.child.kill('SIGTERM');
    },
    exit: 143,
    message: 'error[interrupted]: interrupted: by SIGTERM',
    cacheMayChange: BUILD_LEFTOVERS,
  },
  // Only a kubelet this make wrote counts.
  {
    name: 'build --src: make exits 0 without writing a kubelet, an old one in the checkout',
    setup: (s) => {
      mkdirSync(path.join(s.tree, '_output/local/bin/linux/amd64'), { recursive: true });
      writeFileSync(path.join(s.tree, '_output/local/bin/linux/amd64/kubelet'), 'old unpatched kubelet\n');
      srcMake(s, 'none');
    },
    args: (s) => ['build', '--src', s.tree, '--runner', 'local', '--version-string', 'v1.12.4+kpatch.test', '--out', ART(s)],
    exit: 1,
    message: 'error[artifact_missing]',
    cacheMayChange: BUILD_LEFTOVERS,
  },
  {
    name: 'build --k8s: make exits 0 without writing a kubelet',
    setup: (s) => srcMake(s, 'none'),
    args: (s) => build(s, '--runner', 'local'),
    exit: 1,
    message: 'error[artifact_missing]',
    cacheMayChange: BUILD_LEFTOVERS,
  },
  {
    name: 'build --src: make puts an old kubelet in place, its mtime kept',
    setup: (s) => srcMake(s, 'old'),
    args: (s) => ['build', '--src', s.tree, '--runner', 'local', '--version-string', 'v1.12.4+kpatch.test', '--out', ART(s)],
    exit: 1,
    message: 'older than this make',
    cacheMayChange: BUILD_LEFTOVERS,
  },
  // A checkout the version cannot be named from: refused before any stage.
  {
    name: 'build --src on a checkout not at a tag',
    args: (s) => ['build', '--src', s.tree, '--runner', 'local', '--out', ART(s)],
    exit: 2,
    message: 'the checkout is not at a release tag (HEAD is',
  },
  {
    name: 'build --src on a checkout one commit past its tag',
    setup: (s) => {
      git(s.tree, ['tag', 'v1.12.4']);
      writeFileSync(
        path.join(s.tree, 'pkg/version/base.go'),
        readFileSync(path.join(s.tree, 'pkg/version/base.go'), 'utf8') + '\n// local\n',
      );
      git(s.tree, ['commit', '-qam', 'local change']);
    },
    args: (s) => ['build', '--src', s.tree, '--runner', 'local', '--out', ART(s)],
    exit: 2,
    message: 'not at a release tag',
  },
  {
    name: 'build --src on a folder that is not a git checkout',
    setup: (s) => rmSync(path.join(s.tree, '.git'), { recursive: true }),
    args: (s) => ['build', '--src', s.tree, '--out', ART(s)],
    exit: 2,
    message: '(not a git checkout)',
  },
  // --out never is, nor contains, the checkout, the cache or the current folder; --force replaces only kpatch's own folders.
  {
    name: '--out equal to --src, with --force',
    args: (s) => ['build', '--src', s.tree, '--version-string', 'v1.12.4+kpatch.test', '--out', s.tree, '--force'],
    exit: 2,
    message: 'is the source tree (--src)',
  },
  {
    name: '--out that contains --src, with --force',
    cwd: 'dir',
    args: (s) => ['build', '--src', s.tree, '--version-string', 'v1.12.4+kpatch.test', '--out', path.join(s.dir, '..'), '--force'],
    exit: 2,
    message: 'contains the source tree (--src)',
  },
  {
    name: '--out that is a link to --src, with --force',
    setup: (s) => symlinkSync(s.tree, path.join(s.out, 'link')),
    args: (s) => ['build', '--src', s.tree, '--version-string', 'v1.12.4+kpatch.test', '--out', path.join(s.out, 'link'), '--force'],
    exit: 2,
    message: 'is the source tree (--src)',
  },
  {
    name: '--out equal to the cache folder, with --force',
    args: (s) => ['build', '--k8s', 'v1.12.4', '--repo', s.url, '--out', s.cache, '--force'],
    exit: 2,
    message: "is kpatch's cache folder",
  },
  {
    name: '--out that contains the cache folder, with --force',
    cwd: 'dir',
    args: (s) => ['build', '--k8s', 'v1.12.4', '--repo', s.url, '--out', path.dirname(s.cache), '--force'],
    exit: 2,
    message: "contains kpatch's cache folder",
  },
  {
    name: '--out that is the current folder, with --force',
    args: (s) => ['build', '--k8s', 'v1.12.4', '--repo', s.url, '--out', '.', '--force'],
    exit: 2,
    message: 'is the current folder',
  },
  {
    name: '--out that is the parent of the current folder, with --force',
    args: (s) => ['build', '--k8s', 'v1.12.4', '--repo', s.url, '--out', '..', '--force'],
    exit: 2,
    message: 'contains the current folder',
  },
  {
    name: '--force onto a folder kpatch did not write',
    setup: (s) => {
      mkdirSync(ART(s));
      writeFileSync(path.join(ART(s), 'notes.txt'), 'mine\n');
    },
    args: (s) => build(s, '--runner', 'local', '--force'),
    exit: 1,
    message: 'it is not an artifact folder kpatch wrote',
  },
  {
    name: '--force onto a folder whose manifest.json is not a kpatch manifest',
    setup: (s) => {
      mkdirSync(ART(s));
      writeFileSync(path.join(ART(s), 'manifest.json'), '{"name": "my web app", "version": "1.0.0"}\n');
    },
    args: (s) => build(s, '--runner', 'local', '--force'),
    exit: 1,
    message: 'no kpatch manifest.json in it',
  },
  {
    name: '--force onto a file',
    setup: (s) => writeFileSync(ART(s), 'a file\n'),
    args: (s) => build(s, '--runner', 'local', '--force'),
    exit: 1,
    message: 'error[out_exists]',
  },

  // ---- call sites kpatch cannot see or rewrite; several vendored copies; links (issue 14)
  // A use of the function that is not a plain call: kpatch cannot see where it runs, so it refuses to rewrite, never "not affected".
  {
    name: 'call through a local function value (patch)',
    setup: (s) =>
      commitEdits(
        s.tree,
        replaceCall('enable := EnableKernelMemoryAccounting\n\t\t\tif err := enable(path); err != nil {\n\t\t\t\treturn err\n\t\t\t}'),
      ),
    args: (s) => ['patch', '--src', s.tree],
    exit: 1,
    message: `error[unsupported_shape]: call site has a shape the recipe cannot rewrite safely: ${STANDIN_MEMORY_GO}:43`,
  },
  {
    name: 'function passed as an argument (diff)',
    setup: (s) =>
      commitEdits(
        s.tree,
        replaceCall(
          'if err := func(f func(string) error) error { return f(path) }(EnableKernelMemoryAccounting); err != nil {\n\t\t\t\treturn err\n\t\t\t}',
        ),
      ),
    args: (s) => ['diff', '--src', s.tree],
    exit: 1,
    message: 'EnableKernelMemoryAccounting is used as a value (argument list), not called',
  },
  {
    name: 'call through a function value: scan --fail-on affected fails, never not-affected',
    setup: (s) =>
      commitEdits(
        s.tree,
        replaceCall(
          'run := []func(string) error{EnableKernelMemoryAccounting}\n\t\t\tif err := run[0](path); err != nil {\n\t\t\t\treturn err\n\t\t\t}',
        ),
      ),
    args: (s) => ['scan', '--src', s.tree, '--fail-on', 'affected'],
    exit: 1,
    message: 'error[scan_affected]',
  },
  {
    name: 'call through a function value (build --src, guard)',
    setup: (s) =>
      commitEdits(
        s.tree,
        replaceCall('enable := EnableKernelMemoryAccounting\n\t\t\tif err := enable(path); err != nil {\n\t\t\t\treturn err\n\t\t\t}'),
      ),
    args: (s) => ['build', '--src', s.tree, '--runner', 'local', '--version-string', 'v1.12.4+kpatch.test', '--out', ART(s)],
    exit: 1,
    message: 'error[unsupported_shape]',
    cacheMayChange: BUILD_LEFTOVERS,
  },
  // A guard written where the *cgroupData parameter's name means something else would not compile.
  {
    name: 'guard where d is shadowed by a range variable (patch)',
    setup: (s) =>
      commitEdits(
        s.tree,
        replaceCall(
          'for _, d := range []string{path} {\n\t\t\t\tif err := EnableKernelMemoryAccounting(d); err != nil {\n\t\t\t\t\treturn err\n\t\t\t\t}\n\t\t\t}',
        ),
      ),
    args: (s) => ['patch', '--src', s.tree],
    exit: 1,
    message:
      '`d` (*cgroupData) is redeclared at line 43 (`for _, d := range []string{path} {`), so `d.config.KernelMemory != 0` there would not test the parameter',
  },
  {
    name: 'guard where d is shadowed by := in an inner block (diff)',
    setup: (s) =>
      commitEdits(
        s.tree,
        replaceCall('d := path\n\t\t\tif err := EnableKernelMemoryAccounting(d); err != nil {\n\t\t\t\treturn err\n\t\t\t}'),
      ),
    args: (s) => ['diff', '--src', s.tree, '--mode', 'guard'],
    exit: 1,
    message: '`d` (*cgroupData) is redeclared at line 43 (`d := path`)',
  },
  // A patch that parses but does not compile is never written: patch compiles the package with the real Go first.
  {
    name: 'patched package would not compile: cgroupData has no config field (patch)',
    setup: (s) =>
      commitEdits(s.tree, {
        [`${STANDIN_RUNC_FS_DIR}/fs.go`]: (t) =>
          t.replace('config    *configs.Cgroup', 'cfg       *configs.Cgroup').replace('config: m.Cgroups', 'cfg: m.Cgroups'),
        [STANDIN_MEMORY_GO]: (t) => t.replace(/\bd\.config\b/g, 'd.cfg'),
      }),
    args: (s) => ['patch', '--src', s.tree],
    exit: 1,
    message: 'the patched package does not compile (the unpatched one does)',
  },
  {
    name: 'patched package would not compile: configs has no KernelMemory field (patch --json)',
    setup: (s) =>
      commitEdits(s.tree, {
        'vendor/github.com/opencontainers/runc/libcontainer/configs/cgroup.go': (t) => t.replace(/\bKernelMemory\b/g, 'KernelMemoryLimit'),
        [STANDIN_MEMORY_GO]: (t) => t.replace(/\bKernelMemory\b/g, 'KernelMemoryLimit'),
      }),
    args: (s) => ['patch', '--src', s.tree, '--json'],
    exit: 1,
    message: 'KernelMemory undefined',
  },
  // Several vendored copies: -tags=nokmem only when every copy that switches kmem on has the variant.
  {
    name: 'build --mode nokmem: the nested copy has the variant, the top one does not',
    // build --src makes its private copy under the cache's tmp/ before the mode is chosen (and removes it).
    cacheMayChange: ['.', 'tmp'],
    setup: (s) => addNestedRunc(s.tree, 'v1.14.10'),
    args: (s) => [
      'build',
      '--src',
      s.tree,
      '--runner',
      'local',
      '--mode',
      'nokmem',
      '--version-string',
      'v1.12.4+kpatch.test',
      '--out',
      path.join(s.dir, 'artifacts'),
    ],
    exit: 2,
    message:
      'vendor/github.com/opencontainers/runc/: kmem is switched on at vendor/github.com/opencontainers/runc/libcontainer/cgroups/fs/memory.go:43, and no file of this copy has a `nokmem` build constraint',
  },
  {
    name: "build --mode nokmem: the top copy has the variant, cadvisor's nested copy does not",
    // build --src makes its private copy under the cache's tmp/ before the mode is chosen (and removes it).
    cacheMayChange: ['.', 'tmp'],
    setup: (s) => {
      replaceTopRunc(s.tree, 'v1.14.10');
      addNestedRunc(s.tree, 'v1.12.4');
    },
    args: (s) => [
      'build',
      '--src',
      s.tree,
      '--runner',
      'local',
      '--mode',
      'nokmem',
      '--version-string',
      'v1.12.4+kpatch.test',
      '--out',
      path.join(s.dir, 'artifacts'),
    ],
    exit: 2,
    message: `${NESTED_RUNC}/: kmem is switched on at ${NESTED_RUNC}/libcontainer/cgroups/fs/memory.go:43`,
  },
  // Folder links: whatever Go compiles, kpatch reads; links that leave the tree are refused.
  {
    name: 'cgroups/fs is a link to a folder outside the tree (scan)',
    setup: (s) => linkFsFolder(s.tree, path.join(s.dir, 'outside-fs')),
    args: (s) => ['scan', '--src', s.tree],
    exit: 1,
    message: `error[unsafe_path]: target file is a symbolic link: ${STANDIN_RUNC_FS_DIR}`,
  },
  {
    name: 'vendor/github.com/opencontainers is a link to a folder outside the tree (patch)',
    setup: (s) => linkFolderOut(s.tree, 'vendor/github.com/opencontainers', path.join(s.dir, 'opencontainers')),
    args: (s) => ['patch', '--src', s.tree],
    exit: 1,
    message: 'error[unsafe_path]: target file is a symbolic link: vendor/github.com/opencontainers\n  this folder is a link to ',
  },
  {
    name: 'cgroups/fs is a link inside the tree: scan --fail-on affected sees the call',
    setup: (s) => linkFsFolder(s.tree, path.join(s.tree, 'third_party/runc-fs')),
    args: (s) => ['scan', '--src', s.tree, '--fail-on', 'affected'],
    exit: 1,
    message: 'error[scan_affected]',
  },
  {
    name: 'cgroups/fs is a link inside the tree and the real file has uncommitted edits (patch)',
    setup: (s) => {
      linkFsFolder(s.tree, path.join(s.tree, 'third_party/runc-fs'));
      writeFileSync(path.join(s.tree, 'third_party/runc-fs/memory.go'), pristineMemoryGo + '\n// a local edit\n');
    },
    args: (s) => ['patch', '--src', s.tree],
    exit: 1,
    message: 'third_party/runc-fs/memory.go',
  },

  // ---- patch and diff keep the user's files: pristine reviewed patches, races, modes, submodules (issue 14)
  {
    name: 'diff --check on a checkout patched by kpatch patch, no reviewed patch committed',
    setup: (s) => {
      tagTree(s);
      kpatchSync(['patch', '--src', s.tree], baseEnv(s.cache, s.env[MARK_VAR]));
    },
    args: (s) => ['diff', '--src', s.tree, '--check', REVIEWED(s)],
    exit: 1,
    message: 'no reviewed patch is committed for v1.12.4, and the tree needs one',
  },
  {
    name: 'diff --check on a checkout that lost its target file, no reviewed patch committed',
    setup: (s) => {
      tagTree(s);
      rmSync(MEMORY_GO(s));
    },
    args: (s) => ['diff', '--src', s.tree, '--check', REVIEWED(s)],
    exit: 1,
    message: 'no reviewed patch is committed for v1.12.4, and the tree needs one',
  },
  {
    name: 'diff --check: a reviewed patch filed from local edits drifts from the tag',
    setup: reviewedFromLocalEdits,
    args: (s) => ['diff', '--src', s.tree, '--check', REVIEWED(s)],
    exit: 1,
    message: `the checkout's own edits to ${STANDIN_MEMORY_GO} play no part`,
  },
  {
    name: 'diff --check --mode remove on a guard-patched checkout, no remove patch committed',
    setup: (s) => {
      tagTree(s);
      kpatchSync(['patch', '--src', s.tree], baseEnv(s.cache, s.env[MARK_VAR]));
    },
    args: (s) => ['diff', '--src', s.tree, '--mode', 'remove', '--check', REVIEWED(s)],
    exit: 1,
    message: 'no reviewed patch is committed for v1.12.4, and the tree needs one',
  },
  {
    name: 'patch --allow-dirty while a line is appended to the target',
    setup: holdWithRoundMtime,
    interrupt: editWhileHeld((t) => `${t}// appended while kpatch worked\n`),
    args: (s) => ['patch', '--src', s.tree, '--allow-dirty'],
    exit: 1,
    message: `error[target_changed]: target file changed while kpatch worked: ${STANDIN_MEMORY_GO}`,
  },
  {
    name: 'patch --allow-dirty while the target is edited in place (same size)',
    setup: holdWithRoundMtime,
    interrupt: editWhileHeld((t) => t.replace('accouting', 'accountin')),
    args: (s) => ['patch', '--src', s.tree, '--allow-dirty'],
    exit: 1,
    message: `error[target_changed]: target file changed while kpatch worked: ${STANDIN_MEMORY_GO}`,
  },
  {
    name: 'target in a git submodule with uncommitted edits',
    setup: (s) =>
      submoduleTree(s, (sub) =>
        writeFileSync(
          path.join(sub, SUB_MEMORY_GO),
          pristineMemoryGo.replace('func (s *MemoryGroup) Apply(', '// a local edit\nfunc (s *MemoryGroup) Apply('),
        ),
      ),
    args: (s) => ['patch', '--src', s.tree],
    exit: 1,
    message: `error[dirty_files]: target files have uncommitted changes: ${STANDIN_MEMORY_GO}`,
  },
  {
    name: 'target in a git submodule with a staged, uncommitted edit',
    setup: (s) =>
      submoduleTree(s, (sub) => {
        writeFileSync(path.join(sub, SUB_MEMORY_GO), pristineMemoryGo + '// staged\n');
        git(sub, ['add', SUB_MEMORY_GO]);
      }),
    args: (s) => ['patch', '--src', s.tree],
    exit: 1,
    message: `error[dirty_files]: target files have uncommitted changes: ${STANDIN_MEMORY_GO}`,
  },
  {
    name: 'target file with a second name (hard link) inside the tree',
    setup: (s) => linkSync(MEMORY_GO(s), path.join(FS_DIR(s), 'memory.go.orig')),
    args: (s) => ['patch', '--src', s.tree, '--allow-dirty'],
    exit: 1,
    message: `error[hard_linked]: target file has other hard links: ${STANDIN_MEMORY_GO}`,
  },
  {
    name: 'target file with a second name (hard link) outside the tree',
    setup: (s) => linkSync(MEMORY_GO(s), path.join(s.out, 'memory-backup.go')),
    args: (s) => ['patch', '--src', s.tree],
    exit: 1,
    message: `error[hard_linked]: target file has other hard links: ${STANDIN_MEMORY_GO}`,
  },
  {
    name: 'patch --mode remove on a guard-patched tree',
    setup: (s) => patchedAndCommitted(s, 'guard'),
    args: (s) => ['patch', '--src', s.tree, '--mode', 'remove'],
    exit: 1,
    message: `error[mode_mismatch]: tree is already patched in another mode: ${STANDIN_MEMORY_GO}:`,
  },
  {
    name: 'patch --mode guard on a remove-patched tree',
    setup: (s) => patchedAndCommitted(s, 'remove'),
    args: (s) => ['patch', '--src', s.tree, '--mode', 'guard', '--json'],
    exit: 1,
    message: 'then run kpatch patch --mode guard again',
  },

  // ---- untrusted folders and streams: verify, pipes, signals, odd names (issue 14)
  // verify on a folder downloaded from CI: a manifest of the wrong shape is a finding naming the field
  {
    name: 'verify: manifest whose artifacts list holds null',
    setup: (s) => void artifactFolder(s.dir, (m) => (m.artifacts = [null])),
    args: (s) => ['verify', artifactsOf(s.dir)],
    exit: 1,
    message:
      'FAIL manifest.json: does not match the manifest schema (schemas/build.schema.json), so none of its records is used: /artifacts/0: must be object',
  },
  {
    name: 'verify: manifest with a number where a path belongs',
    setup: (s) => void artifactFolder(s.dir, (m) => (m.artifacts[0].path = 42)),
    args: (s) => ['verify', artifactsOf(s.dir)],
    exit: 1,
    message: '/artifacts/0/path: must be string',
  },
  {
    name: 'verify: manifest whose patch is a string',
    setup: (s) => void artifactFolder(s.dir, (m) => (m.patch = 'patches/0001-kmem-accounting-guard.patch')),
    args: (s) => ['verify', artifactsOf(s.dir)],
    exit: 1,
    message: '/patch: must be object',
  },
  {
    name: 'verify: manifest whose patchedFiles is an object',
    setup: (s) => void artifactFolder(s.dir, (m) => (m.patchedFiles = { path: '../../etc/passwd' })),
    args: (s) => ['verify', artifactsOf(s.dir)],
    exit: 1,
    message: '/patchedFiles: must be array',
  },
  // verify reads only regular files inside the folder: a FIFO or a device would hang it, a link out would pass a foreign file
  {
    name: 'verify: the kubelet is a FIFO',
    setup: (s) => sh('mkfifo', [path.join(artifactFolder(s.dir, undefined, { kubelet: false }), KUBELET)]),
    args: (s) => ['verify', artifactsOf(s.dir)],
    exit: 1,
    message: `FAIL ${KUBELET}: is a FIFO (named pipe)`,
  },
  {
    name: 'verify: manifest.json is a FIFO',
    setup: (s) => {
      const a = artifactFolder(s.dir);
      rmSync(path.join(a, 'manifest.json'));
      sh('mkfifo', [path.join(a, 'manifest.json')]);
    },
    args: (s) => ['verify', artifactsOf(s.dir)],
    exit: 1,
    message: 'FAIL manifest.json: is a FIFO (named pipe)',
  },
  {
    name: 'verify: the kubelet is a link to /dev/zero',
    setup: (s) => symlinkSync('/dev/zero', path.join(artifactFolder(s.dir, undefined, { kubelet: false }), KUBELET)),
    args: (s) => ['verify', artifactsOf(s.dir)],
    exit: 1,
    message: `FAIL ${KUBELET}: is a symbolic link to /dev/zero, outside the folder`,
  },
  {
    name: 'verify: the kubelet is a link to a matching file outside the folder',
    setup: (s) => {
      const a = artifactFolder(s.dir);
      renameSync(path.join(a, KUBELET), path.join(s.dir, 'kubelet'));
      symlinkSync(path.join(s.dir, 'kubelet'), path.join(a, KUBELET));
    },
    args: (s) => ['verify', artifactsOf(s.dir)],
    exit: 1,
    message: ', outside the folder: verify reads only regular files inside the folder',
  },
  {
    name: 'verify: SIGTERM while it hashes a 1 TB (sparse) kubelet',
    setup: (s) => sh('truncate', ['-s', '1T', path.join(artifactFolder(s.dir), KUBELET)]),
    args: (s) => ['verify', artifactsOf(s.dir)],
    interrupt: (_s, run) => signalAfter(run, 'SIGTERM', 2000),
    exit: 143,
    message: 'error[interrupted]: interrupted: by SIGTERM',
  },
  {
    name: 'verify: SIGHUP while it hashes a 1 TB (sparse) kubelet',
    setup: (s) => sh('truncate', ['-s', '1T', path.join(artifactFolder(s.dir), KUBELET)]),
    args: (s) => ['verify', artifactsOf(s.dir)],
    interrupt: (_s, run) => signalAfter(run, 'SIGHUP', 2000),
    exit: 129,
    message: 'error[interrupted]: interrupted: by SIGHUP',
  },
  // diff --write and --check, build --patch: where the user points kpatch
  {
    name: 'diff --write /dev/null',
    args: (s) => ['diff', '--k8s', 'v1.12.4', '--repo', s.url, '--write', '/dev/null'],
    exit: 1,
    message: 'error[out_unwritable]: cannot write the output folder: --write /dev/null/v1.12.4/0001-kmem-accounting-guard.patch',
  },
  {
    name: 'diff --write onto a file',
    setup: (s) => writeFileSync(path.join(s.out, 'file'), 'x'),
    args: (s) => ['diff', '--k8s', 'v1.12.4', '--repo', s.url, '--write', path.join(s.out, 'file')],
    exit: 1,
    message: 'ENOTDIR: a part of the path is a file, not a folder',
  },
  {
    name: 'diff --write where the patch file would be is a folder',
    setup: (s) => mkdirSync(path.join(s.out, 'reviewed', 'v1.12.4', '0001-kmem-accounting-guard.patch'), { recursive: true }),
    args: (s) => ['diff', '--k8s', 'v1.12.4', '--repo', s.url, '--write', path.join(s.out, 'reviewed')],
    exit: 1,
    message: 'EISDIR: a folder is in the way',
  },
  {
    name: 'diff --write into a read-only folder',
    skip: needsRoot,
    setup: (s) => mountTmpfs(s.out, 'size=64k,ro'),
    args: (s) => ['diff', '--k8s', 'v1.12.4', '--repo', s.url, '--write', path.join(s.out, 'reviewed')],
    exit: 1,
    message: 'EROFS: the file system is read-only',
  },
  {
    name: 'diff --check on a reviewed patch that is a FIFO',
    setup: (s) => {
      // --src at the release tag: no temporary tree, so a usage error leaves even the cache's folder times alone.
      git(s.tree, ['tag', 'v1.12.4']);
      mkdirSync(path.join(s.out, 'reviewed', 'v1.12.4'), { recursive: true });
      sh('mkfifo', [path.join(s.out, 'reviewed', 'v1.12.4', '0001-kmem-accounting-guard.patch')]);
    },
    args: (s) => ['diff', '--src', s.tree, '--check', path.join(s.out, 'reviewed')],
    exit: 2,
    message: 'is a FIFO (named pipe): only regular files are read',
  },
  {
    name: 'build --patch that is a link to /dev/zero',
    setup: (s) => symlinkSync('/dev/zero', path.join(s.dir, 'reviewed.patch')),
    args: (s) => [
      'build',
      '--src',
      s.tree,
      '--patch',
      path.join(s.dir, 'reviewed.patch'),
      '--runner',
      'local',
      '--version-string',
      'v1.12.4+kpatch.test',
      '--out',
      ART(s),
    ],
    exit: 2,
    message: 'not a regular file (a FIFO, a device or a folder)',
  },
  {
    name: 'build --patch that is a FIFO',
    setup: (s) => sh('mkfifo', [path.join(s.dir, 'reviewed.patch')]),
    args: (s) => [
      'build',
      '--src',
      s.tree,
      '--patch',
      path.join(s.dir, 'reviewed.patch'),
      '--runner',
      'local',
      '--version-string',
      'v1.12.4+kpatch.test',
      '--out',
      ART(s),
    ],
    exit: 2,
    message: 'not a regular file (a FIFO, a device or a folder)',
  },
  // stdout: a reader that went away is a normal end; a write that failed is an error
  {
    name: 'scan --k8s into a closed pipe (| head -1)',
    stdout: 'closed',
    args: (s) => ['scan', '--k8s', 'v1.12.4', '--repo', s.url],
    exit: 0,
    message: '',
  },
  {
    name: 'diff --k8s into a closed pipe (| head -1)',
    stdout: 'closed',
    args: (s) => ['diff', '--k8s', 'v1.12.4', '--repo', s.url],
    exit: 0,
    message: '',
  },
  {
    name: 'scan --json to a full disk (/dev/full)',
    stdout: 'full',
    args: (s) => ['scan', '--src', s.tree, '--json'],
    exit: 1,
    message: 'error[output_failed]: cannot write the output: standard output\n  ENOSPC',
  },
  {
    name: 'fetch --json to a full disk (/dev/full)',
    stdout: 'full',
    args: (s) => fetch(s, '--json'),
    exit: 1,
    message: 'error[output_failed]',
  },
  // SIGTERM and SIGHUP: the same clean-up as Ctrl-C, in every stage
  {
    name: 'SIGTERM while fetching',
    args: (s) => ['fetch', '--k8s', 'v1.12.4', '--repo', `http://127.0.0.1:${s.hangPort}/kubernetes.git`, '--timeout', '120'],
    interrupt: (_s, run) => signalOnConnect(run, 'SIGTERM'),
    exit: 143,
    message: 'error[interrupted]: interrupted: by SIGTERM',
  },
  {
    name: 'SIGHUP while scan --k8s fetches',
    args: (s) => ['scan', '--k8s', 'v1.12.4', '--repo', `git://127.0.0.1:${s.hangPort}/kubernetes`, '--timeout', '120'],
    interrupt: (_s, run) => signalOnConnect(run, 'SIGHUP'),
    exit: 129,
    message: 'error[interrupted]: interrupted: by SIGHUP',
  },
  {
    name: 'SIGTERM while git writes the work tree (fetch)',
    setup: primeManyFiles,
    args: (s) => ['fetch', '--k8s', 'v1.12.4', '--repo', manyFilesRemote(ROOT)],
    interrupt: (s, run) => signalDuringCheckout(s, run, 'SIGTERM'),
    exit: 143,
    message: 'by SIGTERM',
  },
  {
    name: 'SIGHUP while git writes the work tree (scan --k8s)',
    setup: primeManyFiles,
    args: (s) => ['scan', '--k8s', 'v1.12.4', '--repo', manyFilesRemote(ROOT)],
    interrupt: (s, run) => signalDuringCheckout(s, run, 'SIGHUP'),
    exit: 129,
    message: 'by SIGHUP',
  },
  {
    name: 'SIGINT while git writes the work tree (diff --k8s)',
    setup: primeManyFiles,
    args: (s) => ['diff', '--k8s', 'v1.12.4', '--repo', manyFilesRemote(ROOT)],
    interrupt: (s, run) => signalDuringCheckout(s, run, 'SIGINT'),
    exit: 130,
    message: 'error[interrupted]',
  },
  // a cache folder that cannot be made fails at once
  {
    name: '--cache-dir under /proc',
    args: (s) => fetch(s, '--cache-dir', '/proc/kpatch-cache'),
    exit: 1,
    message:
      "error[cache_error]: cannot use the source cache: /proc/kpatch-cache\n  ENOENT: no such file or directory, mkdir '/proc/kpatch-cache'",
  },
  {
    name: 'KPATCH_CACHE_DIR under /proc/self',
    setup: (s) => void (s.env.KPATCH_CACHE_DIR = '/proc/self/kpatch/cache'),
    args: (s) => ['scan', '--k8s', 'v1.12.4', '--repo', s.url],
    exit: 1,
    message: 'error[cache_error]',
  },
  { name: '--cache-dir under /sys', args: (s) => fetch(s, '--cache-dir', '/sys/kpatch-cache'), exit: 1, message: 'error[cache_error]' },
  // a repository from the settings file is blamed on the settings file, not on a --repo nobody typed; the offline hint names the ways out
  {
    name: 'settings file whose repo does not exist',
    setup: (s) => writeFileSync(path.join(s.tree, 'kpatch.config.json'), JSON.stringify({ repo: path.join(s.dir, 'no-such.git') })),
    args: () => ['fetch', '--k8s', 'v1.12.4', '--no-keep'],
    exit: 1,
    message: 'kpatch.config.json, or pass --repo URL to override it for this run',
  },
  {
    name: 'settings file whose repo is an option',
    setup: (s) => writeFileSync(path.join(s.tree, 'kpatch.config.json'), JSON.stringify({ repo: '--upload-pack=touch pwned' })),
    args: () => ['scan', '--k8s', 'v1.12.4'],
    exit: 2,
    message: 'error[config_invalid]: the settings file is not valid',
  },
  {
    name: 'a remote that never answers: the hint names --src and a local mirror',
    args: (s) => ['scan', '--k8s', 'v1.12.4', '--repo', `git://127.0.0.1:${s.hangPort}/kubernetes`, '--timeout', '2'],
    exit: 1,
    message: 'offline, work on a checkout with --src DIR, or point --repo at a local mirror',
  },
  {
    name: 'diff --src --check with no reviewed patch: the hint repeats --src',
    setup: (s) => {
      git(s.tree, ['tag', 'v1.12.4']);
      mkdirSync(path.join(s.out, 'reviewed'));
    },
    args: (s) => ['diff', '--src', s.tree, '--check', path.join(s.out, 'reviewed')],
    exit: 1,
    message: 'rewrite the file with `kpatch diff --src /',
  },
  {
    name: 'diff on a target file whose name holds a tab',
    setup: (s) => {
      renameSync(MEMORY_GO(s), path.join(FS_DIR(s), 'mem\tory.go'));
      git(s.tree, ['add', '-A']);
      git(s.tree, ['commit', '-qm', 'tab']);
    },
    args: (s) => ['diff', '--src', s.tree],
    exit: 1,
    message:
      'error[unsafe_name]: file name that a patch cannot carry: "vendor/github.com/opencontainers/runc/libcontainer/cgroups/fs/mem\\tory.go"',
  },
  {
    name: 'build --src on a target file whose name holds a newline',
    setup: (s) => {
      renameSync(MEMORY_GO(s), path.join(FS_DIR(s), 'mem\nory.go'));
      git(s.tree, ['add', '-A']);
      git(s.tree, ['commit', '-qm', 'newline']);
    },
    args: (s) => ['build', '--src', s.tree, '--runner', 'local', '--version-string', 'v1.12.4+kpatch.test', '--out', ART(s)],
    exit: 1,
    message: 'error[unsafe_name]',
    cacheMayChange: BUILD_LEFTOVERS,
  },
  // names with control characters are quoted, never printed raw (a newline could forge a line of the report)
  {
    name: 'verify: a file whose name holds a newline and a forged ok line',
    setup: (s) => writeFileSync(path.join(artifactFolder(s.dir), 'notes\nok   kubelet: sha256 matches'), 'x'),
    args: (s) => ['verify', artifactsOf(s.dir)],
    exit: 1,
    message: 'about: "notes\\nok   kubelet: sha256 matches"',
  },
  {
    name: 'verify: a file whose name holds a tab and an escape',
    setup: (s) => writeFileSync(path.join(artifactFolder(s.dir), 'linux-amd64/kube\tlet\u001b[2K'), 'x'),
    args: (s) => ['verify', artifactsOf(s.dir)],
    exit: 1,
    message: '"linux-amd64/kube\\tlet\\u001b[2K"',
  },
  // what verify proves follows from the mode and the recipe; records name each file once, as bytes
  {
    name: 'verify: a nokmem folder whose manifest has no verification record',
    setup: (s) => void artifactFolder(s.dir, (m) => Object.assign(m.source, { repo: s.url, commit: remote.commits['v1.12.4'] })),
    args: (s) => ['verify', artifactsOf(s.dir)],
    exit: 1,
    message: 'first: FAIL manifest.json: has no verification record: a nokmem build records how its fix was proven',
  },
  {
    name: 'verify: a manifest whose mode verify does not know',
    setup: (s) => void artifactFolder(s.dir, (m) => (m.mode = 'nokmem2')),
    args: (s) => ['verify', artifactsOf(s.dir)],
    exit: 1,
    message: 'first: FAIL manifest.json: mode "nokmem2" is not a mode of recipe kmem-accounting',
  },
  {
    name: 'verify: SHA256SUMS lists the kubelet twice, a made-up digest first',
    setup: (s) => {
      const sums = path.join(artifactFolder(s.dir), 'SHA256SUMS');
      writeFileSync(sums, `${'0'.repeat(64)}  ${KUBELET}\n${readFileSync(sums, 'utf8')}`);
    },
    args: (s) => ['verify', artifactsOf(s.dir)],
    exit: 1,
    message: `first: FAIL SHA256SUMS: lists ${KUBELET} twice (lines 1 and 2)`,
  },
  {
    name: 'verify: a file whose name is not UTF-8',
    setup: (s) => writeFileSync(Buffer.from(`${artifactFolder(s.dir)}/notes\xff`, 'latin1'), 'x'),
    args: (s) => ['verify', artifactsOf(s.dir)],
    exit: 1,
    message: 'first: FAIL "notes\\xff": its name is not UTF-8',
  },
  {
    name: 'verify: manifest.json with the key "mode" twice',
    setup: (s) => {
      const file = path.join(artifactFolder(s.dir), 'manifest.json');
      writeFileSync(file, readFileSync(file, 'utf8').replace('"mode": "nokmem",', '"mode": "none",\n  "mode": "nokmem",'));
    },
    args: (s) => ['verify', artifactsOf(s.dir)],
    exit: 1,
    message: 'first: FAIL manifest.json: has the key "mode" (in /) twice',
  },

  // ---- the host and the registry: missing programs, GOPATH-era trees, images that cannot be pulled (issue 13)
  // signing keys and kpatch sign (issue 16): a bad key is said before anything is fetched; sign never signs what it cannot vouch for
  {
    name: 'build --sign-key a file that is not a PEM key',
    setup: (s) => writeFileSync(path.join(s.dir, 'key.pem'), 'not a key\n'),
    args: (s) => build(s, '--runner', 'local', '--sign-key', path.join(s.dir, 'key.pem')),
    exit: 2,
    message: 'error[key_unreadable]: cannot use the key: --sign-key',
  },
  {
    name: 'build --sign-key an EC key on the wrong curve (P-384)',
    setup: (s) => sh('openssl', ['ecparam', '-name', 'secp384r1', '-genkey', '-noout', '-out', path.join(s.dir, 'p384.pem')]),
    args: (s) => build(s, '--runner', 'local', '--sign-key', path.join(s.dir, 'p384.pem')),
    exit: 2,
    message: 'an EC key on curve secp384r1; kpatch signs and verifies with ECDSA on P-256 (prime256v1) only',
  },
  {
    name: 'build --sign-key a public key',
    setup: (s) => {
      sh('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', path.join(s.dir, 'key.pem')]);
      sh('openssl', ['ec', '-in', path.join(s.dir, 'key.pem'), '-pubout', '-out', path.join(s.dir, 'pub.pem')]);
    },
    args: (s) => build(s, '--runner', 'local', '--sign-key', path.join(s.dir, 'pub.pem')),
    exit: 2,
    message: 'this is a public key; --sign-key takes the private one',
  },
  {
    name: 'build --sign-key that does not exist',
    args: (s) => build(s, '--runner', 'local', '--sign-key', path.join(s.dir, 'no-such.pem')),
    exit: 2,
    message: 'error[key_unreadable]: cannot use the key: --sign-key',
  },
  {
    name: 'verify --key that is a FIFO',
    setup: (s) => {
      artifactFolder(s.dir);
      sh('mkfifo', [path.join(s.dir, 'pub.pem')]);
    },
    args: (s) => ['verify', artifactsOf(s.dir), '--key', path.join(s.dir, 'pub.pem')],
    exit: 2,
    message: 'error[key_unreadable]',
  },
  {
    name: 'verify --key an encrypted private key: the message sign gives',
    setup: (s) => {
      artifactFolder(s.dir);
      sh('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', path.join(s.dir, 'plain.pem')]);
      sh('openssl', ['pkcs8', '-topk8', '-in', path.join(s.dir, 'plain.pem'), '-out', path.join(s.dir, 'key.pem'), '-passout', 'pass:x']);
    },
    args: (s) => ['verify', artifactsOf(s.dir), '--key', path.join(s.dir, 'key.pem')],
    exit: 2,
    message: 'the private key is encrypted (a cosign.key is, too); decrypt it first',
  },
  {
    name: 'sign on a folder whose SHA256SUMS lists the kubelet twice',
    setup: (s) => {
      const sums = path.join(artifactFolder(s.dir), 'SHA256SUMS');
      writeFileSync(sums, `${readFileSync(sums, 'utf8')}${'0'.repeat(64)}  ${KUBELET}\n`);
      sh('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', path.join(s.dir, 'key.pem')]);
    },
    args: (s) => ['sign', artifactsOf(s.dir), '--sign-key', path.join(s.dir, 'key.pem')],
    exit: 1,
    message: `FAIL SHA256SUMS: lists ${KUBELET} twice (lines 1 and 5)`,
  },
  {
    name: 'sign on a folder holding a file whose name is not UTF-8',
    setup: (s) => {
      writeFileSync(Buffer.from(`${artifactFolder(s.dir)}/notes\xff`, 'latin1'), 'x');
      sh('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', path.join(s.dir, 'key.pem')]);
    },
    args: (s) => ['sign', artifactsOf(s.dir), '--sign-key', path.join(s.dir, 'key.pem')],
    exit: 1,
    message: 'FAIL "notes\\xff": its name is not UTF-8',
  },
  {
    name: 'sign on a folder without SHA256SUMS',
    setup: (s) => {
      rmSync(path.join(artifactFolder(s.dir), 'SHA256SUMS'));
      sh('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', path.join(s.dir, 'key.pem')]);
    },
    args: (s) => ['sign', artifactsOf(s.dir), '--sign-key', path.join(s.dir, 'key.pem')],
    exit: 1,
    message: 'error[sums_missing]: nothing to sign: the folder has no SHA256SUMS',
  },
  {
    name: 'build --runner local without rsync and gcc: one error naming both, nothing fetched',
    path: ['git', ...HOST_TOOLS.filter((p) => p !== 'rsync' && p !== 'gcc')],
    args: (s) => build(s, '--runner', 'local'),
    exit: 1,
    message: 'apt-get install rsync gcc',
  },
  {
    name: 'build --runner auto falling back to a host without rsync',
    path: ['git', ...HOST_TOOLS.filter((p) => p !== 'rsync')],
    args: (s) => build(s),
    exit: 1,
    message: 'error[host_tools_missing]: the host lacks programs the build runs: --runner local',
  },
  {
    name: 'build --runc --runner local without gcc (cgo)',
    path: ['git', ...HOST_TOOLS.filter((p) => p !== 'gcc')],
    args: (s) => ['build', '--runc', 'v1.0.0-rc5', '--repo', s.runcUrl, '--runner', 'local', '--out', ART(s)],
    exit: 1,
    message: 'runc is built with cgo (nsenter)',
  },
  {
    name: 'build --runner local, gcc without the C library start files (libc6-dev)',
    path: ['git', ...HOST_TOOLS.filter((p) => p !== 'gcc')],
    setup: (s) => {
      const gcc = path.join(s.dir, 'bin', 'gcc');
      mkdirSync(path.dirname(gcc), { recursive: true });
      writeFileSync(gcc, '#!/bin/sh\necho crt1.o\n');
      chmodSync(gcc, 0o755);
    },
    args: (s) => build(s, '--runner', 'local'),
    exit: 1,
    message: 'apt-get install libc6-dev',
  },
  {
    name: 'build --runner podman, no --registry candidate can be pulled',
    skip: podmanInstalled,
    setup: async (s) => {
      Object.assign(s.env, PODMAN_ENV);
      deadRegistry = `127.0.0.1:${await freePort()}`;
    },
    args: (s) => build(s, '--runner', 'podman', '--registry', `${deadRegistry}/k8s,${deadRegistry}/mirror`),
    exit: 1,
    message: 'error[image_unavailable]: build image not available: none of 2 candidates',
  },
  {
    name: 'build --src --runner podman --image without make and go: refused before the checkout is patched',
    skip: podmanInstalled,
    setup: (s) => {
      Object.assign(s.env, PODMAN_ENV);
      const image = `localhost/kpatch-test/shell-only:badinput-${process.pid}`;
      importShellOnlyImage(image);
      cleanups.push(() =>
        spawnSync('podman', ['--runtime', '/usr/sbin/runc', 'rmi', '--force', image], { env: { ...process.env, ...PODMAN_ENV } }),
      );
    },
    args: (s) => [
      'build',
      '--src',
      s.tree,
      '--runner',
      'podman',
      '--image',
      `localhost/kpatch-test/shell-only:badinput-${process.pid}`,
      '--version-string',
      'v1.12.4+kpatch.guard',
      '--out',
      ART(s),
    ],
    exit: 1,
    message: 'error[image_unusable]: build image lacks make or Go: localhost/kpatch-test/shell-only:badinput-',
  },
];

// Set by beforeAll: the pristine memory.go of v1.12.4.
let pristineMemoryGo = '';

function git(cwd: string, args: string[]): void {
  execFileSync('git', ['-c', 'user.name=kpatch-test', '-c', 'user.email=test@kpatch.invalid', '-c', 'commit.gpgSign=false', ...args], {
    cwd,
    stdio: 'pipe',
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
  });
}

/** Edits memory.go and commits the edit, so the tree is clean but different. */
function commitChange(s: Sandbox, edit: (text: string) => string): void {
  writeFileSync(MEMORY_GO(s), edit(pristineMemoryGo));
  git(s.tree, ['commit', '-qam', 'edit']);
}

function kpatchSync(args: string[], env: Record<string, string>): void {
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bin/kpatch.js'), ...args], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`kpatch ${args.join(' ')}: ${r.stderr}`);
}

/**
 * Fills a cache as real use does: Kubernetes v1.12.4 and runc v1.0.0-rc5
 * fetched, and a temporary work tree of each made and removed (so its
 * folders exist), for rows to leave untouched.
 */
function primeCache(cache: string): void {
  kpatchSync(['scan', '--k8s', 'v1.12.4', '--repo', remote.url], baseEnv(cache, 'prime'));
  kpatchSync(['scan', '--runc', 'v1.0.0-rc5', '--repo', runcUrl], baseEnv(cache, 'prime'));
}

function baseEnv(cache: string, marker: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME,
    KPATCH_CACHE_DIR: cache,
    CI: '1',
    NO_COLOR: '1',
    LANG: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: path.join(HOME, 'gitconfig'),
    [MARK_VAR]: marker,
  };
}

beforeAll(async () => {
  mkdirSync(HOME, { recursive: true });
  writeFileSync(path.join(HOME, 'gitconfig'), '');
  remote = makeStandinRemote(path.join(ROOT, 'remote'));
  runcUrl = makeRuncStandinRemote(path.join(ROOT, 'runc-remote')).url;
  hang = await hangListener();
  materializeStandin('v1.12.4', path.join(ROOT, 'pristine'));
  pristineMemoryGo = readFileSync(path.join(ROOT, 'pristine', STANDIN_MEMORY_GO), 'utf8');
  // The shared cache holds the tags rows use, so rows start from a cache with content to protect.
  primeCache(SHARED_CACHE);
}, 120_000);

afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) c();
  await hang?.close();
  rmSync(ROOT, { recursive: true, force: true });
});

let rowNumber = 0;
/** A fresh sandbox for one row: a committed stand-in tree, an empty --out parent, the cache. */
function sandbox(c: Case): Sandbox {
  const dir = path.join(ROOT, 'rows', `${String(++rowNumber).padStart(2, '0')}`);
  const tree = path.join(dir, 'tree');
  const out = path.join(dir, 'out');
  mkdirSync(out, { recursive: true });
  for (const d of [path.join(ROOT, 'rows'), dir]) chmodSync(d, 0o755);
  materializeStandin('v1.12.4', tree);
  git(tree, ['init', '-q']);
  git(tree, ['add', '-A']);
  git(tree, ['commit', '-qm', 'v1.12.4']);
  const cache = c.cache === 'fresh' ? path.join(dir, 'cache') : SHARED_CACHE;
  const marker = `row-${rowNumber}-${process.pid}`;
  if (c.cache === 'fresh') primeCache(cache);
  return { dir, tree, out, cache, url: remote.url, runcUrl, hangPort: hang.port, env: { [MARK_VAR]: marker } };
}

describe(`kpatch refuses ${CASES.length} bad inputs cleanly`, () => {
  it('the table has at least 40 rows, each with a unique name', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  for (const c of CASES) {
    it(c.name, { timeout: 300_000 }, async (ctx) => {
      const why = c.skip?.();
      if (why) ctx.skip(why);
      const s = sandbox(c);
      const marker = s.env[MARK_VAR];
      const cleanupsAt = cleanups.length;
      try {
        await c.setup?.(s);
        const env = { ...baseEnv(s.cache, marker), ...s.env };
        if (c.path) env.PATH = binDir(s, c.path);
        const snap = (): Record<'tree' | 'cache' | 'out', Snapshot> => ({
          tree: snapshotDir(s.tree, { skip: ['.git/index'] }),
          cache: snapshotDir(s.cache),
          out: snapshotDir(s.out),
        });
        const was = snap();
        const nobody = c.asNobody && IS_ROOT;
        const stdoutFd = c.stdout === 'full' ? openSync('/dev/full', 'w') : undefined;
        const stdout = stdoutFd ?? (c.stdout === 'closed' ? 'closed' : 'pipe');
        const run = startKpatch(c.args(s), {
          cwd: c.cwd === 'dir' ? s.dir : s.tree,
          env,
          uid: nobody ? NOBODY : undefined,
          gid: nobody ? NOBODY : undefined,
          stdout,
        });
        if (stdoutFd !== undefined) closeSync(stdoutFd);
        const t0 = Date.now();
        if (c.interrupt) await c.interrupt(s, run);
        // A kpatch that hangs may ignore SIGTERM (blocked in a system call): SIGKILL ends the row.
        const killer = c.within ? setTimeout(() => run.child.kill('SIGKILL'), c.within * 2000) : undefined;
        const r = await run.done;
        clearTimeout(killer);
        const seconds = (Date.now() - t0) / 1000;
        if (c.within) {
          expect(r.signal, `kpatch hung and was killed after ${c.within * 2} s`).toBeNull();
          expect(seconds, 'kpatch stops promptly on its own').toBeLessThan(c.within);
        }

        expect(c.messageOn === 'stdout' ? r.stdout : r.stderr, 'the message').toContain(c.message);
        expect(r.code, `exit code; stderr:\n${r.stderr}`).toBe(c.exit);
        // Exit 0 rows (a closed pipe is a normal end) have no error to show, and must not crash either.
        if (c.exit !== 0 && c.messageOn !== 'stdout') expect(r.stderr, 'a kpatch error, not a crash').toMatch(/^kpatch: error\[[a-z_]+\]/m);
        expect(r.stderr).not.toMatch(/error\[internal\]|^\s+at .+:\d+:\d+\)?$/m);
        if ([130, 143, 129].includes(c.exit)) expect(seconds, 'Ctrl-C, SIGTERM and SIGHUP are honoured promptly').toBeLessThan(30);

        await new Promise((res) => setTimeout(res, 100));
        expect(markedProcesses(marker), 'processes kpatch started and left running').toEqual([]);
        if (c.skip === podmanImage) expect(containersUnder(s.cache), 'build containers left behind').toEqual([]);

        const now = snap();
        const strict = c.exit === 2;
        const diffs = [
          ...compareSnapshots('tree', was.tree, now.tree, { strict }),
          ...compareSnapshots('cache', was.cache, now.cache, { strict, mayChange: c.cacheMayChange }),
          ...compareSnapshots('out', was.out, now.out, { strict }),
        ];
        expect(diffs, 'changes on disk').toEqual([]);
      } finally {
        for (const undo of cleanups.splice(cleanupsAt).reverse()) undo();
      }
    });
  }
});

// ---- helpers of the section "patch and diff keep the user's files" (issue 14)

/** Where the rows of that section keep reviewed patches: inside --out's parent, so the snapshot covers them. */
const REVIEWED = (s: Sandbox) => path.join(s.out, 'reviewed');
/** memory.go's path inside the vendored runc, when runc is a submodule. */
const SUB_MEMORY_GO = STANDIN_MEMORY_GO.slice('vendor/github.com/opencontainers/runc/'.length);

/** Tags the row's checkout v1.12.4, so reviewed patches can be filed for it. */
function tagTree(s: Sandbox): void {
  git(s.tree, ['tag', '-a', 'v1.12.4', '-m', 'v1.12.4']);
}

/**
 * A reviewed patch filed the old way, from a work tree with a local edit next
 * to the call (made here in a clone where the edit is committed under the
 * tag), and the row's checkout carrying the same edit uncommitted.
 */
function reviewedFromLocalEdits(s: Sandbox): void {
  tagTree(s);
  const edited = path.join(s.dir, 'edited');
  git(s.dir, ['clone', '-q', s.tree, edited]);
  const edit = (t: string) => t.replace('func (s *MemoryGroup) Apply(', '// a local edit, not in v1.12.4\nfunc (s *MemoryGroup) Apply(');
  writeFileSync(path.join(edited, STANDIN_MEMORY_GO), edit(pristineMemoryGo));
  git(edited, ['commit', '-qam', 'local edit']);
  git(edited, ['tag', '-f', '-a', 'v1.12.4', '-m', 'v1.12.4']);
  kpatchSync(['diff', '--src', edited, '--write', REVIEWED(s)], baseEnv(s.cache, s.env[MARK_VAR]));
  // The clone's commit is newer: give the filed patch the tag's date, so only the edit tells them apart.
  const clean = path.join(s.dir, 'clean-reviewed');
  kpatchSync(['diff', '--src', s.tree, '--write', clean], baseEnv(s.cache, s.env[MARK_VAR]));
  const name = path.join('v1.12.4', '0001-kmem-accounting-guard.patch');
  const date = /^Date: .*$/m.exec(readFileSync(path.join(clean, name), 'utf8'))![0];
  writeFileSync(path.join(REVIEWED(s), name), readFileSync(path.join(REVIEWED(s), name), 'utf8').replace(/^Date: .*$/m, date));
  writeFileSync(MEMORY_GO(s), edit(pristineMemoryGo));
}

/** The vendored runc made a git submodule of the row's checkout (committed); `dirty` then edits it. */
function submoduleTree(s: Sandbox, dirty: (sub: string) => void): void {
  const vendored = 'vendor/github.com/opencontainers/runc';
  const upstream = path.join(s.dir, 'runc-upstream');
  execFileSync('cp', ['-a', path.join(s.tree, vendored), upstream]);
  git(upstream, ['init', '-q']);
  git(upstream, ['add', '-A']);
  git(upstream, ['commit', '-qm', 'runc']);
  git(s.tree, ['rm', '-rq', vendored]);
  git(s.tree, ['-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', `file://${upstream}`, vendored]);
  git(s.tree, ['commit', '-qam', 'runc as a submodule']);
  const sub = path.join(s.tree, vendored);
  dirty(sub);
  // Refresh both indexes now, so the check kpatch runs has nothing to write into them.
  git(sub, ['status', '--porcelain']);
  git(s.tree, ['status', '--porcelain']);
}

/** The checkout patched in `mode` by kpatch and the result committed. */
function patchedAndCommitted(s: Sandbox, mode: string): void {
  kpatchSync(['patch', '--src', s.tree, '--mode', mode], baseEnv(s.cache, s.env[MARK_VAR]));
  git(s.tree, ['commit', '-qam', `kpatch ${mode}`]);
}

/** fifoTarget, and memory.go's mtime set to a whole second, so editWhileHeld can put it back exactly. */
function holdWithRoundMtime(s: Sandbox): void {
  fifoTarget(s);
  utimesSync(MEMORY_GO(s), 1_600_000_000, 1_600_000_000);
}

/**
 * Not a Ctrl-C: once kpatch has read memory.go and is held on the FIFO, edits
 * memory.go as another program would, then lets kpatch go on. After kpatch
 * ends, the edit must still be there (else this throws: the edit was lost);
 * then the file is put back, content and mtime, so the row's "nothing
 * changed" check sees only what kpatch itself did.
 */
function editWhileHeld(edit: (text: string) => string): (s: Sandbox, run: Running) => Promise<void> {
  return async (s, run) => {
    const fifo = path.join(s.tree, 'hold.fifo');
    const file = MEMORY_GO(s);
    const original = readFileSync(file, 'utf8');
    const writer = (): number | undefined => {
      try {
        return openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
      } catch {
        return undefined;
      }
    };
    let fd: number | undefined;
    await waitFor(() => (fd = writer()) !== undefined, 30_000, 'kpatch to open the held target');
    writeFileSync(file, edit(original));
    let exited = false;
    void run.done.then(() => (exited = true));
    while (!exited) {
      if (fd !== undefined) {
        writeSync(fd, 'package fs\n');
        closeSync(fd);
      }
      await new Promise((r) => setTimeout(r, 100));
      fd = exited ? undefined : writer();
    }
    if (fd !== undefined) closeSync(fd);
    const after = readFileSync(file, 'utf8');
    writeFileSync(file, original);
    utimesSync(file, 1_600_000_000, 1_600_000_000);
    expect(after, 'the edit made while kpatch worked').toBe(edit(original));
  };
}
