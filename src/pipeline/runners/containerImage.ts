/**
 * The build image of the container runners: which of the candidate
 * references is used (one already local wins, else the first that can be
 * pulled), its digest as the engine reports it, and, for an image the user
 * named, whether it has what Kubernetes' and runc's make need.
 *
 * Candidates come from kubeCross.ts / runcImage.ts: today's home of the
 * release's kube-cross then the era's own reference, or the user's
 * `--registry` values in their order, or `--image` alone.
 */
import { fail } from '../../errors.js';
import { runCapture, runStreaming } from '../../process/childProcess.js';
import type { ImageAttempt } from '../../manifest/manifest.js';
import type { PreparedImage, PrepareImageOptions } from '../runner.js';

/** How the engine is run: `docker`/`podman`, its global arguments and the child environment. */
export interface EngineCall {
  engine: string;
  globalArgs: string[];
  env: Record<string, string>;
}

/** The programs a build image must have on its PATH: make runs the build, go compiles. */
export const BUILD_IMAGE_TOOLS = ['make', 'go'] as const;

/**
 * Picks the image among `candidates`: first any that is already local (in
 * order; no network needed, as in an air-gapped set-up with a loaded image),
 * else each is pulled in order until one pull succeeds. Throws
 * `image_unavailable` naming every candidate and what the engine said, and
 * `image_unusable` when `opts.checkTools` and the image lacks make or go.
 */
export async function prepareImage(e: EngineCall, candidates: string[], opts: PrepareImageOptions): Promise<PreparedImage> {
  if (candidates.length === 0) return fail('internal', { detail: 'no build image to try' });
  let chosen: PreparedImage | undefined;
  for (const ref of candidates) {
    const r = await inspect(e, ref, opts.signal);
    if (r.exitCode === 0) {
      chosen = { ref, digest: digestOf(ref, r.stdout), attempts: [{ ref, result: 'present' }] };
      break;
    }
  }
  if (!chosen) {
    const attempts: ImageAttempt[] = [];
    for (const ref of candidates) {
      opts.onLine(`${e.engine}: pulling ${ref}`);
      const said: string[] = [];
      const code = await runStreaming(e.engine, [...e.globalArgs, 'pull', ref], {
        env: e.env,
        signal: opts.signal,
        onLine: (line) => {
          said.push(line);
          opts.onLine(line);
        },
      });
      const after = code === 0 ? await inspect(e, ref, opts.signal) : undefined;
      if (after?.exitCode === 0) {
        attempts.push({ ref, result: 'pulled' });
        chosen = { ref, digest: digestOf(ref, after.stdout), attempts };
        break;
      }
      attempts.push({
        ref,
        result: 'failed',
        message: engineMessage(said.join('\n') || after?.stderr || '') || `${e.engine} pull exited with ${code}`,
      });
    }
    if (!chosen) {
      return fail('image_unavailable', {
        where: candidates.length > 1 ? `none of ${candidates.length} candidates` : candidates[0],
        detail: ['tried, in this order (none was present locally):', ...attempts.map((a) => `${a.ref}: ${a.message}`)].join('\n'),
      });
    }
  }
  if (opts.checkTools) await checkBuildTools(e, chosen.ref, opts.signal);
  return chosen;
}

/**
 * Makes sure the one reference `image` is local, pulling it when not, and
 * returns its digest (none for an image docker built locally). What `build`
 * calls; `prepareImage` has usually made the image local already.
 */
export async function ensureImage(
  e: EngineCall,
  image: string,
  onLine: (line: string) => void,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const r = await inspect(e, image, signal);
  if (r.exitCode === 0) return digestOf(image, r.stdout);
  return (await prepareImage(e, [image], { checkTools: false, onLine, signal })).digest;
}

/**
 * Runs a shell in `image` that reports which of {@link BUILD_IMAGE_TOOLS} are
 * not on its PATH; throws `image_unusable` naming them (or saying there is
 * no shell, which make needs as much), `container_failed` when the engine
 * cannot start a container at all.
 */
export async function checkBuildTools(e: EngineCall, image: string, signal?: AbortSignal): Promise<void> {
  const script = `for t in ${BUILD_IMAGE_TOOLS.join(' ')}; do command -v "$t" >/dev/null 2>&1 || echo "missing $t"; done`;
  const r = await runCapture(e.engine, [...e.globalArgs, 'run', '--rm', '--network', 'none', '--entrypoint', 'sh', image, '-c', script], {
    env: e.env,
    timeoutMs: 120_000,
    signal,
  });
  if (r.exitCode === 125 || r.timedOut) {
    return fail('container_failed', {
      where: `${e.engine} run ${image} (checking it has make and go)`,
      detail: engineMessage(r.stderr) || `${e.engine} gave no answer`,
    });
  }
  if (r.exitCode === 126 || r.exitCode === 127) {
    return fail('image_unusable', {
      where: image,
      detail: `it has no shell (sh) on its PATH, which make needs to run its recipes:\n${engineMessage(r.stderr)}`,
    });
  }
  const missing = [...r.stdout.matchAll(/^missing (\S+)$/gm)].map((m) => m[1]);
  if (r.exitCode !== 0 || missing.length) {
    return fail('image_unusable', {
      where: image,
      detail: missing.length
        ? `not on the image's PATH: ${missing.join(', ')}`
        : `the check exited with ${r.exitCode}: ${engineMessage(r.stderr)}`,
    });
  }
}

function inspect(e: EngineCall, image: string, signal?: AbortSignal) {
  return runCapture(e.engine, [...e.globalArgs, 'image', 'inspect', '--format', '{{json .RepoDigests}}', image], {
    env: e.env,
    timeoutMs: 60_000,
    signal,
  });
}

/** The digest (`sha256:...`) for `image` from `image inspect`'s RepoDigests JSON, preferring the same repository. */
export function digestOf(image: string, repoDigestsJson: string): string | undefined {
  let list: unknown;
  try {
    list = JSON.parse(repoDigestsJson.trim() || 'null');
  } catch {
    return undefined;
  }
  if (!Array.isArray(list)) return undefined;
  const digests = list.filter((d): d is string => typeof d === 'string' && d.includes('@'));
  const repo = image.replace(/@.*$/, '').replace(/:[^/:]+$/, '');
  const same = digests.find((d) => d.slice(0, d.indexOf('@')) === repo) ?? digests[0];
  return same?.slice(same.indexOf('@') + 1);
}

/** The engine's last words, one line: pull progress lines and blank lines dropped. */
function engineMessage(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(
      (l) =>
        l !== '' && !/^(Trying to pull|Getting image source signatures|Copying (blob|config)|Writing manifest|Storing signatures)/.test(l),
    );
  return (lines[lines.length - 1] ?? '').replace(/^Error: /, '');
}
