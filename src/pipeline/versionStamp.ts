/**
 * Version stamping for Kubernetes builds. hack/lib/version.sh derives the
 * version from git and appends `-dirty` to a changed tree, which a patched
 * tree always is; operators and version checks trip over that. Instead kpatch
 * hands version.sh a KUBE_GIT_VERSION_FILE that names the tag's commit, a
 * clean tree state and a version that says the binary was patched.
 */
import { fail } from '../errors.js';

/** The facts the version file states. */
export interface VersionFacts {
  tag: string;
  commit: string;
  /** e.g. `v1.12.4+kpatch.guard`. */
  version: string;
  /** `dirty` when a `--src` checkout has changes besides kpatch's fix (default `clean`). */
  treeState?: 'clean' | 'dirty';
}

/** Default version string: the tag plus semver build metadata naming the mode. */
export function defaultVersionString(tag: string, mode: string): string {
  return `${tag}+kpatch.${mode}`;
}

/** Checks a user-given `--version-string`: Kubernetes parses it as semver with a leading v. */
export function checkVersionString(v: string): void {
  if (!/^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(v)) {
    fail('usage', {
      where: `--version-string ${JSON.stringify(v)}`,
      detail: 'Kubernetes needs a semantic version such as v1.12.4+kpatch.guard or v1.12.4-acme.1',
    });
  }
}

/** The file's text, in the shell syntax version.sh sources. */
export function kubeVersionFile(f: VersionFacts): string {
  const m = /^v(\d+)\.(\d+)/.exec(f.version) ?? /^v(\d+)\.(\d+)/.exec(f.tag);
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return [
    `KUBE_GIT_COMMIT=${q(f.commit)}`,
    `KUBE_GIT_TREE_STATE=${q(f.treeState ?? 'clean')}`,
    `KUBE_GIT_VERSION=${q(f.version)}`,
    `KUBE_GIT_MAJOR=${q(m?.[1] ?? '')}`,
    `KUBE_GIT_MINOR=${q(m?.[2] ?? '')}`,
    '',
  ].join('\n');
}
