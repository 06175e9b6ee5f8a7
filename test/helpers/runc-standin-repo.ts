/**
 * Test helpers around the stand-in runc source tree in
 * `test/fixtures/runc-standin/`: `base/` holds the files every release
 * shares, and one folder per tag (`v1.0.0-rc5/`, `v1.0.0-rc92/`, `v1.1.4/`)
 * holds the files laid over `base/` for that release. The tree has runc's
 * layout at its root (`main.go`, `Makefile`, `VERSION`, `Dockerfile`,
 * `libcontainer/...`). See `test/fixtures/runc-standin/README.md`.
 *
 * Mirrors test/helpers/standin-repo.ts (the Kubernetes stand-in): only node:
 * builtins, git always run with argument arrays (never through a shell) and
 * with a fixed identity, dates and config, so the repositories built here are
 * the same, commit for commit, on every run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { copyFiles, findFixtureDir, makeReleaseRemote, overlayFiles, shiftDate } from './fixtureRepo.js';

/** The releases the stand-in runc tree has, oldest first. */
export const RUNC_STANDIN_TAGS = ['v1.0.0-rc5', 'v1.0.0-rc92', 'v1.1.4'] as const;

/** One of {@link RUNC_STANDIN_TAGS}. */
export type RuncStandinTag = (typeof RUNC_STANDIN_TAGS)[number];

/** Where runc's own cgroupfs driver sits in every stand-in runc tree (no vendor prefix). */
export const RUNC_STANDIN_FS_DIR = 'libcontainer/cgroups/fs';

/**
 * The file holding `(*MemoryGroup).Apply`, relative to the tree root, per
 * release. The same path in all three, as in real runc; a table so that a
 * test names the file of the release it builds.
 */
export const RUNC_STANDIN_MEMORY_GO: Readonly<Record<RuncStandinTag, string>> = {
  'v1.0.0-rc5': `${RUNC_STANDIN_FS_DIR}/memory.go`,
  'v1.0.0-rc92': `${RUNC_STANDIN_FS_DIR}/memory.go`,
  'v1.1.4': `${RUNC_STANDIN_FS_DIR}/memory.go`,
};

/**
 * The `nokmem` pair of v1.0.0-rc92 (relative paths): `kmem.go`
 * (`// +build linux,!nokmem`) and `kmem_disabled.go` (`// +build linux,nokmem`).
 * The other releases have neither file.
 */
export const RUNC_STANDIN_KMEM_FILES = {
  enabled: `${RUNC_STANDIN_FS_DIR}/kmem.go`,
  disabled: `${RUNC_STANDIN_FS_DIR}/kmem_disabled.go`,
} as const;

/** The systemd driver file with the guarded kmem helper, per release (v1.1.4 has none). */
export const RUNC_STANDIN_SYSTEMD_GO: Readonly<Record<RuncStandinTag, string | undefined>> = {
  'v1.0.0-rc5': 'libcontainer/cgroups/systemd/apply_systemd.go',
  'v1.0.0-rc92': 'libcontainer/cgroups/systemd/v1.go',
  'v1.1.4': undefined,
};

/**
 * The error text `kmem_disabled.go` returns (v1.0.0-rc92): in a binary built
 * with `-tags nokmem` only, and in no other file of `libcontainer/cgroups/`.
 */
export const RUNC_STANDIN_NOKMEM_LITERAL = 'kernel memory accounting disabled in this runc build';

/** Content of each release's `VERSION` file (without the newline), which `runc --version` reports. */
export const RUNC_STANDIN_VERSIONS: Readonly<Record<RuncStandinTag, string>> = {
  'v1.0.0-rc5': '1.0.0-rc5',
  'v1.0.0-rc92': '1.0.0-rc92',
  'v1.1.4': '1.1.4',
};

/** The image each release's `Dockerfile` names on its first line (`FROM <image>`). */
export const RUNC_STANDIN_DOCKERFILE_FROM: Readonly<Record<RuncStandinTag, string>> = {
  'v1.0.0-rc5': 'golang:1.10.8',
  'v1.0.0-rc92': 'golang:1.15.15-buster',
  'v1.1.4': 'golang:1.17.13-bullseye',
};

/**
 * Where the stand-in runc's Dockerfile (and runc's, for GOPATH-era releases)
 * keeps the tree in a build container: `$GOPATH/src/<import path>` with
 * GOPATH=/go. v1.0.0-rc5 builds there without making a private GOPATH.
 */
export const RUNC_STANDIN_CONTAINER_DIR = '/go/src/github.com/opencontainers/runc';

/** Result of {@link makeRuncStandinRemote}. */
export interface RuncStandinRemote {
  /** `file://` URL of the bare repository, for `git clone`. */
  url: string;
  /** Filesystem path of the bare repository (`<root>/runc.git`). */
  bare: string;
  /** Commit sha (peeled, also for annotated tags) of each tag that was created. */
  commits: Record<string, string>;
}

