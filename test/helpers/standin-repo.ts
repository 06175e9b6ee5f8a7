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
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The releases the stand-in tree has, oldest first. */
export const STANDIN_TAGS = ['v1.12.4', 'v1.14.10', 'v1.21.2'] as const;

/** One of {@link STANDIN_TAGS}. */
export type StandinTag = (typeof STANDIN_TAGS)[number];

/** Where the vendored runc cgroupfs driver sits inside every stand-in tree. */
export const STANDIN_RUNC_FS_DIR = 'vendor/github.com/opencontainers/runc/libcontainer/cgroups/fs';

/** The file holding `(*MemoryGroup).Apply`, relative to the tree root. */
export const STANDIN_MEMORY_GO = `${STANDIN_RUNC_FS_DIR}/memory.go`;

/** Author and committer of every commit (and tagger of every annotated tag) the helpers make. */
export const STANDIN_GIT_IDENTITY = {
  name: 'Stand-in Release Bot',
  email: 'standin-release@kpatch.invalid',
} as const;

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

const FIXTURE_REL = path.join('test', 'fixtures', 'k8s-standin');

/**
 * Absolute path of `test/fixtures/k8s-standin/`, found from this file's
 * location (walking up, so it also works from a compiled copy under `dist/`).
 */
export function standinFixtureDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, FIXTURE_REL);
    if (fs.existsSync(path.join(candidate, 'base'))) return candidate;
    const sibling = path.join(dir, 'fixtures', 'k8s-standin');
    if (fs.existsSync(path.join(sibling, 'base'))) return sibling;
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw new Error(`cannot find ${FIXTURE_REL} above ${fileURLToPath(import.meta.url)}`);
    }
    dir = parent;
  }
}

function assertTag(tag: string): asserts tag is StandinTag {
  if (!(STANDIN_TAGS as readonly string[]).includes(tag)) {
    throw new Error(`unknown stand-in tag ${JSON.stringify(tag)}; known: ${STANDIN_TAGS.join(', ')}`);
  }
}

/** Relative path -> absolute source file, for every file below `dir` (skipping build output). */
function listFiles(dir: string, rel = '', out = new Map<string, string>()): Map<string, string> {
  const entries = fs.readdirSync(path.join(dir, rel), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (e.name === '_output' || e.name === '.git') continue;
      listFiles(dir, r, out);
    } else if (e.isFile()) {
      out.set(r, path.join(dir, r));
    }
  }
  return out;
}

/**
 * The files of one release: `base/` with the tag's overlay laid over it.
 * Maps the path inside the tree (with `/`) to the absolute fixture file.
 */
export function standinFiles(tag: string): Map<string, string> {
  assertTag(tag);
  const root = standinFixtureDir();
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
  const tags = STANDIN_TAGS.filter((t) => wanted.includes(t));

  fs.mkdirSync(root, { recursive: true });
  const bare = path.resolve(root, 'kubernetes.git');
  if (fs.existsSync(bare)) throw new Error(`${bare} already exists`);
  const work = fs.mkdtempSync(path.join(path.resolve(root), '.kubernetes-work-'));

  try {
    git(work, ['init', '-q', '-b', 'master', '.']);
    fs.writeFileSync(
      path.join(work, 'README.md'),
      '# Kubernetes (stand-in)\n\nA tiny stand-in for the Kubernetes source tree, made by kpatch tests.\n',
    );
    fs.writeFileSync(path.join(work, 'CHANGELOG.md'), '# Changelog\n');
    const keep = ['README.md', 'CHANGELOG.md', 'docs'];

    const commitAll = (message: string, date: string): void => {
      git(work, ['add', '--all', '--', '.'], date);
      git(work, ['commit', '-q', '--no-verify', '-m', message], date);
    };
    const unrelated = (n: number, label: string, date: string): void => {
      fs.appendFileSync(path.join(work, 'CHANGELOG.md'), `\n- ${label}: housekeeping change ${n}\n`);
      fs.mkdirSync(path.join(work, 'docs'), { recursive: true });
      fs.writeFileSync(path.join(work, 'docs', `note-${label}-${n}.md`), `Note ${n} written after ${label}.\n`);
      commitAll(`docs: housekeeping after ${label} (${n})`, date);
    };

    commitAll('Initial commit', INITIAL_DATE);

    const commits: Record<string, string> = {};
    let previous = 'initial';
    tags.forEach((tag, i) => {
      const date = RELEASE_DATES[tag];
      if (i > 0) {
        unrelated(1, previous, shiftDate(date, -60));
        unrelated(2, previous, shiftDate(date, -30));
      }
      clearWorkTree(work, keep);
      copyFiles(standinFiles(tag), work);
      fs.appendFileSync(path.join(work, 'CHANGELOG.md'), `\n## ${tag}\n\n- Release ${tag}.\n`);
      commitAll(`Kubernetes ${tag} (stand-in release)`, date);
      if (tag === 'v1.14.10') {
        git(work, ['tag', tag], date);
      } else {
        git(work, ['tag', '-a', tag, '-m', `Kubernetes ${tag}`], date);
      }
      commits[tag] = git(work, ['rev-parse', `${tag}^{commit}`], date);
      previous = tag;
    });
    const last = tags.length > 0 ? RELEASE_DATES[tags[tags.length - 1]] : INITIAL_DATE;
    unrelated(1, previous, shiftDate(last, 5));

    git(root, ['init', '-q', '--bare', '-b', 'master', bare]);
    git(work, ['push', '-q', bare, 'refs/heads/master:refs/heads/master', 'refs/tags/*:refs/tags/*']);

    return { url: pathToFileURL(bare).href, bare, commits };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
