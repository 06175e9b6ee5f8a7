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
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { STANDIN_GIT_IDENTITY } from './standin-repo.js';

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

const FIXTURE_REL = path.join('test', 'fixtures', 'runc-standin');

/**
 * Absolute path of `test/fixtures/runc-standin/`, found from this file's
 * location (walking up, so it also works from a compiled copy under `dist/`).
 */
export function runcStandinFixtureDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, FIXTURE_REL);
    if (fs.existsSync(path.join(candidate, 'base'))) return candidate;
    const sibling = path.join(dir, 'fixtures', 'runc-standin');
    if (fs.existsSync(path.join(sibling, 'base'))) return sibling;
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new Error(`cannot find ${FIXTURE_REL} above ${fileURLToPath(import.meta.url)}`);
    }
    dir = parent;
  }
}

function assertTag(tag: string): asserts tag is RuncStandinTag {
  if (!(RUNC_STANDIN_TAGS as readonly string[]).includes(tag)) {
    throw new Error(`unknown runc stand-in tag ${JSON.stringify(tag)}; known: ${RUNC_STANDIN_TAGS.join(', ')}`);
  }
}

/** Relative path -> absolute source file, for every file below `dir` (skipping build output). */
function listFiles(dir: string, rel = '', out = new Map<string, string>()): Map<string, string> {
  const entries = fs.readdirSync(path.join(dir, rel), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (e.name === '.gopath' || e.name === '.git') continue;
      listFiles(dir, r, out);
    } else if (e.isFile()) {
      // A `runc` binary left by a hand build of the fixture is not a fixture file.
      if (r === 'runc') continue;
      out.set(r, path.join(dir, r));
    }
  }
  return out;
}

/**
 * The files of one release: `base/` with the tag's overlay laid over it.
 * Maps the path inside the tree (with `/`) to the absolute fixture file.
 */
export function runcStandinFiles(tag: string): Map<string, string> {
  assertTag(tag);
  const root = runcStandinFixtureDir();
  const files = listFiles(path.join(root, 'base'));
  for (const [rel, abs] of listFiles(path.join(root, tag))) files.set(rel, abs);
  return new Map([...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function copyFiles(files: Map<string, string>, dest: string): void {
  for (const [rel, src] of files) {
    const target = path.join(dest, ...rel.split('/'));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(src, target);
    // Keep only the executable bits of the fixture file, independent of umask.
    fs.chmodSync(target, fs.statSync(src).mode & 0o111 ? 0o755 : 0o644);
  }
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
const DAY_MS = 24 * 3600 * 1000;

function shiftDate(iso: string, days: number): string {
  return new Date(Date.parse(iso) + days * DAY_MS).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

/** Environment for git: fixed identity and date, no user/system config, no inherited repo. */
function gitEnv(date: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) {
    if (k.startsWith('GIT_')) delete env[k];
  }
  return {
    ...env,
    GIT_AUTHOR_NAME: STANDIN_GIT_IDENTITY.name,
    GIT_AUTHOR_EMAIL: STANDIN_GIT_IDENTITY.email,
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_NAME: STANDIN_GIT_IDENTITY.name,
    GIT_COMMITTER_EMAIL: STANDIN_GIT_IDENTITY.email,
    GIT_COMMITTER_DATE: date,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    LC_ALL: 'C',
  };
}

function git(cwd: string, args: string[], date = INITIAL_DATE): string {
  return execFileSync('git', ['-c', 'commit.gpgSign=false', '-c', 'tag.gpgSign=false', ...args], {
    cwd,
    env: gitEnv(date),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

/** Removes everything in the work tree except `.git` and the files in `keep`. */
function clearWorkTree(dir: string, keep: string[]): void {
  for (const name of fs.readdirSync(dir)) {
    if (name === '.git' || keep.includes(name)) continue;
    fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  }
}

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
  const tags = RUNC_STANDIN_TAGS.filter((t) => wanted.includes(t));

  fs.mkdirSync(root, { recursive: true });
  const bare = path.resolve(root, 'runc.git');
  if (fs.existsSync(bare)) throw new Error(`${bare} already exists`);
  const work = fs.mkdtempSync(path.join(path.resolve(root), '.runc-work-'));

  try {
    git(work, ['init', '-q', '-b', 'master', '.']);
    fs.writeFileSync(
      path.join(work, 'README.md'),
      '# runc (stand-in)\n\nA tiny stand-in for the runc source tree, made by kpatch tests.\n',
    );
    fs.writeFileSync(path.join(work, 'CHANGELOG.md'), '# Changelog\n');
    const keep = ['README.md', 'CHANGELOG.md', 'docs'];

    const commitAll = (message: string, date: string): void => {
      git(work, ['add', '--all', '--', '.'], date);
      git(work, ['commit', '-q', '--no-verify', '-m', message], date);
    };
    const docsChange = (n: number, label: string, date: string): void => {
      fs.appendFileSync(path.join(work, 'CHANGELOG.md'), `\n- ${label}: housekeeping change ${n}\n`);
      fs.mkdirSync(path.join(work, 'docs'), { recursive: true });
      fs.writeFileSync(path.join(work, 'docs', `note-${label}-${n}.md`), `Note ${n} written after ${label}.\n`);
      commitAll(`docs: housekeeping after ${label} (${n})`, date);
    };
    const backToDev = (tag: RuncStandinTag, date: string): void => {
      fs.writeFileSync(path.join(work, 'VERSION'), `${RUNC_STANDIN_VERSIONS[tag]}+dev\n`);
      commitAll(`VERSION: back to development after ${tag}`, date);
    };

    commitAll('Initial commit', INITIAL_DATE);

    const commits: Record<string, string> = {};
    let previous: RuncStandinTag | undefined;
    for (const tag of tags) {
      const date = RELEASE_DATES[tag];
      if (previous) {
        backToDev(previous, shiftDate(date, -60));
        docsChange(2, previous, shiftDate(date, -30));
      }
      clearWorkTree(work, keep);
      copyFiles(runcStandinFiles(tag), work);
      fs.appendFileSync(path.join(work, 'CHANGELOG.md'), `\n## ${tag}\n\n- Release ${tag}.\n`);
      commitAll(`VERSION: release ${RUNC_STANDIN_VERSIONS[tag]} (stand-in)`, date);
      if (tag === 'v1.0.0-rc92') {
        git(work, ['tag', tag], date);
      } else {
        git(work, ['tag', '-a', tag, '-m', `runc ${tag}`], date);
      }
      commits[tag] = git(work, ['rev-parse', `${tag}^{commit}`], date);
      previous = tag;
    }
    if (previous) backToDev(previous, shiftDate(RELEASE_DATES[previous], 5));
    else docsChange(1, 'initial', shiftDate(INITIAL_DATE, 5));

    git(root, ['init', '-q', '--bare', '-b', 'master', bare]);
    git(work, ['push', '-q', bare, 'refs/heads/master:refs/heads/master', 'refs/tags/*:refs/tags/*']);

    return { url: pathToFileURL(bare).href, bare, commits };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
