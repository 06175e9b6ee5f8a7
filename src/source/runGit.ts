/**
 * The one way kpatch runs git, in the cache and in a user's checkout alike:
 * an argument array (never a shell), the caller's environment from `io.env`
 * minus the variables that would point git at another repository (an
 * inherited GIT_DIR from a hook, say), the Ctrl-C signal wired to kill the
 * child, an optional stall timer for network operations, and optional stdin
 * (`cat-file --batch`).
 *
 * Plain child_process, not simple-git: the library took the environment
 * apart again (it refuses GIT_SSH_COMMAND and friends unless each is allowed
 * by name), could not feed stdin, and cost ~60 ms to load.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { KpatchError } from '../errors.js';
import type { Io } from '../io.js';

/** Why a git call did not succeed. */
export type GitFailureKind =
  /** git exited non-zero; see `stderr`. */
  | 'exit'
  /** No output for the stall timeout: killed. */
  | 'timeout'
  /** The user interrupted (io.signal). */
  | 'abort'
  /** The git program could not be started. */
  | 'missing';

/** A failed git call, with everything needed to explain it. */
export class GitFailure extends Error {
  constructor(
    readonly kind: GitFailureKind,
    readonly args: string[],
    readonly stderr: string,
    readonly exitCode?: number,
  ) {
    super(`git ${args.join(' ')}: ${kind}${stderr ? `\n${stderr.trim()}` : ''}`);
    this.name = 'GitFailure';
  }
}

/** The part of Io git needs: the environment it starts from and the Ctrl-C signal. */
export type GitIo = Pick<Io, 'env' | 'signal'>;

/** How to run one git command. */
export interface RunGitOptions {
  /** Folder git runs in (must exist). */
  cwd: string;
  io: GitIo;
  /** Kill git when it prints nothing for this long (network calls only). */
  stallMs?: number;
  /** Called with git's `--progress` lines, e.g. ('receiving', 45). */
  onProgress?: (stage: string, percent: number) => void;
  /** Written to git's stdin (e.g. the names for `cat-file --batch`); stdin is empty otherwise. */
  input?: string;
}

// Variables that tell git which repository or work tree to use. They are set
// when kpatch runs from inside a git hook, and would point every cache command
// at the user's repository instead of the cache.
const LOCATION_VARS = new Set([
  'GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_COMMON_DIR', 'GIT_NAMESPACE', 'GIT_PREFIX', 'GIT_CEILING_DIRECTORIES', 'GIT_DISCOVERY_ACROSS_FILESYSTEM',
  'GIT_QUARANTINE_PATH', 'GIT_SHALLOW_FILE', 'GIT_REPLACE_REF_BASE', 'GIT_NO_REPLACE_OBJECTS', 'GIT_GRAFT_FILE',
]);
// Interactive programs: kpatch never wants git to open one.
const INTERACTIVE_VARS = new Set(['EDITOR', 'VISUAL', 'PAGER', 'GIT_EDITOR', 'GIT_PAGER', 'GIT_SEQUENCE_EDITOR']);

/**
 * The environment git runs with: the user's (so proxies, CA bundles, SSH
 * settings and credential helpers for a mirror keep working), minus variables
 * that would redirect git away from the cache, plus no terminal prompts (a
 * prompt would hang a CI job; git fails with a clear message instead).
 */
export function gitEnvironment(env: Io['env']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined || LOCATION_VARS.has(k.toUpperCase()) || INTERACTIVE_VARS.has(k.toUpperCase())) continue;
    out[k] = v;
  }
  out.GIT_TERMINAL_PROMPT = '0';
  // Messages are matched against English text in classifyFetchError.
  out.LC_ALL = 'C';
  return out;
}

/** Runs `git <args>` and returns its stdout as text; throws GitFailure. */
export async function runGit(args: string[], opts: RunGitOptions): Promise<string> {
  return (await runGitBytes(args, opts)).toString('utf8');
}

/**
 * Runs `git <args>` and returns its stdout as bytes (a `cat-file --batch`
 * stream is measured in bytes); throws GitFailure.
 */
export function runGitBytes(args: string[], opts: RunGitOptions): Promise<Buffer> {
  const { io } = opts;
  if (io.signal?.aborted) return Promise.reject(new GitFailure('abort', args, ''));
  if (!existsSync(opts.cwd)) return Promise.reject(new GitFailure('exit', args, `cannot run git in ${opts.cwd}: no such folder`));
  const child = spawn('git', args, { cwd: opts.cwd, env: gitEnvironment(io.env), stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let stalled = false;
  let stallTimer: NodeJS.Timeout | undefined;
  const kill = () => child.kill('SIGTERM');
  const arm = () => {
    if (!opts.stallMs) return;
    clearTimeout(stallTimer);
    stallTimer = setTimeout(() => {
      stalled = true;
      kill();
    }, opts.stallMs);
  };
  arm();
  child.stdout.on('data', (d: Buffer) => {
    out.push(d);
    arm();
  });
  child.stderr.on('data', (d: Buffer) => {
    err.push(d);
    arm();
    if (opts.onProgress) {
      const all = [...d.toString('utf8').matchAll(/([A-Za-z][A-Za-z ]*?):\s+(\d+)% \(/g)];
      const last = all.at(-1);
      if (last) opts.onProgress(last[1].replace(/^remote:\s*/i, '').split(' ')[0].toLowerCase(), Number(last[2]));
    }
  });
  child.stdin.on('error', () => {}); // git may exit before reading all of its input
  child.stdin.end(opts.input ?? '');
  io.signal?.addEventListener('abort', kill, { once: true });
  return new Promise<Buffer>((resolve, reject) => {
    const done = () => {
      clearTimeout(stallTimer);
      io.signal?.removeEventListener('abort', kill);
    };
    child.once('error', (e: NodeJS.ErrnoException) => {
      done();
      reject(e.code === 'ENOENT' ? new GitFailure('missing', args, '') : new GitFailure('exit', args, e.message));
    });
    // After a kill, settle on 'exit': git's own children (upload-pack, a remote helper) may
    // still hold its output pipes open, and 'close' would wait for them.
    child.once('exit', () => {
      if (io.signal?.aborted || stalled) child.emit('close', null, 'SIGTERM');
    });
    child.once('close', async (code, signal) => {
      done();
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) return resolve(Buffer.concat(out));
      // On a terminal's Ctrl-C git gets SIGINT too and may die before kpatch's own
      // handler has run: give the abort a moment to show before calling it a failure.
      if (!io.signal?.aborted && io.signal && (signal || code === 130)) await new Promise((r) => setTimeout(r, 100));
      if (io.signal?.aborted) return reject(new GitFailure('abort', args, stderr));
      if (stalled) return reject(new GitFailure('timeout', args, stderr));
      reject(new GitFailure('exit', args, stderr || `git was ended by ${signal ?? `exit code ${code}`}`, code ?? undefined));
    });
  });
}

/**
 * Runs a git query whose failure only means "git cannot tell" (not a
 * repository, no such tag): stdout, or undefined when git exits non-zero or
 * is missing. Ctrl-C still ends the command (`interrupted`).
 */
export async function queryGit(args: string[], opts: RunGitOptions): Promise<string | undefined> {
  try {
    return await runGit(args, opts);
  } catch (e) {
    if (e instanceof GitFailure && e.kind === 'abort') throw new KpatchError('interrupted');
    if (e instanceof GitFailure) return undefined;
    throw e;
  }
}
