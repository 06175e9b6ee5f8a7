/**
 * The contract every build runner (docker, podman, local) implements: run
 * Kubernetes' own `make` for the kubelet in a prepared tree, stream its
 * output to a log, and stop cleanly when the user presses Ctrl-C.
 */
import type { ImageAttempt } from '../manifest/manifest.js';

/** Everything a runner needs to build. */
export interface BuildRequest {
  /** Absolute path of the (patched) source tree. */
  tree: string;
  /** make's arguments, e.g. `['WHAT=cmd/kubelet', 'KUBE_BUILD_PLATFORMS=linux/amd64 linux/arm64']`. */
  makeArgs: string[];
  /**
   * Environment for make. Paths in it that point into `mounts` are host
   * paths; container runners translate them to the in-container paths.
   */
  env: Record<string, string>;
  /** Extra host files or folders the build reads (e.g. the version file), mounted read-only. */
  mounts: { host: string; container: string }[];
  /** Persistent folder for HOME and the Go build cache, so a second build reuses compiled packages. */
  cacheDir: string;
  /**
   * Where the release's own harness puts GOCACHE inside the tree, whatever
   * kpatch sets (`_output/local/go/cache` for Kubernetes 1.14 and later):
   * the runner gives that folder a home on the persistent cache (goCache.ts).
   */
  treeGoCache?: string;
  /**
   * The tree has no go.mod (GOPATH era): build with GO111MODULE=off, and
   * where the release's make expects it (runc), with the tree at its import
   * path under a GOPATH (`containerTree`'s path below `/go/src/`).
   */
  gopath?: 'harness' | 'import-path';
  /** Container image reference (container runners only). */
  image?: string;
  /**
   * Where container runners mount the tree (default {@link CONTAINER_TREE},
   * Kubernetes' import path): GOPATH-era trees only build at their import path.
   */
  containerTree?: string;
  /** Receives every line of output, stdout and stderr interleaved. */
  onLine: (line: string) => void;
  /** Aborted on Ctrl-C: the runner must stop the build (no orphan container or make). */
  signal?: AbortSignal;
}

/** What a runner reports after a build. */
export interface BuildOutcome {
  /** make's exit code (0 on success). */
  exitCode: number;
  /** The exact command line that ran, for the manifest and the log. */
  command: string[];
  /** Image digest, when the engine reports one. */
  imageDigest?: string;
}

/** One way of running the build. */
export interface Runner {
  name: 'docker' | 'podman' | 'local';
  /** Runs make; resolves when it exits. Throws a KpatchError when the runner cannot start at all. */
  build(req: BuildRequest): Promise<BuildOutcome>;
  /**
   * Container runners: makes one of `candidates` local before anything is
   * patched (one already local wins, else the first that pulls), and checks
   * it has make and go when asked. The local runner has none.
   */
  prepareImage?(candidates: string[], opts: PrepareImageOptions): Promise<PreparedImage>;
}

/** How {@link Runner.prepareImage} runs. */
export interface PrepareImageOptions {
  /** Check the image has make and go on its PATH (an image the user named with `--image`). */
  checkTools: boolean;
  /** Receives the engine's pull output. */
  onLine: (line: string) => void;
  signal?: AbortSignal;
}

/** The image a container build uses. */
export interface PreparedImage {
  ref: string;
  /** The digest the engine reports (RepoDigests); none for an image docker built locally. */
  digest?: string;
  /** The candidates tried, in order, the last one being `ref`. */
  attempts: ImageAttempt[];
}

/** Where the tree is mounted inside build containers (a fixed path keeps builds reproducible). */
export const CONTAINER_TREE = '/go/src/k8s.io/kubernetes';
/** Where the persistent cache folder is mounted inside build containers. */
export const CONTAINER_HOME = '/kpatch/home';
