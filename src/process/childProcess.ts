/**
 * The two ways the build runs other programs: `runStreaming` for the long
 * build itself (output streamed line by line, Ctrl-C stops the whole process
 * tree) and `runCapture` for short probes such as `docker info` (output
 * collected, bounded by a timeout). Both take an argument array, never a
 * shell command line, and the environment from the caller (PATH included:
 * Node looks the program up in `env.PATH`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { KpatchError } from '../errors.js';

/** The caller's environment (values may be undefined, as in `Io.env`) as a child's environment. */
export function childEnv(...layers: Record<string, string | undefined>[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer)) if (v !== undefined) out[k] = v;
  }
  return out;
}

/** Which stream a line came from. */
export type StreamName = 'stdout' | 'stderr';

/** How to run a streaming child. */
export interface RunStreamingOptions {
  /** Folder the program runs in. */
  cwd?: string;
  /** The complete environment of the child (nothing is inherited implicitly). */
  env: Record<string, string>;
  /** Receives each line of stdout and stderr, without the newline, as it arrives. */
  onLine: (line: string, stream: StreamName) => void;
  /** When aborted: SIGTERM the process group, SIGKILL after `killGraceMs`, run `onAbort`. */
  signal?: AbortSignal;
  /**
   * Extra clean-up on abort, run at once (alongside the SIGTERM) and awaited
   * before `runStreaming` settles; container runners remove their container
   * here. Errors it throws are ignored: the abort must still complete.
   */
  onAbort?: () => Promise<void> | void;
  /** Time between SIGTERM and SIGKILL; default 5 s. */
  killGraceMs?: number;
}

/**
 * Runs `cmd args` and resolves with its exit code (128 + signal number when
 * a signal ended it). The child gets its own process group so that an abort
 * reaches everything it started (make runs go, go runs compile and link).
 *
 * Throws `tool_missing` when `cmd` is not found, `src_missing` when `cwd`
 * does not exist, and `interrupted` after an abort, once the process group
 * has exited and `onAbort` has finished.
 */
export function runStreaming(cmd: string, args: string[], opts: RunStreamingOptions): Promise<number> {
  if (opts.signal?.aborted) return Promise.reject(interrupted());
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    env: opts.env,
    detached: true, // a new process group, so kill(-pid) reaches the grandchildren
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const flushOut = splitLines(child, 'stdout', opts.onLine);
  const flushErr = splitLines(child, 'stderr', opts.onLine);

  return new Promise<number>((resolve, reject) => {
    let aborted = false;
    let cleanup: Promise<void> = Promise.resolve();
    let killTimer: NodeJS.Timeout | undefined;

    const onAbort = (): void => {
      if (aborted) return;
      aborted = true;
      killGroup(child, 'SIGTERM');
      killTimer = setTimeout(() => killGroup(child, 'SIGKILL'), opts.killGraceMs ?? 5000);
      cleanup = Promise.resolve()
        .then(() => opts.onAbort?.())
        .catch(() => undefined);
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    const finish = (): void => {
      opts.signal?.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
    };

    child.once('error', (err: NodeJS.ErrnoException) => {
      finish();
      if (err.code === 'ENOENT') {
        if (opts.cwd && !existsSync(opts.cwd)) reject(new KpatchError('src_missing', { where: opts.cwd }));
        else
          reject(
            new KpatchError('tool_missing', { where: cmd, detail: `\`${cmd}\` is not on PATH (${opts.env.PATH ?? 'PATH is not set'})` }),
          );
      } else {
        reject(new KpatchError('internal', { where: cmd, detail: `cannot start ${cmd}: ${err.message}` }));
      }
    });

    // 'close' (not 'exit') so that every line has been delivered first.
    child.once('close', (code, signal) => {
      flushOut();
      flushErr();
      finish();
      if (aborted) {
        // The group may still hold stragglers that ignored SIGTERM.
        killGroup(child, 'SIGKILL');
        void cleanup.then(() => reject(interrupted()));
        return;
      }
      resolve(code ?? 128 + signalNumber(signal));
    });
  });
}

/** Result of {@link runCapture}. */
export interface CaptureResult {
  /** Exit code; undefined when the program was killed for taking too long. */
  exitCode?: number;
  stdout: string;
  stderr: string;
  /** True when `timeoutMs` passed and the program was killed. */
  timedOut: boolean;
}

/** How to run a short, captured child. */
export interface RunCaptureOptions {
  env: Record<string, string>;
  cwd?: string;
  /** Kill the program (SIGKILL, whole group) after this long; default 10 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Runs a short command and collects its output: for probes (`docker info`,
 * `go version`, `podman image inspect`). Never rejects for a non-zero exit;
 * throws `tool_missing` when `cmd` is not found and `interrupted` on abort.
 */
export function runCapture(cmd: string, args: string[], opts: RunCaptureOptions): Promise<CaptureResult> {
  if (opts.signal?.aborted) return Promise.reject(interrupted());
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (b: Buffer) => out.push(b));
  child.stderr?.on('data', (b: Buffer) => err.push(b));
  return new Promise<CaptureResult>((resolve, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child, 'SIGKILL');
    }, opts.timeoutMs ?? 10_000);
    const onAbort = (): void => killGroup(child, 'SIGKILL');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (): void => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    };
    child.once('error', (e: NodeJS.ErrnoException) => {
      finish();
      reject(
        e.code === 'ENOENT'
          ? new KpatchError('tool_missing', { where: cmd })
          : new KpatchError('internal', { where: cmd, detail: e.message }),
      );
    });
    child.once('close', (code) => {
      finish();
      if (opts.signal?.aborted) return reject(interrupted());
      resolve({
        exitCode: timedOut ? undefined : (code ?? undefined),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
      });
    });
  });
}

// Splits one stream into lines. A chunk can end mid-line (and mid-character:
// setEncoding keeps multi-byte UTF-8 intact), so the tail waits for the next
// chunk; the returned function delivers a last line without a newline.
function splitLines(child: ChildProcess, name: StreamName, onLine: (line: string, stream: StreamName) => void): () => void {
  const stream = child[name];
  let rest = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop() ?? '';
    for (const p of parts) onLine(p.endsWith('\r') ? p.slice(0, -1) : p, name);
  });
  return () => {
    if (rest) onLine(rest, name);
    rest = '';
  };
}

function killGroup(child: ChildProcess, sig: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, sig);
  } catch {
    // ESRCH: the group is already gone.
  }
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal ? (constants.signals[signal] ?? 1) : 1;
}

// No `where`: "interrupted: podman" would read as if podman had been the problem.
function interrupted(): KpatchError {
  return new KpatchError('interrupted');
}
