/**
 * Test helpers for the tag cache: temporary folders, a bare "Kubernetes"
 * remote with releases and history between them, a git that records its
 * calls, and a way to make the remote slow or silent (a real upload-pack
 * throttled through git's own `uploadpack.packObjectsHook`).
 *
 * Real git throughout, run with argument arrays and a fixed identity; the
 * user's own git configuration is kept out (HOME and GIT_CONFIG_* point at
 * temporary files).
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { captureIo } from '../../src/io.js';
import { BIN, REPO_ROOT } from './cli.js';

const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** A new empty temporary folder, removed after the test file. */
export function tmpDir(prefix = 'kpatch-src-'): string {
  const d = mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(d);
  return d;
}

/** The real git program, found once on the test runner's PATH. */
export const REAL_GIT = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();

/** A clean environment for git and kpatch: real PATH, a private HOME, no system or global git config. */
export function baseEnv(home: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: path.join(home, 'gitconfig'),
    LANG: 'C',
  };
}

/** Runs git in `cwd` and returns stdout. */
export function git(cwd: string, args: string[], env: Record<string, string> = {}): string {
  return execFileSync(REAL_GIT, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...baseEnv(cwd),
      GIT_AUTHOR_NAME: 'Release Bot',
      GIT_AUTHOR_EMAIL: 'bot@kpatch.invalid',
      GIT_COMMITTER_NAME: 'Release Bot',
      GIT_COMMITTER_EMAIL: 'bot@kpatch.invalid',
      GIT_AUTHOR_DATE: '2019-01-01T00:00:00Z',
      GIT_COMMITTER_DATE: '2019-01-01T00:00:00Z',
      ...env,
    },
  });
}

/** A test remote. */
export interface TestRemote {
  /** Path of the bare repository. */
  bare: string;
  /** Its `file://` URL (git's pack protocol). */
  url: string;
  /** The non-bare repository the releases are made in. */
  work: string;
  /** Peeled commit of every release tag that points to a commit. */
  commits: Record<string, string>;
}

/** Options for makeRemote. */
export interface RemoteOptions {
  /** Adds this many files of `bigFileBytes` random (incompressible) bytes to every release. */
  bigFiles?: number;
  bigFileBytes?: number;
}

/**
 * Builds a remote with history between its releases:
 * v1.12.3 (lightweight), v1.12.4 (annotated), v1.13.0-rc.1 (annotated),
 * v1.13.0 (lightweight), v1.15.0 (an annotated tag of an annotated tag),
 * v1.14.0 (lightweight, points to a tree), v1.14.1 (annotated, points to a
 * blob), `nightly` (not a release name), and one more commit on main.
 */
export function makeRemote(root: string, opts: RemoteOptions = {}): TestRemote {
  const work = path.join(root, 'work');
  mkdirSync(work, { recursive: true });
  git(work, ['init', '--quiet', '--initial-branch=main']);
  const commits: Record<string, string> = {};
  let n = 0;
  const commit = (msg: string): string => {
    n++;
    mkdirSync(path.join(work, 'pkg', 'kubelet'), { recursive: true });
    writeFileSync(path.join(work, 'pkg', 'kubelet', `step${n}.go`), `package kubelet\n\n// step ${n}\n`);
    writeFileSync(path.join(work, 'HISTORY'), `${msg}\n`, { flag: 'a' });
    git(work, ['add', '-A']);
    git(work, ['commit', '--quiet', '-m', msg]);
    return git(work, ['rev-parse', 'HEAD']).trim();
  };
  const release = (tag: string, annotated: boolean): void => {
    writeFileSync(path.join(work, 'VERSION'), `${tag}\n`);
    for (let i = 0; i < (opts.bigFiles ?? 0); i++) {
      mkdirSync(path.join(work, 'vendor', 'blobs'), { recursive: true });
      writeFileSync(path.join(work, 'vendor', 'blobs', `${tag}-${i}.bin`), randomBytes(opts.bigFileBytes ?? 1 << 20));
    }
    commits[tag] = commit(`release ${tag}`);
    git(work, annotated ? ['tag', '-a', '-m', `Kubernetes ${tag}`, tag] : ['tag', tag]);
  };
  commit('start');
  release('v1.12.3', false);
  commit('fix something');
  release('v1.12.4', true);
  commit('feature');
  release('v1.13.0-rc.1', true);
  release('v1.13.0', false);
  commit('more work');
  release('v1.15.0-inner', true);
  git(work, ['tag', '-a', '-m', 'tag of a tag', 'v1.15.0', 'v1.15.0-inner']);
  commits['v1.15.0'] = commits['v1.15.0-inner'];
  delete commits['v1.15.0-inner'];
  git(work, ['tag', '-d', 'v1.15.0-inner']);
  git(work, ['tag', 'v1.14.0', git(work, ['rev-parse', 'HEAD^{tree}']).trim()]);
  git(work, ['tag', '-a', '-m', 'a blob', 'v1.14.1', git(work, ['rev-parse', 'HEAD:VERSION']).trim()]);
  git(work, ['tag', 'nightly']);
  commit('after the releases');
  const bare = path.join(root, 'kubernetes.git');
  git(root, ['clone', '--quiet', '--bare', '--no-local', work, bare]);
  return { bare, url: `file://${bare}`, work, commits };
}

