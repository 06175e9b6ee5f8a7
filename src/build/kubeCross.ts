/**
 * Which kube-cross image builds a given Kubernetes tree: the tag comes from
 * the tree itself (`build/build-image/cross/VERSION`, present from 1.8 to
 * 1.21), the registry path from the era of the Kubernetes release, and both
 * can be overridden for air-gapped users who mirror the images.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fail } from '../errors.js';

/** Where a Kubernetes tree names its kube-cross tag. */
export const CROSS_VERSION_FILE = 'build/build-image/cross/VERSION';

// A Docker tag: letters, digits, `_`, `.`, `-`; at most 128; not starting with `.` or `-`.
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * Reads the kube-cross tag (e.g. `v1.10.4-1`) of the tree at `tree`.
 * Throws `kube_cross_version` naming the file when it is missing or does not
 * hold a tag (the value ends up in an image reference, so it is checked).
 */
export async function readCrossTag(tree: string): Promise<string> {
  const file = path.join(tree, CROSS_VERSION_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return fail('kube_cross_version', {
      where: file,
      detail: code === 'ENOENT' ? 'the file does not exist (Kubernetes 1.8 to 1.21 have it)' : `cannot read it: ${(e as Error).message}`,
      hint: 'name the build image with --image REF (e.g. --image k8s.gcr.io/kube-cross:v1.10.4-1), or use --runner local',
    });
  }
  const tag = text.trim();
  if (!TAG_RE.test(tag)) {
    return fail('kube_cross_version', {
      where: file,
      detail: `expected a tag like v1.10.4-1, found ${JSON.stringify(tag.slice(0, 80))}`,
      hint: 'name the build image with --image REF, or use --runner local',
    });
  }
  return tag;
}

/**
 * The Go version a kube-cross tag names: `v1.10.4-1` → `1.10.4`,
 * `v1.15.10-legacy-1` → `1.15.10`; undefined for a tag of another form.
 */
export function goVersionOfCrossTag(tag: string): string | undefined {
  return /^v(\d+\.\d+(?:\.\d+)?)(?:-|$)/.exec(tag)?.[1];
}

/**
 * Where kube-cross lived for each range of Kubernetes minor versions, as the
 * releases of that era referenced it (from ../shared/background.md). Old
 * paths keep working only as long as Google keeps serving them; today's home
 * is `registry.k8s.io/build-image/kube-cross`, and air-gapped users point
 * `--registry` at their mirror. Ordered by `fromMinor`, newest first.
 */
export const KUBE_CROSS_REGISTRIES: readonly { fromMinor: number; repository: string }[] = [
  { fromMinor: 21, repository: 'k8s.gcr.io/build-image/kube-cross' },
  { fromMinor: 17, repository: 'us.gcr.io/k8s-artifacts-prod/build-image/kube-cross' },
  { fromMinor: 10, repository: 'k8s.gcr.io/kube-cross' },
  { fromMinor: 0, repository: 'gcr.io/google_containers/kube-cross' },
];

/** What picks the image. */
export interface KubeCrossChoice {
  /** The Kubernetes release tag (`v1.12.4`); chooses the registry of its era. Unknown for `--src` trees. */
  k8sTag?: string;
  /** The tree's kube-cross tag, from {@link readCrossTag}. Not needed with `image`. */
  crossTag?: string;
  /** `--registry HOST/PATH`: replaces everything before `/kube-cross`. */
  registry?: string;
  /** `--image REF`: the whole reference, used as given. */
  image?: string;
}

/** The chosen image and why, for the log and the manifest. */
export interface KubeCrossImage {
  /** Full reference, e.g. `k8s.gcr.io/kube-cross:v1.10.4-1`. */
  ref: string;
  /** How it was chosen, in words. */
  source: string;
}

/**
 * Chooses the kube-cross image reference: `--image` as given; otherwise
 * `<registry>/kube-cross:<crossTag>`, the registry from `--registry` or from
 * the era of `k8sTag` (see {@link KUBE_CROSS_REGISTRIES}). Throws `usage` for
 * a reference that could be read as an engine option, and
 * `kube_cross_version` when nothing says which registry or tag to use.
 */
export function kubeCrossImage(choice: KubeCrossChoice): KubeCrossImage {
  if (choice.image !== undefined) return { ref: checkImageRef(choice.image), source: '--image' };
  const tag = choice.crossTag;
  if (tag === undefined || !TAG_RE.test(tag)) {
    return fail('kube_cross_version', { detail: tag === undefined ? 'no kube-cross tag is known for this tree' : `not a tag: ${JSON.stringify(tag)}` });
  }
  if (choice.registry !== undefined) {
    const registry = checkRegistry(choice.registry);
    return { ref: `${registry}/kube-cross:${tag}`, source: `--registry ${registry} with the tree's kube-cross tag ${tag}` };
  }
  const minor = kubernetesMinor(choice.k8sTag);
  if (minor === undefined) {
    return fail('kube_cross_version', {
      detail: `the Kubernetes release is not known${choice.k8sTag ? ` (${JSON.stringify(choice.k8sTag)} is not a release tag)` : ''}, so neither is the registry kube-cross ${tag} lives in`,
      hint: `pass --registry HOST/PATH (e.g. --registry registry.k8s.io/build-image) or --image REF (e.g. --image k8s.gcr.io/kube-cross:${tag})`,
    });
  }
  const era = KUBE_CROSS_REGISTRIES.find((r) => minor >= r.fromMinor) ?? KUBE_CROSS_REGISTRIES[KUBE_CROSS_REGISTRIES.length - 1];
  return {
    ref: `${era.repository}:${tag}`,
    source: `the tree's ${CROSS_VERSION_FILE} (${tag}) in the registry Kubernetes 1.${minor} used`,
  };
}

/** `--image REF`, trimmed; a usage error for a value that is not an image reference. */
export function checkImageRef(value: string): string {
  const image = value.trim();
  // The reference becomes one argument of `docker run`: a leading `-` would make it an option.
  if (!/^[A-Za-z0-9][^\s]*$/.test(image)) {
    return fail('usage', { where: '--image', detail: `not an image reference: ${JSON.stringify(value)}` });
  }
  return image;
}

/** `--registry HOST/PATH`, trimmed of trailing slashes; a usage error for anything else. */
export function checkRegistry(value: string): string {
  const registry = value.trim().replace(/\/+$/, '');
  // HOST[:PORT][/PATH...], lower-case path components as registries require.
  if (!/^[A-Za-z0-9][A-Za-z0-9.-]*(:\d+)?(\/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*$/.test(registry)) {
    return fail('usage', { where: '--registry', detail: `expected HOST/PATH such as mirror.local/k8s, got ${JSON.stringify(value)}` });
  }
  return registry;
}

/** `v1.12.4` / `1.12.4` / `v1.13.0-rc.1` → 12; undefined for anything else or another major. */
function kubernetesMinor(tag: string | undefined): number | undefined {
  const m = tag === undefined ? null : /^v?1\.(\d+)(?:\.\d+)?(?:[-+].*)?$/.exec(tag.trim());
  return m ? Number(m[1]) : undefined;
}
