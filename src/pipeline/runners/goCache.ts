/**
 * The persistent Go build cache of a runner, made effective whatever the
 * release's harness does with GOCACHE.
 *
 * Kubernetes from 1.14 on exports `GOCACHE="${KUBE_GOPATH}/cache"`, i.e.
 * `<tree>/_output/local/go/cache`, overriding any GOCACHE kpatch passes; the
 * tree of a `--k8s` build is temporary, so every build would start cold.
 * kpatch therefore gives that folder of the tree a home in its own cache: a
 * symbolic link for the local runner, a bind mount for container runners
 * (a link's target would not exist inside the container). Releases that
 * leave GOCACHE alone (1.8-1.13) get the same folder through GOCACHE itself.
 *
 * The folder is keyed by toolchain (`<cache>/build/<runner>/go-build/<key>`):
 * Go's cache is safe for concurrent use and keys entries by compiler, but one
 * folder per toolchain keeps a release's image and the host Go from evicting
 * or mixing each other's entries, and makes the folder of a dropped toolchain
 * safe to delete whole.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chown, lstat, mkdir, rename, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { childEnv, runCapture } from '../../process/childProcess.js';

/** Where the keyed Go build caches of a runner live, under its cache folder (`<cache>/build/<runner>`). */
export const GO_BUILD_DIR = 'go-build';

/** A folder name for `text`: its safe characters (at most 48) and a short hash, so distinct inputs never collide. */
export function cacheKey(text: string): string {
  const readable = text
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._]+/, '')
    .slice(0, 48);
  return `${readable || 'x'}-${createHash('sha256').update(text).digest('hex').slice(0, 12)}`;
}

/** The key of a container image's cache: its reference (the image is the toolchain). */
export function imageCacheKey(image: string): string {
  return cacheKey(`image:${image}`);
}

/**
 * The key of the host toolchain: `go version` and GOROOT, so two installed Go
 * releases (or one Go at two places) never share a folder. Falls back to a
 * fixed key when go does not answer: make then fails with its own message.
 */
export async function hostGoCacheKey(env: Record<string, string | undefined>): Promise<string> {
  try {
    const r = await runCapture('go', ['env', 'GOVERSION', 'GOROOT', 'GOOS', 'GOARCH'], { env: childEnv(env), timeoutMs: 30_000 });
    const [version, goroot, goos, goarch] = r.stdout.split('\n').map((l) => l.trim());
    if (r.exitCode === 0 && goroot) return cacheKey(`host:${version || 'go'}-${goos}-${goarch}:${goroot}`);
  } catch {
    // go is missing: the build reports it.
  }
  return cacheKey('host:unknown-go');
}

/** Who must own folders kpatch creates for a build (container runners may build as another user). */
export interface Owner {
  uid: number;
  gid: number;
}

/**
 * `mkdir -p dir`, handing every folder it creates to `owner` when kpatch runs
 * as root for another user (a container build as the checkout's owner): a
 * root-owned cache or tree folder would stop that user's go.
 */
export async function mkdirOwned(dir: string, owner?: Owner): Promise<void> {
  const first = await mkdir(dir, { recursive: true });
  if (!first || !owner || process.getuid?.() !== 0) return;
  if (owner.uid === 0 && owner.gid === 0) return;
  for (let d = dir; d.length >= first.length; d = path.dirname(d)) {
    await chown(d, owner.uid, owner.gid);
    if (d === first) break;
  }
}

/**
 * Points the tree's own cache folder (`<tree>/<rel>`) at `target` with a
 * symbolic link, for the local runner. A link already there (an earlier
 * kpatch build of this tree) is replaced atomically; a real folder is the
 * tree's own cache and is left alone (the build then uses it, cold or not).
 * Returns how to undo it: the link is removed after the build, so the tree
 * holds nothing that points into kpatch's cache.
 */
export async function linkTreeCache(tree: string, rel: string, target: string): Promise<() => Promise<void>> {
  const at = path.join(tree, rel);
  const st = await lstat(at).catch(() => undefined);
  if (st && !st.isSymbolicLink()) return async () => undefined;
  await mkdir(path.dirname(at), { recursive: true });
  const tmp = `${at}.kpatch-${randomBytes(4).toString('hex')}`;
  await symlink(target, tmp);
  await rename(tmp, at);
  return async () => {
    await rm(at, { force: true }).catch(() => undefined);
  };
}

/**
 * Makes `<tree>/<rel>` a folder to bind-mount the cache on, for container
 * runners: a link left by a local build is replaced by a folder (the engine
 * would otherwise follow it, or create the mount point as root).
 */
export async function mountPointInTree(tree: string, rel: string, owner?: Owner): Promise<void> {
  const at = path.join(tree, rel);
  const st = await lstat(at).catch(() => undefined);
  if (st?.isSymbolicLink()) await rm(at, { force: true });
  await mkdirOwned(at, owner);
}
