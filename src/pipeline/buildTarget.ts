/**
 * What `kpatch build` builds: the kubelet (Kubernetes' make in kube-cross)
 * or runc (runc's own make in the golang image its Dockerfile names). The
 * pipeline (fetch, scan, patch, make, collect, verify, manifest, checksums)
 * is the same; a target supplies only what differs between the two. Pure
 * data and small checks here, so the command line can be judged before any
 * heavy module loads; each target's make runner is imported when it builds.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fail } from '../errors.js';
import { DEFAULT_RECIPE_FACTS } from '../recipeFacts.js';
import type { TagKind } from '../source/releaseTag.js';
import { RUNC_TREE_WORDS, VENDORED_RUNC_WORDS, type ModeWords } from './chooseMode.js';
import type { MakeRunner } from './makeContract.js';
import { checkVersionString, defaultVersionString } from './versionStamp.js';

/** The targets' names, as the manifest's `target` records them. */
export type TargetName = 'kubelet' | 'runc';

/** What differs between building the kubelet and building runc. */
export interface BuildTarget {
  name: TargetName;
  /** The binary's file name in the tree's output and in the artifact folder (`linux-amd64/<binary>`). */
  binary: string;
  /** Whose tag grammar the release tag follows. */
  tagKind: TagKind;
  /** How mode reasons and refusals name the runc code of the tree. */
  modeWords: ModeWords;
  /** The version the binary reports by default: `<tag>+kpatch.<mode>`, or the release's own with no mode. */
  defaultVersion(tag: string, mode: string | undefined): string;
  /** Throws `usage` for a `--version-string` this target's version mechanism cannot carry. */
  checkVersion(v: string): void;
  /** Loads the module that runs this target's make. */
  loadMake(): Promise<MakeRunner>;
  /** Where this target's make writes the binary for `os/arch` in `tree`, when the run does not say otherwise (MakeRun.binaries). */
  builtBinary(tree: string, os: string, arch: string): string;
}

/** The kubelet: Kubernetes' `make WHAT=cmd/kubelet`, version through KUBE_GIT_VERSION_FILE. */
export const KUBELET_TARGET: BuildTarget = {
  name: 'kubelet',
  binary: 'kubelet',
  tagKind: 'kubernetes',
  modeWords: VENDORED_RUNC_WORDS,
  defaultVersion: (tag, mode) => (mode ? defaultVersionString(tag, mode) : tag),
  checkVersion: checkVersionString,
  loadMake: async () => (await import('./runKubeletMake.js')).runKubeletMake,
  // hack/lib/golang.sh puts each platform's binaries under _output/local/bin/<os>/<arch>/.
  builtBinary: (tree, os, arch) => path.join(tree, '_output/local/bin', os, arch, 'kubelet'),
};

// runc's VERSION has no leading v (`1.0.0-rc5`); the value reaches make's
// recipe, which runs through a shell, so only semver characters are allowed.
const RUNC_VERSION = /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

/**
 * runc: its own `make` with BUILDTAGS, once per platform (GOOS/GOARCH), the
 * binary at `<tree>/runc`; the version through `make VERSION=...`, the
 * variable runc's Makefile fills from its VERSION file, so the tree's file
 * is never edited.
 */
export const RUNC_TARGET: BuildTarget = {
  name: 'runc',
  binary: 'runc',
  tagKind: 'runc',
  modeWords: RUNC_TREE_WORDS,
  // runc's VERSION file carries no `v`: release v1.0.0-rc5 says `runc version 1.0.0-rc5`.
  defaultVersion: (tag, mode) => {
    const plain = tag.replace(/^v/, '');
    return mode ? `${plain}+kpatch.${mode}` : plain;
  },
  checkVersion(v) {
    if (!RUNC_VERSION.test(v)) {
      fail('usage', {
        where: `--version-string ${JSON.stringify(v)}`,
        detail: 'runc needs a semantic version such as 1.0.0-rc5+kpatch.guard or 1.0.0-rc5+acme.1',
      });
    }
  },
  loadMake: async () => (await import('./runRuncMake.js')).runRuncMake,
  // runc's Makefile writes ./runc whatever GOOS/GOARCH say (runRuncMake moves each one out).
  builtBinary: (tree) => path.join(tree, 'runc'),
};

/** The target of a name. */
export function buildTarget(name: TargetName): BuildTarget {
  return name === 'runc' ? RUNC_TARGET : KUBELET_TARGET;
}

/**
 * Whether `root` has runc's layout at its root (a runc checkout or a
 * docker/runc-style fork): `libcontainer/cgroups/`, `main.go` and a
 * `Makefile`, and no `cmd/kubelet` (a Kubernetes tree, which has runc only
 * under vendor/). Used for `--src`, whose tree says what it is.
 */
export function hasRuncLayout(root: string): boolean {
  const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();
  return (
    isDir(path.join(root, 'libcontainer', 'cgroups')) &&
    existsSync(path.join(root, 'main.go')) &&
    existsSync(path.join(root, 'Makefile')) &&
    !isDir(path.join(root, 'cmd', 'kubelet'))
  );
}

/**
 * `--buildtags`: runc's BUILDTAGS, space- or comma-separated Go build tags.
 * Each tag reaches make's recipe (a shell command), so only Go's tag
 * characters are allowed; the recipe's own build tag (kmem-accounting's
 * `nokmem`) is a mode's business (`--mode <tag>`), not a tag to slip in
 * beside a source patch.
 */
export function parseBuildtags(value: string): string[] {
  const tags = value.split(/[\s,]+/).filter(Boolean);
  for (const t of tags) {
    if (!/^[A-Za-z0-9_.]+$/.test(t)) {
      fail('usage', {
        where: `--buildtags ${JSON.stringify(value)}`,
        detail: `${JSON.stringify(t)} is not a Go build tag (letters, digits, _ and .)`,
      });
    }
    if (t === DEFAULT_RECIPE_FACTS.buildTag?.name) {
      fail('usage', {
        where: `--buildtags ${JSON.stringify(value)}`,
        detail: `${t} is a fix of its own: use --mode ${t} (or auto), which also checks the tree has the ${t} variant and proves it reached the binary`,
      });
    }
  }
  return [...new Set(tags)];
}
