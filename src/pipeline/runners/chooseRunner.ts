/**
 * `--runner auto|docker|podman|local`: which runner builds, decided by what
 * is installed and answering on this machine. "Installed but not answering"
 * (no docker daemon, broken podman set-up) is told apart from "not
 * installed", since the user fixes them differently.
 */
import { fail } from '../../errors.js';
import { childEnv, runCapture } from '../../process/childProcess.js';
import type { Runner } from '../runner.js';
import { createContainerRunner, engineGlobalArgs, type ContainerEngine } from './containerRunner.js';
import { findExecutable } from './findExecutable.js';
import { checkHostTools } from './hostTools.js';
import { createLocalRunner } from './localRunner.js';

/** The values of `--runner`. */
export type RunnerKind = 'auto' | 'docker' | 'podman' | 'local';

/** The runner chosen, with why (one line, for the log and the manifest). */
export interface ChosenRunner extends Runner {
  reason: string;
}

/** Options of {@link chooseRunner}. */
export interface ChooseRunnerOptions {
  /** How long `docker info` / `podman info` may take to count as answering; default `KPATCH_ENGINE_PROBE_TIMEOUT` seconds, else 5 s. */
  probeTimeoutMs?: number;
  signal?: AbortSignal;
  /** What will be built, for the host check when the local runner is chosen (hostTools.ts); default kubelet. */
  target?: 'kubelet' | 'runc';
}

/** Whether an engine answers, and if not, what it said. */
interface Probe {
  installed: boolean;
  answers: boolean;
  /** The engine's own message when it does not answer. */
  message: string;
}

/**
 * Picks the runner for `kind`. `auto`: docker when `docker info` answers,
 * else podman when `podman info` answers, else local when `go` is on PATH,
 * else `tool_missing` saying what to install. When the local runner is
 * chosen, everything the target's make runs on the host is checked first
 * (`host_tools_missing`, one message for all that is missing). An explicit engine that is not
 * installed is `tool_missing`; one that is installed but does not answer is
 * `engine_unavailable`, with the engine's own message. `env` is the caller's
 * environment (PATH, KPATCH_PODMAN_ARGS, CONTAINERS_CONF, DOCKER_HOST, ...).
 */
export async function chooseRunner(
  kind: RunnerKind,
  env: Record<string, string | undefined>,
  opts: ChooseRunnerOptions = {},
): Promise<ChosenRunner> {
  const container = (engine: ContainerEngine): Runner => createContainerRunner({ engine, globalArgs: engineGlobalArgs(engine, env), env });

  if (kind === 'docker' || kind === 'podman') {
    const p = await probe(kind, env, opts);
    if (!p.installed) {
      return fail('tool_missing', {
        where: kind,
        detail: `--runner ${kind}: \`${kind}\` is not on PATH`,
        hint: `install ${kind}${kind === 'podman' ? ' (apt-get install podman runc)' : ''}, or choose another --runner`,
      });
    }
    if (!p.answers) {
      return fail('engine_unavailable', { where: `${kind} info`, detail: p.message });
    }
    return { ...container(kind), reason: `--runner ${kind}` };
  }

  if (kind === 'local') {
    await checkHostTools(opts.target ?? 'kubelet', env);
    return { ...createLocalRunner({ env }), reason: '--runner local' };
  }

  // auto: the first that works, remembering why the others were passed over.
  const passed: string[] = [];
  for (const engine of ['docker', 'podman'] as const) {
    const p = await probe(engine, env, opts);
    if (p.answers) {
      return { ...container(engine), reason: `auto: ${[...passed, `\`${engine} info\` answers`].join('; ')}` };
    }
    passed.push(p.installed ? `${engine} does not answer (${firstLine(p.message)})` : `${engine} is not installed`);
  }
  if (findExecutable('go', env)) {
    // The host will build: everything its make runs must be there, said now in one message.
    await checkHostTools(opts.target ?? 'kubelet', env);
    return { ...createLocalRunner({ env }), reason: `auto: ${[...passed, 'go is on PATH: building on the host'].join('; ')}` };
  }
  return fail('tool_missing', {
    where: '--runner auto',
    detail: `nothing can build the kubelet here: ${[...passed, 'go is not on PATH'].join('; ')}`,
    hint: 'install docker or podman (the build then runs in the kube-cross image), or Go and make for --runner local',
  });
}

/** Runs `<engine> info` with a deadline. */
async function probe(engine: ContainerEngine, env: Record<string, string | undefined>, opts: ChooseRunnerOptions): Promise<Probe> {
  if (!findExecutable(engine, env)) return { installed: false, answers: false, message: '' };
  // KPATCH_ENGINE_PROBE_TIMEOUT (seconds): a busy CI host can take longer than 5 s to answer.
  const fromEnv = Number(env.KPATCH_ENGINE_PROBE_TIMEOUT);
  const timeoutMs = opts.probeTimeoutMs ?? (Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv * 1000 : 5000);
  const r = await runCapture(engine, [...engineGlobalArgs(engine, env), 'info'], { env: childEnv(env), timeoutMs, signal: opts.signal });
  if (r.exitCode === 0) return { installed: true, answers: true, message: '' };
  const said = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-10).join('\n');
  const message = r.timedOut
    ? `\`${engine} info\` gave no answer within ${timeoutMs / 1000} s${said ? `\n${said}` : ''}`
    : said || `\`${engine} info\` exited with ${r.exitCode}`;
  return { installed: true, answers: false, message };
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ?? text
  );
}