/** Options of {@link makeRuncStandinRemote}. */
export interface RuncStandinRemoteOptions {
  /** Releases to commit and tag; default: all of {@link RUNC_STANDIN_TAGS}. Order does not matter. */
  tags?: string[];
}

/**
 * Absolute path of `test/fixtures/runc-standin/`, found from this file's
 * location (walking up, so it also works from a compiled copy under `dist/`).
 */
export function runcStandinFixtureDir(): string {
  return findFixtureDir(import.meta.url, 'runc-standin');
}

function assertTag(tag: string): asserts tag is RuncStandinTag {
  if (!(RUNC_STANDIN_TAGS as readonly string[]).includes(tag)) {
    throw new Error(`unknown runc stand-in tag ${JSON.stringify(tag)}; known: ${RUNC_STANDIN_TAGS.join(', ')}`);
  }
}

/**
 * The files of one release: `base/` with the tag's overlay laid over it.
 * Maps the path inside the tree (with `/`) to the absolute fixture file.
 */
export function runcStandinFiles(tag: string): Map<string, string> {
  assertTag(tag);
  // A `runc` binary or `.gopath/` left by a hand build of the fixture is not a fixture file.
  return overlayFiles(runcStandinFixtureDir(), tag, (rel) => rel === 'runc' || rel === '.gopath');
}

/**
 * Writes the stand-in runc tree of `tag` (base + overlay) into the plain
 * directory `dest` (created if missing; existing files with the same names
 * are overwritten), for tests that want a tree without git. Such a tree
 * builds with `make` (writing `dest/runc`); with no git around, the binary
 * has no `commit:` line unless `make COMMIT=...` is given.
 */
export function materializeRuncStandin(tag: string, dest: string): void {
  copyFiles(runcStandinFiles(tag), dest);
}

/** Commit dates of the history (close to the real releases), fixed so that every run makes the same shas. */
const RELEASE_DATES: Record<RuncStandinTag, string> = {
  'v1.0.0-rc5': '2018-02-27T18:00:00+00:00',
  'v1.0.0-rc92': '2020-08-05T18:00:00+00:00',
  'v1.1.4': '2022-08-24T18:00:00+00:00',
};
const INITIAL_DATE = '2018-01-15T12:00:00+00:00';

/**
 * Builds a bare repository `<root>/runc.git` that looks like runc's remote,
 * and returns its `file://` URL, its path and each tag's commit.
 *
 * History on `master`, oldest first: an initial commit (README.md,
 * CHANGELOG.md); then for each requested release (in release order, whatever
 * the order of `opts.tags`): two unrelated commits (none before the first
 * release; the first of them sets `VERSION` to `<version>+dev` as runc does
 * after a release, the second touches only CHANGELOG.md and docs/), then the
 * release commit whose tree is base + that release's overlay (+ README.md,
 * CHANGELOG.md and docs/), then the tag; finally one more unrelated commit,
 * so `master` is ahead of every tag. `v1.0.0-rc5` and `v1.1.4` are annotated
 * tags, `v1.0.0-rc92` is a lightweight tag. Identity, dates and config are
 * fixed, so the shas are the same on every run and machine (given the same
 * fixture files).
 *
 * Throws if `<root>/runc.git` already exists or a tag is unknown.
 */
export function makeRuncStandinRemote(root: string, opts: RuncStandinRemoteOptions = {}): RuncStandinRemote {
  const wanted = opts.tags ?? [...RUNC_STANDIN_TAGS];
  for (const t of wanted) assertTag(t);
  // runc sets VERSION to `<version>+dev` right after each release.
  const backToDev = (w: { dir: string; commitAll(m: string, d: string): void }, tag: string, date: string) => {
    fs.writeFileSync(path.join(w.dir, 'VERSION'), `${RUNC_STANDIN_VERSIONS[tag as RuncStandinTag]}+dev\n`);
    w.commitAll(`VERSION: back to development after ${tag}`, date);
  };
  return makeReleaseRemote({
    root,
    name: 'runc',
    title: '# runc (stand-in)',
    initialDate: INITIAL_DATE,
    releases: RUNC_STANDIN_TAGS.filter((t) => wanted.includes(t)).map((tag) => ({
      tag,
      date: RELEASE_DATES[tag],
      files: runcStandinFiles(tag),
      message: `VERSION: release ${RUNC_STANDIN_VERSIONS[tag]} (stand-in)`,
      annotation: tag === 'v1.0.0-rc92' ? undefined : `runc ${tag}`,
    })),
    between(w, previous, next) {
      backToDev(w, previous, shiftDate(next, -60));
      w.housekeeping(2, previous, shiftDate(next, -30));
    },
    after(w, last) {
      if (last) backToDev(w, last, shiftDate(RELEASE_DATES[last as RuncStandinTag], 5));
      else w.housekeeping(1, 'initial', shiftDate(INITIAL_DATE, 5));
    },
  });
}
