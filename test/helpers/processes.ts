/**
 * Process-level tools for the reliability suites: start the real kpatch
 * (bin/kpatch.js) without waiting for it, find every process a run left
 * behind, and a remote that accepts connections and never answers.
 *
 * Orphans are found by a marker variable in kpatch's environment: git, make,
 * go and the compiler, and the container engine's client all inherit it, so
 * any process still carrying it after kpatch exited is one kpatch started
 * and did not stop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { BIN } from './cli.js';

/** Name of the marker variable. */
export const MARK_VAR = 'KPATCH_RELIABILITY_MARK';

/** What a finished kpatch run returned. */
export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A running kpatch. */
export interface Running {
  child: ChildProcess;
  /** stderr so far (progress lines, errors). */
  stderr(): string;
  done: Promise<Finished>;
}

/** Options of {@link startKpatch}. */
export interface StartOptions {
  cwd: string;
  /** The complete environment (nothing is inherited). */
  env: Record<string, string>;
  /** Run as this user and group (only when the test runs as root). */
  uid?: number;
  gid?: number;
  /** kpatch's stdout: a pipe read by the test (default), a pipe whose reader has gone ('closed'), or an open file descriptor (e.g. /dev/full). */
  stdout?: 'pipe' | 'closed' | number;
}

/** Starts `kpatch ...args` as its own process. */
export function startKpatch(args: string[], opts: StartOptions): Running {
  const out = typeof opts.stdout === 'number' ? opts.stdout : 'pipe';
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: opts.cwd,
    env: opts.env,
    uid: opts.uid,
    gid: opts.gid,
    stdio: ['ignore', out, 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  // Closing our end makes every write of kpatch's fail with EPIPE, as after `| head -1`.
  if (opts.stdout === 'closed') child.stdout!.destroy();
  else child.stdout?.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<Finished>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, stderr: () => stderr, done };
}

/** "pid command" of every live process whose environment holds `MARK_VAR=marker`. */
export function markedProcesses(marker: string): string[] {
  const needle = `${MARK_VAR}=${marker}\0`;
  const hits: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (!readFileSync(`/proc/${pid}/environ`, 'latin1').includes(needle)) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      if (/\) Z /.test(stat)) continue; // a zombie has exited; its parent just has not reaped it yet
      hits.push(`${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' ').trim()}`);
    } catch {
      // gone meanwhile, or a kernel thread
    }
  }
  return hits;
}

/** Polls `cond` every 50 ms; throws naming `what` after `ms`. */
export async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A TCP listener on 127.0.0.1 that accepts every connection and never sends a byte. */
export interface HangListener {
  port: number;
  /** Connections accepted so far. */
  accepted(): number;
  close(): Promise<void>;
}

/** Starts a {@link HangListener}: a remote that hangs, for git:// and http:// URLs. */
export function hangListener(): Promise<HangListener> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('data', () => {}); // read and ignore the request
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        accepted: () => accepted,
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}
