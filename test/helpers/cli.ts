/**
 * Runs the real kpatch executable (bin/kpatch.js over the compiled dist/) as
 * a child process, the way users and CI run it.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The executable users run. */
export const BIN = path.join(REPO_ROOT, 'bin/kpatch.js');

/** What a kpatch run printed and returned. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** How long the run took, in ms. */
  ms: number;
  /** True when `timeoutMs` passed and the run was killed (SIGKILL: a hung kpatch may ignore SIGTERM). */
  killed: boolean;
}

/** Runs `kpatch ...args` and waits for it (at most `timeoutMs`, when given). */
export function kpatch(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string | undefined>; timeoutMs?: number } = {},
): CliResult {
  const started = Date.now();
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? REPO_ROOT,
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: opts.timeoutMs,
    killSignal: 'SIGKILL',
  });
  const killed = opts.timeoutMs !== undefined && r.signal === 'SIGKILL';
  if (r.error && !killed) throw r.error;
  return { code: r.status ?? (r.signal ? 128 : 1), stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started, killed };
}
