/**
 * The `local` runner: Kubernetes' own `make` on the host, with the host's Go.
 * Quick to set up, but the kubelet is only as reproducible as the host's Go
 * is close to the one the release was built with, hence the version warning.
 */
import path from 'node:path';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { fail } from '../../errors.js';
import { childEnv, runCapture, runStreaming } from '../../process/childProcess.js';
import { goVersionOfCrossTag } from '../kubeCross.js';
import { CONTAINER_TREE, type BuildOutcome, type BuildRequest, type Runner } from '../runner.js';
import { GO_BUILD_DIR, hostGoCacheKey, linkTreeCache } from './goCache.js';
import { atStablePath, type StableTree } from './stableTree.js';

/** How the local runner is set up. */
export interface LocalRunnerOptions {
  /** The caller's environment (PATH finds make and go; GOFLAGS, proxies etc. pass through). */
  env: Record<string, string | undefined>;
  /** Time between SIGTERM and SIGKILL on abort; default 5 s. */
  killGraceMs?: number;
}

/**
 * A runner that runs `make <makeArgs>` in `req.tree` on the host. The
 * environment is the caller's, then HOME and GOCACHE under `req.cacheDir`
 * (so the Go build cache persists between builds and the user's own cache is
 * not touched), then `req.env` (which wins: e.g. GOFLAGS=-tags=nokmem).
 *
 * GOCACHE is the host toolchain's folder of the cache (goCache.ts), and the
 * tree's own cache folder (`req.treeGoCache`) is linked to it for the
 * build, so a release that overrides GOCACHE still builds warm. A tree
 * without go.mod (`req.gopath`) builds with GO111MODULE=off, and, where its
 * make builds `.` as its import path (runc), from a private GOPATH whose
 * `src/<import path>` links to the tree: make runs in that link with PWD
 * naming it, which is the path go takes for the current folder. make runs
 * with the tree moved to one fixed path under the cache (stableTree.ts), as
 * Kubernetes' compile flags name the tree's path.
 */
export function createLocalRunner(opts: LocalRunnerOptions): Runner {
  return {
    name: 'local',
    async build(req: BuildRequest): Promise<BuildOutcome> {
      if (req.signal?.aborted) return fail('interrupted');
      const home = path.resolve(req.cacheDir);
      const gocache = path.join(home, GO_BUILD_DIR, await hostGoCacheKey(opts.env));
      await mkdir(gocache, { recursive: true });
      const layout: Record<string, string> = {};
      let gopath: string | undefined;
      let unlink: (() => Promise<void>) | undefined;
      let moved: StableTree | undefined;
      try {
        moved = await atStablePath(req.tree, home, path.basename(req.containerTree ?? CONTAINER_TREE), req.onLine, req.signal);
        const tree = moved.tree;
        let cwd = tree;
        if (req.treeGoCache) unlink = await linkTreeCache(tree, req.treeGoCache, gocache);
        if (req.gopath) layout.GO111MODULE = 'off';
        if (req.gopath === 'import-path') {
          gopath = await mkdtemp(path.join(home, 'gopath-'));
          cwd = path.join(gopath, 'src', importPathOf(req.containerTree));
          await mkdir(path.dirname(cwd), { recursive: true });
          await symlink(path.resolve(tree), cwd);
          Object.assign(layout, { GOPATH: gopath, PWD: cwd });
        }
        const command = ['make', ...req.makeArgs];
        const exitCode = await runStreaming(command[0], command.slice(1), {
          cwd,
          env: childEnv(opts.env, { HOME: home, GOCACHE: gocache }, layout, req.env),
          onLine: (line) => req.onLine(line),
          signal: req.signal,
          killGraceMs: opts.killGraceMs,
        });
        return { exitCode, command };
      } finally {
        await unlink?.();
        if (gopath) await rm(gopath, { recursive: true, force: true });
        await moved?.restore();
      }
    },
  };
}

/** The import path a container tree path names (`/go/src/github.com/x/y` → `github.com/x/y`). */
function importPathOf(containerTree: string | undefined): string {
  const tree = containerTree ?? CONTAINER_TREE;
  const at = tree.indexOf('/src/');
  return at >= 0 ? tree.slice(at + '/src/'.length) : path.basename(tree);
}

/**
 * The host's Go version as `go version` prints it (`go1.19.8`), or undefined
 * when Go is not installed or does not answer.
 */
export async function hostGoVersion(env: Record<string, string | undefined>): Promise<string | undefined> {
  try {
    const r = await runCapture('go', ['version'], { env: childEnv(env), timeoutMs: 30_000 });
    return r.exitCode === 0 ? /\bgo(\d+\.\d+(?:\.\d+)?\S*)/.exec(r.stdout)?.[0] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A warning for the user when the host's Go (`go1.19.8`, as from
 * {@link hostGoVersion}) is not the Go the tree's kube-cross tag names
 * (`v1.10.4-1` → go1.10.4); undefined when they match or either is unknown.
 */
export function goVersionWarning(hostGo: string | undefined, crossTag: string | undefined): string | undefined {
  return goMismatchWarning(
    hostGo,
    crossTag === undefined ? undefined : goVersionOfCrossTag(crossTag),
    `kube-cross ${crossTag}`,
    'the kubelet',
  );
}

/**
 * The same warning for any target: `wantGo` (`1.15.15`) is the Go the release
 * builds with, `origin` says where that came from (`kube-cross v1.10.4-1`,
 * `its Dockerfile`), `binary` what may differ (`the kubelet`, `runc`).
 */
export function goMismatchWarning(
  hostGo: string | undefined,
  wantGo: string | undefined,
  origin: string,
  binary: string,
): string | undefined {
  const warning = compareGo(hostGo, wantGo);
  return (
    warning && `${warning} (${origin}); ${binary} may differ from an official build (--runner docker or podman uses the release toolchain)`
  );
}

function compareGo(hostGo: string | undefined, wantGo: string | undefined): string | undefined {
  if (hostGo === undefined || wantGo === undefined) return undefined;
  const have = hostGo.replace(/^go/, '');
  const want = wantGo.replace(/^go/, '');
  if (normalise(have) === normalise(want)) return undefined;
  return `the host's Go is go${have} but this release was built with go${want}`;
}

// go1.21.0 and go1.21 name the same release.
function normalise(v: string): string {
  return v.replace(/^(\d+\.\d+)\.0$/, '$1');
}