/** Makes one more release in `remote` and pushes it; returns its commit. */
export function addRelease(remote: TestRemote, tag: string, annotated = true): string {
  writeFileSync(path.join(remote.work, 'VERSION'), `${tag}\n`);
  git(remote.work, ['add', '-A']);
  git(remote.work, ['commit', '--quiet', '-m', `release ${tag}`]);
  git(remote.work, annotated ? ['tag', '-a', '-m', `Kubernetes ${tag}`, tag] : ['tag', tag]);
  git(remote.work, ['push', '--quiet', remote.bare, 'main', `refs/tags/${tag}`]);
  const c = git(remote.work, ['rev-parse', 'HEAD']).trim();
  remote.commits[tag] = c;
  return c;
}

/** A folder with a `git` that appends its arguments to `log` and then runs real git (or fails, with `fail`). */
export function gitShim(root: string, fail = false): { dir: string; log: string } {
  const dir = path.join(root, 'shim-bin');
  mkdirSync(dir, { recursive: true });
  const log = path.join(root, 'git-calls.log');
  const body = fail ? 'exit 97' : `exec '${REAL_GIT}' "$@"`;
  writeFileSync(path.join(dir, 'git'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\n${body}\n`);
  chmodSync(path.join(dir, 'git'), 0o755);
  return { dir, log };
}

/** The lines a gitShim recorded (empty when git never ran). */
export function shimCalls(log: string): string[] {
  return existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
}

/**
 * Environment variables that make every upload-pack started with them serve
 * its pack at `bytesPerSecond`, or (`'hang'`) send nothing for `hangSeconds`:
 * a slow or silent network, with real git on both ends.
 */
export function slowRemoteEnv(root: string, mode: { bytesPerSecond: number } | { hangSeconds: number }): Record<string, string> {
  const hook = path.join(root, `pack-hook-${randomBytes(3).toString('hex')}.mjs`);
  const throttle =
    'bytesPerSecond' in mode
      ? `const child = spawn(process.argv[2], process.argv.slice(3), { stdio: ['inherit', 'pipe', 'inherit'] });
const chunk = Math.max(1024, Math.floor(${mode.bytesPerSecond} / 20));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const exited = new Promise((r) => child.on('exit', (code) => r(code)));
for await (const d of child.stdout) {
  for (let i = 0; i < d.length; i += chunk) {
    if (!process.stdout.write(d.subarray(i, i + chunk))) await new Promise((r) => process.stdout.once('drain', r));
    await sleep(50);
  }
}
process.exitCode = (await exited) ?? 1;`
      : `setTimeout(() => process.exit(1), ${mode.hangSeconds * 1000});`;
  writeFileSync(hook, `#!${process.execPath}\nimport { spawn } from 'node:child_process';\n${throttle}\n`);
  chmodSync(hook, 0o755);
  const cfg = path.join(root, `slow-gitconfig-${randomBytes(3).toString('hex')}`);
  writeFileSync(cfg, `[uploadpack]\n\tpackObjectsHook = ${hook}\n`);
  return { GIT_CONFIG_GLOBAL: cfg };
}

/** An Io for in-process runs: clean environment (plus `env`), output captured. */
export function testIo(home: string, env: Record<string, string> = {}, signal?: AbortSignal) {
  return captureIo({ env: { ...baseEnv(home), ...env }, cwd: home, signal });
}

/** Starts `kpatch ...args` as a child process (bin/kpatch.js over dist/); resolves with its result. */
export function startKpatch(
  args: string[],
  env: Record<string, string>,
  opts: { detached?: boolean } = {},
): { child: ReturnType<typeof spawn>; done: Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, env, detached: opts.detached ?? false });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

/** Every file and folder under `dir`, relative, sorted (for "created nothing" checks). */
export function listTree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[]).sort();
}

/** Polls `cond` every 20 ms until it is true; fails after `ms`. */
export async function waitFor(cond: () => boolean, ms = 20_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
