/**
 * The one way kpatch runs git, in the cache and in a user's checkout alike
 * (issue 15: commitFacts, dirtyFiles, carriedFix and pristineRewrite ran git
 * on their own and an inherited GIT_DIR redirected them): through simple-git,
 * the project's chosen git library, with an argument array (never a shell),
 * the caller's environment from `io.env` minus the variables that would point
 * git at another repository, the Ctrl-C signal wired to kill the child, and an
 * optional stall timer for network operations.
 */
import { simpleGit, GitPluginError, type SimpleGitOptions } from 'simple-git';
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
}

// Variables that tell git which repository or work tree to use. They are set
// when kpatch runs from inside a git hook, and would point every cache command
// at the user's repository instead of the cache.
const LOCATION_VARS = new Set([
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_COMMON_DIR',
  'GIT_NAMESPACE',
  'GIT_PREFIX',
  'GIT_CEILING_DIRECTORIES',
  'GIT_DISCOVERY_ACROSS_FILESYSTEM',
  'GIT_QUARANTINE_PATH',
  'GIT_SHALLOW_FILE',
  'GIT_REPLACE_REF_BASE',
  'GIT_NO_REPLACE_OBJECTS',
  'GIT_GRAFT_FILE',
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

// simple-git guards against git options and variables that run programs
// (GIT_SSH_COMMAND, GIT_ASKPASS, ...), aimed at untrusted input. Here they come
// from the user's own environment, which is trusted, so each one present is
// allowed by name. kpatch's own arguments are fixed shapes with validated values.
const ENV_UNSAFE: Record<string, keyof NonNullable<SimpleGitOptions['unsafe']>> = {
  git_askpass: 'allowUnsafeAskPass',
  ssh_askpass: 'allowUnsafeAskPass',
  git_config_global: 'allowUnsafeConfigPaths',
  git_config_system: 'allowUnsafeConfigPaths',
  git_config: 'allowUnsafeConfigPaths',
  prefix: 'allowUnsafeConfigPaths',
  git_config_count: 'allowUnsafeConfigEnvCount',
  git_config_parameters: 'allowUnsafeConfigEnvCount',
  git_exec_path: 'allowUnsafeExec',
  git_external_diff: 'allowUnsafeDiffExternal',
  git_proxy_command: 'allowUnsafeGitProxy',
  git_template_dir: 'allowUnsafeTemplateDir',
  git_ssh: 'allowUnsafeSshCommand',
  git_ssh_command: 'allowUnsafeSshCommand',
};

/** Runs `git <args>` and returns its stdout; throws GitFailure. */
export async function runGit(args: string[], opts: RunGitOptions): Promise<string> {
  const env = gitEnvironment(opts.io.env);
  const unsafe: NonNullable<SimpleGitOptions['unsafe']> = {};
  const allowEnvironment: string[] = [];
  for (const k of Object.keys(env)) {
    const lower = k.toLowerCase();
    if (lower.startsWith('git_') || lower in ENV_UNSAFE) allowEnvironment.push(k);
    const category = ENV_UNSAFE[lower];
    if (category) (unsafe as Record<string, boolean>)[category] = true;
  }
  if (args[0] === 'init') unsafe.allowUnsafeTemplateDir = true; // our own `--template=` (no hook samples)

  let result: { exitCode: number; stderr: string } | undefined;
  const git = simpleGit({
    baseDir: opts.cwd,
    abort: opts.io.signal,
    timeout: opts.stallMs ? { block: opts.stallMs } : undefined,
    allowEnvironment,
    unsafe,
    errors(error, r) {
      result = { exitCode: r.exitCode, stderr: Buffer.concat(r.stdErr).toString('utf8') };
      if (error) return error;
      return r.exitCode === 0 ? undefined : Buffer.concat(r.stdErr);
    },
  }).env(env);
  if (opts.onProgress) {
    // Read git's progress lines ourselves: simple-git's progress option appends
    // `--progress` to the arguments (steveukx/git-js#576), i.e. after our `--`,
    // where git takes it for a refspec.
    const report = opts.onProgress;
    git.outputHandler((_cmd, _stdout, stderr) => {
      stderr.on('data', (chunk: Buffer) => {
        const all = [...chunk.toString('utf8').matchAll(/([A-Za-z][A-Za-z ]*?):\s+(\d+)% \(/g)];
        const last = all.at(-1);
        if (last)
          report(
            last[1]
              .replace(/^remote:\s*/i, '')
              .split(' ')[0]
              .toLowerCase(),
            Number(last[2]),
          );
      });
    });
  }

  try {
    return await git.raw(args);
  } catch (e) {
    const stderr = result?.stderr ?? '';
    // On a terminal's Ctrl-C git gets SIGINT too and may die before kpatch's own
    // handler has run: give the abort a moment to show before calling it a failure.
    const code = result?.exitCode;
    if (!opts.io.signal?.aborted && opts.io.signal && (typeof code !== 'number' || code < 0 || code === 130)) {
      await new Promise((r) => setTimeout(r, 100));
    }
    if (opts.io.signal?.aborted) throw new GitFailure('abort', args, stderr);
    if (e instanceof GitPluginError && e.plugin === 'timeout') throw new GitFailure('timeout', args, stderr);
    if (e instanceof GitPluginError && e.plugin === 'abort') throw new GitFailure('abort', args, stderr);
    if (/spawn \S+ ENOENT/.test(stderr) || /spawn \S+ ENOENT/.test(String((e as Error).message))) {
      throw new GitFailure('missing', args, '');
    }
    throw new GitFailure('exit', args, stderr || String((e as Error).message), result?.exitCode);
  }
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
