/**
 * Test helpers around the stand-in Kubernetes source tree in
 * `test/fixtures/k8s-standin/`: `base/` holds the files every release shares,
 * and one folder per tag (`v1.12.4/`, `v1.14.10/`, `v1.21.2/`) holds the files
 * laid over `base/` for that release. See `test/fixtures/k8s-standin/README.md`.
 *
 * Only node: builtins are used; git is always run with argument arrays (never
 * through a shell) and with a fixed identity, dates and config, so the
 * repositories built here are the same, commit for commit, on every run.
 */
import { copyFiles, findFixtureDir, makeReleaseRemote, overlayFiles, shiftDate, STANDIN_GIT_IDENTITY } from './fixtureRepo.js';

export { STANDIN_GIT_IDENTITY };

/** The releases the stand-in tree has, oldest first. */
export const STANDIN_TAGS = ['v1.12.4', 'v1.14.10', 'v1.21.2'] as const;

/** One of {@link STANDIN_TAGS}. */
export type StandinTag = (typeof STANDIN_TAGS)[number];

/** Where the vendored runc cgroupfs driver sits inside every stand-in tree. */
export const STANDIN_RUNC_FS_DIR = 'vendor/github.com/opencontainers/runc/libcontainer/cgroups/fs';

/** The file holding `(*MemoryGroup).Apply`, relative to the tree root. */
export const STANDIN_MEMORY_GO = `${STANDIN_RUNC_FS_DIR}/memory.go`;

/** Result of {@link makeStandinRemote}. */
export interface StandinRemote {
  /** `file://` URL of the bare repository, for `git clone`. */
  url: string;
  /** Filesystem path of the bare repository (`<root>/kubernetes.git`). */
  bare: string;
  /** Commit sha (peeled, also for annotated tags) of each tag that was created. */
  commits: Record<string, string>;
}

/** Options of {@link makeStandinRemote}. */
export interface StandinRemoteOptions {
  /** Releases to commit and tag; default: all of {@link STANDIN_TAGS}. Order does not matter. */
  tags?: string[];
}

/**
 * Absolute path of `test/fixtures/k8s-standin/`, found from this file's
 * location (walking up, so it also works from a compiled copy under `dist/`).
 */
export function standinFixtureDir(): string {
  return findFixtureDir(import.meta.url, 'k8s-standin');
}

function assertTag(tag: string): asserts tag is StandinTag {
  if (!(STANDIN_TAGS as readonly string[]).includes(tag)) {
    throw new Error(`unknown stand-in tag ${JSON.stringify(tag)}; known: ${STANDIN_TAGS.join(', ')}`);
  }
}

/**
 * The files of one release: `base/` with the tag's overlay laid over it.
 * Maps the path inside the tree (with `/`) to the absolute fixture file.
 */
export function standinFiles(tag: string): Map<string, string> {
  assertTag(tag);
  return overlayFiles(standinFixtureDir(), tag, (rel) => rel === '_output' || rel.endsWith('/_output'));
}

/**
 * Writes the stand-in tree of `tag` (base + overlay) into the plain directory
 * `dest` (created if missing; existing files with the same names are
 * overwritten), for tests that want a tree without git. Such a tree builds
 * with `make` and reports `v0.0.0-master+$Format:%h$` unless
 * `KUBE_GIT_VERSION_FILE` is given.
 */
export function materializeStandin(tag: string, dest: string): void {
  copyFiles(standinFiles(tag), dest);
}

/** Commit dates of the history, fixed so that every run makes the same shas. */
const RELEASE_DATES: Record<StandinTag, string> = {
  'v1.12.4': '2018-12-03T18:00:00+00:00',
  'v1.14.10': '2019-12-11T18:00:00+00:00',
  'v1.21.2': '2021-06-16T18:00:00+00:00',
};
const INITIAL_DATE = '2018-11-20T12:00:00+00:00';

/**
 * Builds a bare repository `<root>/kubernetes.git` that looks like a
 * Kubernetes remote, and returns its `file://` URL, its path and each tag's
 * commit.
 *
 * History on `master`, oldest first: an initial commit (README.md,
 * CHANGELOG.md); then for each requested release (in release order, whatever
 * the order of `opts.tags`): two unrelated commits touching only CHANGELOG.md
 * and docs/ (none before the first release), then the release commit whose
 * tree is base + that release's overlay (+ README.md, CHANGELOG.md and docs/),
 * then the tag; finally one more unrelated commit, so `master` is ahead of
 * every tag. `v1.12.4` and `v1.21.2` are annotated tags, `v1.14.10` is a
 * lightweight tag. Identity, dates and config are fixed, so the shas are the
 * same on every run and machine (given the same fixture files).
 *
 * Throws if `<root>/kubernetes.git` already exists or a tag is unknown.
 */
export function makeStandinRemote(root: string, opts: StandinRemoteOptions = {}): StandinRemote {
  const wanted = opts.tags ?? [...STANDIN_TAGS];
  for (const t of wanted) assertTag(t);
  return makeReleaseRemote({
    root,
    name: 'kubernetes',
    title: '# Kubernetes (stand-in)',
    initialDate: INITIAL_DATE,
    releases: STANDIN_TAGS.filter((t) => wanted.includes(t)).map((tag) => ({
      tag,
      date: RELEASE_DATES[tag],
      files: standinFiles(tag),
      message: `Kubernetes ${tag} (stand-in release)`,
      annotation: tag === 'v1.14.10' ? undefined : `Kubernetes ${tag}`,
    })),
    between(w, previous, next) {
      w.housekeeping(1, previous, shiftDate(next, -60));
      w.housekeeping(2, previous, shiftDate(next, -30));
    },
    after(w, last) {
      w.housekeeping(1, last ?? 'initial', shiftDate(last ? RELEASE_DATES[last as StandinTag] : INITIAL_DATE, 5));
    },
  });
}
