/**
 * What the real-release tests share: the real Kubernetes v1.20.2 release and the
 * real runc trees, fetched with apt by scripts/real-release.sh (cached, so the
 * tarball is downloaded once per machine), and the Debian-built kube-cross
 * stand-in image of scripts/ci/podman-image-debian.sh.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './cli.js';

/** Where the real releases are. */
export interface RealReleases {
  /** file:// URL of the bare repository with the annotated tag v1.20.2. */
  k8sUrl: string;
  /** runc v1.0.0-rc93 source tree (Debian bullseye's -dev package). */
  runcRc93: string;
  /** runc 1.1.5 source tree (Debian bookworm's -dev package). */
  runc115: string;
}

let cached: RealReleases | undefined;

/** Fetches (once) and returns the real releases; throws with the script's own message when apt cannot. */
export function realReleases(): RealReleases {
  if (cached) return cached;
  const out = execFileSync(path.join(REPO_ROOT, 'scripts/real-release.sh'), ['env'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const vars = Object.fromEntries(
    out
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  cached = { k8sUrl: vars.KPATCH_REAL_K8S_URL, runcRc93: vars.KPATCH_REAL_RUNC_RC93, runc115: vars.KPATCH_REAL_RUNC_115 };
  return cached;
}

/** The Debian-built image that can build a real kubelet (scripts/ci/podman-image-debian.sh). */
export const DEBIAN_IMAGE = 'localhost/kpatch/kube-cross:debian-bookworm';

/** Builds (once per recipe; the script keeps an image with the same label) the Debian kube-cross stand-in. */
export function debianImage(): string {
  execFileSync(path.join(REPO_ROOT, 'scripts/ci/podman-image-debian.sh'), [DEBIAN_IMAGE], { stdio: ['ignore', 'inherit', 'inherit'] });
  return DEBIAN_IMAGE;
}

/** How podman works on this machine (background.md, "This machine"), for kpatch's podman runner. */
export const PODMAN_ENV = {
  KPATCH_PODMAN_ARGS: '--runtime /usr/sbin/runc',
  CONTAINERS_CONF: path.join(REPO_ROOT, 'scripts/ci/containers.conf'),
  // `podman info` can take several seconds on a busy 2-core machine; the default 5 s would
  // report a working engine as unavailable (KPATCH_ENGINE_PROBE_TIMEOUT, see the README).
  KPATCH_ENGINE_PROBE_TIMEOUT: '60',
};

/** The vendored runc of Kubernetes v1.20.2, relative to the tree. */
export const RUNC_VENDOR = 'vendor/github.com/opencontainers/runc/libcontainer/cgroups';
/** The unguarded call site's file. */
export const MEMORY_GO = `${RUNC_VENDOR}/fs/memory.go`;
/** The systemd helper whose callers are all guarded. */
export const SYSTEMD_V1_GO = `${RUNC_VENDOR}/systemd/v1.go`;
/** The string only the nokmem variant compiles in (runc since late 2018). */
export const NOKMEM_PROOF = 'kernel memory accounting disabled in this runc build';

/** Why the cgroup probe cannot run here, or undefined when it can (root and a cgroup v1 memory hierarchy). */
export function probeSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'the cgroup probe needs root (it creates a memory cgroup)';
  if (!existsSync('/sys/fs/cgroup/memory/memory.kmem.limit_in_bytes'))
    return 'no cgroup v1 memory hierarchy with kmem files at /sys/fs/cgroup/memory';
  try {
    execFileSync('strace', ['-V'], { stdio: 'ignore' });
  } catch {
    return 'strace is not installed (apt-get install strace)';
  }
  return undefined;
}

/** The manifest of a build folder (one reader for every suite). */
export { manifestOf } from './buildOutput.js';
