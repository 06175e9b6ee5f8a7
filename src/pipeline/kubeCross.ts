/**
 * Which kube-cross image builds a given Kubernetes tree: the tag comes from
 * the tree itself (`build/build-image/cross/VERSION`, present from 1.8 to
 * 1.21), the registry path from the era of the Kubernetes release (today's
 * home first, the era's own reference as a fallback), and both can be
 * overridden for air-gapped users who mirror the images.
 */
import path from 'node:path';
import { fail } from '../errors.js';
import { readBounded, UnsafeFile } from '../readBounded.js';

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
    text = (await readBounded(file, { maxBytes: 4096 })).toString('utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return fail('kube_cross_version', {
      where: file,
      detail:
        code === 'ENOENT'
          ? 'the file does not exist (Kubernetes 1.8 to 1.21 have it)'
          : `cannot read it: ${e instanceof UnsafeFile ? `it ${e.reason}` : (e as Error).message}`,
      hint: 'name the build image with --image REF (e.g. --image registry.k8s.io/kube-cross:v1.10.4-1), or use --runner local',
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
 * Where kube-cross lives for each range of Kubernetes minor versions: the
 * reference the releases of that era wrote (`historical`, from
 * ../shared/background.md) and where the same images can be pulled today
 * (`living`). Ordered by `fromMinor`, newest first.
 *
 * Why these living paths (checked against public records, 2026-11):
 * - registry.k8s.io is the Kubernetes project's only supported registry;
 *   k8s.gcr.io has been frozen since 3 April 2023 and redirects there
 *   (kubernetes.io blog, 2022-11-28 "registry.k8s.io: faster, cheaper and
 *   Generally Available", 2023-02-06 "k8s.gcr.io Image Registry Will Be
 *   Frozen", 2023-03-10 "k8s.gcr.io Redirect to registry.k8s.io"), and both
 *   are served from the community's k8s-artifacts-prod.
 * - Before the "vanity domain flip" of 2020, k8s.gcr.io was an alias of
 *   gcr.io/google-containers (= google_containers); every image there was
 *   copied to the root of k8s-artifacts-prod under the same name
 *   (kubernetes/k8s.io k8s.gcr.io/Vanity-Domain-Flip.md, backfill PRs
 *   #819, #975, #1014, #1036). So the 1.8-1.16 images are
 *   `registry.k8s.io/kube-cross:<tag>`.
 * - From 2020 kube-cross was promoted from the staging project
 *   k8s-staging-build-image as `build-image/kube-cross` (kubernetes/k8s.io
 *   PR #610 "build-image: Promote kube-cross images", kubernetes/kubernetes
 *   issue #94618 naming k8s.gcr.io/build-image/kube-cross), i.e.
 *   us.gcr.io/k8s-artifacts-prod/build-image/kube-cross and
 *   k8s.gcr.io/build-image/kube-cross, today
 *   `registry.k8s.io/build-image/kube-cross:<tag>`.
 * Not every old tag is certain to have been copied, and a redirect may
 * still answer where a copy is missing: so the historical reference stays
 * as the fallback tried when the living one cannot be pulled.
 */
export const KUBE_CROSS_REGISTRIES: readonly { fromMinor: number; living: string; historical: string }[] = [
  { fromMinor: 21, living: 'registry.k8s.io/build-image/kube-cross', historical: 'k8s.gcr.io/build-image/kube-cross' },
  { fromMinor: 17, living: 'registry.k8s.io/build-image/kube-cross', historical: 'us.gcr.io/k8s-artifacts-prod/build-image/kube-cross' },
  { fromMinor: 10, living: 'registry.k8s.io/kube-cross', historical: 'k8s.gcr.io/kube-cross' },
  { fromMinor: 0, living: 'registry.k8s.io/kube-cross', historical: 'gcr.io/google_containers/kube-cross' },
];

/** What picks the image. */
export interface KubeCrossChoice {
  /** The Kubernetes release tag (`v1.12.4`); chooses the registry of its era. Unknown for `--src` trees. */
  k8sTag?: string;
  /** The tree's kube-cross tag, from {@link readCrossTag}. Not needed with `image`. */
  crossTag?: string;
  /**
   * `--registry HOST/PATH[,HOST/PATH...]`: replaces everything before
   * `/kube-cross`; several are tried in the order given.
   */
  registry?: string;
  /** `--image REF`: the whole reference, used as given. */
  image?: string;
}

/** The images to try and why, for the runner, the log and the manifest. */
export interface KubeCrossImage {
  /** The first reference to try, e.g. `registry.k8s.io/kube-cross:v1.10.4-1`. */
  ref: string;
  /** Every reference to try, in order (`ref` first); the first one that is local or can be pulled is used. */
  candidates: string[];
  /** How they were chosen, in words. */
  source: string;
}

/**
 * Chooses the kube-cross image references: `--image` as given (alone);
 * `--registry` values, each `<registry>/kube-cross:<crossTag>`, in the order
 * given and nothing else; otherwise the living home of the era of `k8sTag`
 * then the era's historical reference (see {@link KUBE_CROSS_REGISTRIES}).
 * Throws `usage` for a reference that could be read as an engine option, and
 * `kube_cross_version` when nothing says which registry or tag to use.
 */
export function kubeCrossImage(choice: KubeCrossChoice): KubeCrossImage {
  if (choice.image !== undefined) {
    const ref = checkImageRef(choice.image);
    return { ref, candidates: [ref], source: '--image' };
  }
  const tag = choice.crossTag;
  if (tag === undefined || !TAG_RE.test(tag)) {
    return fail('kube_cross_version', {
      detail: tag === undefined ? 'no kube-cross tag is known for this tree' : `not a tag: ${JSON.stringify(tag)}`,
    });
  }
  if (choice.registry !== undefined) {
    const registries = checkRegistries(choice.registry);
    const candidates = registries.map((r) => `${r}/kube-cross:${tag}`);
    return { ref: candidates[0], candidates, source: `--registry ${registries.join(',')} with the tree's kube-cross tag ${tag}` };
  }
  const minor = kubernetesMinor(choice.k8sTag);
  if (minor === undefined) {
    return fail('kube_cross_version', {
      detail: `the Kubernetes release is not known${choice.k8sTag ? ` (${JSON.stringify(choice.k8sTag)} is not a release tag)` : ''}, so neither is the registry kube-cross ${tag} lives in`,
      hint: `pass --registry HOST/PATH (e.g. --registry registry.k8s.io/build-image) or --image REF (e.g. --image registry.k8s.io/kube-cross:${tag})`,
    });
  }
  const era = KUBE_CROSS_REGISTRIES.find((r) => minor >= r.fromMinor) ?? KUBE_CROSS_REGISTRIES[KUBE_CROSS_REGISTRIES.length - 1];
  const candidates = [`${era.living}:${tag}`, `${era.historical}:${tag}`];
  return {
    ref: candidates[0],
    candidates,
    source: `the tree's ${CROSS_VERSION_FILE} (${tag}): today's home of the images of Kubernetes 1.${minor}, then the reference that release used`,
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

/**
 * `--registry` as a list: comma-separated HOST/PATH values, each checked by
 * {@link checkRegistry}, duplicates dropped, order kept.
 */
export function checkRegistries(value: string): string[] {
  const parts = value.split(',').map((v) => v.trim());
  if (parts.some((p) => p === '')) {
    return fail('usage', {
      where: '--registry',
      detail: `empty entry in ${JSON.stringify(value)}: give HOST/PATH values separated by commas`,
    });
  }
  return [...new Set(parts.map(checkRegistry))];
}

/** `v1.12.4` / `1.12.4` / `v1.13.0-rc.1` → 12; undefined for anything else or another major. */
function kubernetesMinor(tag: string | undefined): number | undefined {
  const m = tag === undefined ? null : /^v?1\.(\d+)(?:\.\d+)?(?:[-+].*)?$/.exec(tag.trim());
  return m ? Number(m[1]) : undefined;
}
