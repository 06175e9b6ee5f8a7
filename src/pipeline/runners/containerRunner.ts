/**
 * The `docker` and `podman` runners: one implementation, since both engines
 * take the same `run` flags. make runs inside the kube-cross image with the
 * tree mounted at a fixed path, no network (everything is vendored), as the
 * invoking user (no root-owned files left in the tree) and with HOME and the
 * Go build cache on a persistent host folder (one Go cache per image, also
 * mounted where the release's harness points GOCACHE: goCache.ts).
 *
 * Environment of kpatch read here:
 * - `KPATCH_PODMAN_ARGS`: extra global podman arguments, split on
 *   whitespace, e.g. `--runtime /usr/sbin/runc` where crun does not work;
 * - `CONTAINERS_CONF`, `DOCKER_HOST`, `DOCKER_CONFIG`, ...: not read, but
 *   passed to the engine with the rest of the environment.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { KpatchError, fail } from '../../errors.js';
import { childEnv, runCapture, runStreaming } from '../../process/childProcess.js';
import { CONTAINER_HOME, CONTAINER_TREE, type BuildOutcome, type BuildRequest, type Runner } from '../runner.js';
import { GO_BUILD_DIR, imageCacheKey, mkdirOwned, mountPointInTree } from './goCache.js';
import { ensureImage, prepareImage } from './containerImage.js';

export { digestOf } from './containerImage.js';

/** The engines this runner drives. */
export type ContainerEngine = 'docker' | 'podman';

/** How a container runner is set up. */
export interface ContainerRunnerOptions {
  engine: ContainerEngine;
  /** Arguments before `run` (e.g. podman's `--runtime /usr/sbin/runc`); see {@link engineGlobalArgs}. */
  globalArgs: string[];
  /** The caller's environment: PATH finds the engine; CONTAINERS_CONF, DOCKER_HOST etc. reach it. */
  env: Record<string, string | undefined>;
  /**
   * User and group the build runs as; default: the invoking user's. They must
   * own the tree and the cache folder (e.g. a build under sudo for the
   * user who owns the checkout).
   */
  uid?: number;
  gid?: number;
  /**
   * Whether the engine runs rootless; default: kpatch does not run as root.
   * Rootless podman maps the invoking user to root in the container, so the
   * podman runner adds `--userns keep-id` to map it to itself instead: then
   * `-u uid:gid` writes files the user owns on the host.
   */
  rootless?: boolean;
  /** Time between SIGTERM and SIGKILL of the engine client on abort; default 5 s. */
  killGraceMs?: number;
}

/** Global engine arguments from the environment: `KPATCH_PODMAN_ARGS` for podman, none for docker. */
export function engineGlobalArgs(engine: ContainerEngine, env: Record<string, string | undefined>): string[] {
  if (engine !== 'podman') return [];
  return (env.KPATCH_PODMAN_ARGS ?? '').split(/\s+/).filter((a) => a !== '');
}

/**
 * The exact `<engine> ... run ...` argv for `req`, with container `name`,
 * running as `uid:gid`. Pure, so the docker command line can be tested
 * without a docker daemon. Host paths in `req.env` that lie in the tree, the
 * cache folder or a mount are rewritten to where the container sees them.
 * `runArgs` go right after `-u` (the podman runner's `--userns keep-id`).
 */
export function containerCommand(
  engine: string,
  globalArgs: string[],
  req: BuildRequest,
  name: string,
  uid: number,
  gid: number,
  runArgs: string[] = [],
): string[] {
  if (!req.image) throw new KpatchError('internal', { detail: 'container build without an image reference' });
  const containerTree = req.containerTree ?? CONTAINER_TREE;
  // The image's own Go cache folder, and the tree's cache folder (where the
  // release's harness points GOCACHE) mounted on it: goCache.ts.
  const gocache = containerGoCache(req.image);
  const volumes: { host: string; container: string; ro: boolean }[] = [
    { host: path.resolve(req.tree), container: containerTree, ro: false },
    { host: path.resolve(req.cacheDir), container: CONTAINER_HOME, ro: false },
    ...(req.treeGoCache ? [{ host: hostGoCache(req), container: path.posix.join(containerTree, req.treeGoCache), ro: false }] : []),
    ...req.mounts.map((m) => ({ host: path.resolve(m.host), container: m.container, ro: true })),
  ];
  for (const v of volumes) {
    // `-v HOST:CONTAINER[:ro]` has no quoting: a `:` in the host path would be misread.
    if (v.host.includes(':')) fail('usage', { where: v.host, detail: 'a path containing ":" cannot be mounted into the build container' });
  }
  const argv = [engine, ...globalArgs, 'run', '--rm', '--name', name, '--network', 'none', '-u', `${uid}:${gid}`];
  argv.push(...runArgs);
  for (const v of volumes) argv.push('-v', `${v.host}:${v.container}${v.ro ? ':ro' : ''}`);
  argv.push('-w', containerTree, '-e', `HOME=${CONTAINER_HOME}`, '-e', `GOCACHE=${gocache}`);
  // GOPATH-era trees: GOPATH mode (Go >= 1.16 defaults to modules), and for
  // a make that builds `.` (runc) the GOPATH the tree is mounted in.
  if (req.gopath) argv.push('-e', 'GO111MODULE=off');
  if (req.gopath === 'import-path')
    argv.push('-e', `GOPATH=${containerTree.slice(0, Math.max(containerTree.indexOf('/src/'), 0)) || '/go'}`);
  // Longest host path first, so a mount inside the tree wins over the tree.
  const byLength = [...volumes].sort((a, b) => b.host.length - a.host.length);
  for (const [k, v] of Object.entries(req.env)) argv.push('-e', `${k}=${translatePath(v, byLength)}`);
  argv.push(req.image, 'make', ...req.makeArgs);
  return argv;
}

/** GOCACHE inside the container: the image's keyed folder of the mounted cache. */
function containerGoCache(image: string): string {
  return path.posix.join(CONTAINER_HOME, GO_BUILD_DIR, imageCacheKey(image));
}

/** The same folder on the host. */
function hostGoCache(req: BuildRequest): string {
  return path.join(path.resolve(req.cacheDir), GO_BUILD_DIR, imageCacheKey(req.image ?? ''));
}

function translatePath(value: string, volumes: { host: string; container: string }[]): string {
  for (const v of volumes) {
    if (value === v.host) return v.container;
    if (value.startsWith(v.host + '/')) return v.container + value.slice(v.host.length);
  }
  return value;
}

/** A fresh container name: `kpatch-build-` and 12 hex digits. */
export function containerName(): string {
  return `kpatch-build-${randomBytes(6).toString('hex')}`;
}

// docker and podman exit 125 when they cannot create or start the container,
// 126 when the command cannot be run and 127 when it is not in the image.
const ENGINE_EXIT_CODES = new Set([125, 126, 127]);

/** A runner that builds in a docker or podman container. */
export function createContainerRunner(opts: ContainerRunnerOptions): Runner {
  const { engine, globalArgs } = opts;
  const env = childEnv(opts.env);
  const uid = opts.uid ?? process.getuid?.() ?? 0;
  const gid = opts.gid ?? process.getgid?.() ?? 0;
  const rootless = opts.rootless ?? (process.getuid?.() ?? 0) !== 0;
  const runArgs = engine === 'podman' && rootless ? ['--userns', 'keep-id'] : [];

  return {
    name: engine,
    prepareImage: (candidates, o) => prepareImage({ engine, globalArgs, env }, candidates, o),
    async build(req: BuildRequest): Promise<BuildOutcome> {
      if (!req.image) return fail('internal', { detail: `the ${engine} runner needs an image reference` });
      const imageDigest = await ensureImage({ engine, globalArgs, env }, req.image, req.onLine, req.signal);
      // A missing bind-mount source would be created by the engine, owned by
      // root; created here it belongs to the user the build runs as.
      await mkdirOwned(req.cacheDir, { uid, gid });
      await mkdirOwned(hostGoCache(req), { uid, gid });
      if (req.treeGoCache) await mountPointInTree(req.tree, req.treeGoCache, { uid, gid });

      const name = containerName();
      const command = containerCommand(engine, globalArgs, req, name, uid, gid, runArgs);
      const removeContainer = async (): Promise<void> => {
        // make runs as PID 1 in the container and ignores SIGTERM, so kill it outright.
        // (docker rm -f kills at once; podman waits 10 s for a stop unless told -t 0.)
        const rm = engine === 'podman' ? ['rm', '-f', '-t', '0', name] : ['rm', '-f', name];
        await runCapture(engine, [...globalArgs, ...rm], { env, timeoutMs: 60_000 }).catch(() => undefined);
      };
      const stderrTail: string[] = [];
      let exitCode: number;
      try {
        exitCode = await runStreaming(command[0], command.slice(1), {
          env,
          onLine: (line, stream) => {
            if (stream === 'stderr') {
              stderrTail.push(line);
              if (stderrTail.length > 20) stderrTail.shift();
            }
            req.onLine(line);
          },
          signal: req.signal,
          onAbort: removeContainer,
          killGraceMs: opts.killGraceMs,
        });
      } catch (e) {
        // The abort may have come before the container existed, and the
        // engine client may have created it while it was being stopped.
        if (req.signal?.aborted) await removeContainer();
        throw e;
      }
      if (ENGINE_EXIT_CODES.has(exitCode)) {
        return fail('container_failed', {
          where: `${engine} run (exit ${exitCode})`,
          detail: lastLines(stderrTail.join('\n')) || `${engine} printed nothing`,
        });
      }
      return { exitCode, command, imageDigest };
    },
  };
}

function lastLines(text: string, n = 10): string {
  return text.trim().split('\n').slice(-n).join('\n');
}
