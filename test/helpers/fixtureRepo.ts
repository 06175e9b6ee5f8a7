/**
 * What the stand-in repositories (Kubernetes in standin-repo.ts, runc in
 * runc-standin-repo.ts) share: a fixture folder of `base/` plus one overlay
 * per release tag, and a bare git remote with a reproducible history of
 * tagged releases. Only node: builtins; git always runs with argument arrays,
 * a fixed identity, fixed dates and no user config, so every run makes the
 * same commits.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Author and committer of every commit (and tagger of every annotated tag) the helpers make. */
export const STANDIN_GIT_IDENTITY = {
  name: 'Stand-in Release Bot',
  email: 'standin-release@kpatch.invalid',
} as const;

const DAY_MS = 24 * 3600 * 1000;

/** `iso` moved by `days` (negative: earlier), in git's date format. */
export function shiftDate(iso: string, days: number): string {
  return new Date(Date.parse(iso) + days * DAY_MS).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

/**
 * Absolute path of `test/fixtures/<name>/`, found by walking up from the
 * calling module (`import.meta.url`), so it also works from a compiled copy.
 */
export function findFixtureDir(fromUrl: string, name: string): string {
  const rel = path.join('test', 'fixtures', name);
  let dir = path.dirname(fileURLToPath(fromUrl));
  for (;;) {
    for (const candidate of [path.join(dir, rel), path.join(dir, 'fixtures', name)]) {
      if (fs.existsSync(path.join(candidate, 'base'))) return candidate;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find ${rel} above ${fileURLToPath(fromUrl)}`);
    dir = parent;
  }
}

/** Relative path -> absolute file for every file below `dir`, except the folders and files `skip` names. */
function listFiles(dir: string, skip: (rel: string) => boolean, rel = '', out = new Map<string, string>()): Map<string, string> {
  const entries = fs.readdirSync(path.join(dir, rel), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.name === '.git' || skip(r)) continue;
    if (e.isDirectory()) listFiles(dir, skip, r, out);
    else if (e.isFile()) out.set(r, path.join(dir, r));
  }
  return out;
}

/**
 * The files of one release: `base/` with the tag's overlay laid over it,
 * sorted, as tree path (with `/`) to the absolute fixture file. `skip` leaves
 * out build output a hand build may have left in the fixture.
 */
export function overlayFiles(fixtureDir: string, tag: string, skip: (rel: string) => boolean): Map<string, string> {
  const files = listFiles(path.join(fixtureDir, 'base'), skip);
  for (const [rel, abs] of listFiles(path.join(fixtureDir, tag), skip)) files.set(rel, abs);
  return new Map([...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Copies files into `dest`, keeping only their executable bits (independent of umask). */
export function copyFiles(files: Map<string, string>, dest: string): void {
  for (const [rel, src] of files) {
    const target = path.join(dest, ...rel.split('/'));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(src, target);
    fs.chmodSync(target, fs.statSync(src).mode & 0o111 ? 0o755 : 0o644);
  }
}

/** Environment for git: fixed identity and date, no user/system config, no inherited repo. */
function gitEnv(date: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('GIT_')) delete env[k];
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

function git(cwd: string, args: string[], date: string): string {
  return execFileSync('git', ['-c', 'commit.gpgSign=false', '-c', 'tag.gpgSign=false', ...args], {
    cwd,
    env: gitEnv(date),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

/** The work tree a history is written in, for the hooks of {@link makeReleaseRemote}. */
export interface HistoryWork {
  dir: string;
  /** Commits everything in the work tree. */
  commitAll(message: string, date: string): void;
  /** An unrelated commit touching only CHANGELOG.md and docs/. */
  housekeeping(n: number, label: string, date: string): void;
}

/** One tagged release of a history. */
export interface ReleaseSpec {
  tag: string;
  date: string;
  /** The release's tree (from {@link overlayFiles}). */
  files: Map<string, string>;
  /** Commit message of the release commit. */
  message: string;
  /** Annotation message, or undefined for a lightweight tag. */
  annotation?: string;
}

/** How to make a stand-in remote. */
export interface ReleaseRemoteSpec {
  /** Folder the bare repository is made in; the repository is `<root>/<name>.git`. */
  root: string;
  name: string;
  /** First line of README.md. */
  title: string;
  initialDate: string;
  /** Releases, oldest first. */
  releases: ReleaseSpec[];
  /** Commits between the previous release and the next one (not before the first). */
  between(w: HistoryWork, previousTag: string, nextDate: string): void;
  /** Commits after the last release (`lastTag` undefined when there is none). */
  after(w: HistoryWork, lastTag: string | undefined): void;
}

/** A stand-in remote: its file:// URL, its path and each tag's (peeled) commit. */
export interface ReleaseRemote {
  url: string;
  bare: string;
  commits: Record<string, string>;
}

/**
 * Builds the bare repository: an initial commit (README.md, CHANGELOG.md),
 * then per release the `between` commits, the release commit (its tree plus
 * README.md, CHANGELOG.md and docs/) and its tag, then the `after` commits.
 * Throws if the repository already exists.
 */
export function makeReleaseRemote(spec: ReleaseRemoteSpec): ReleaseRemote {
  fs.mkdirSync(spec.root, { recursive: true });
  const bare = path.resolve(spec.root, `${spec.name}.git`);
  if (fs.existsSync(bare)) throw new Error(`${bare} already exists`);
  const dir = fs.mkdtempSync(path.join(path.resolve(spec.root), `.${spec.name}-work-`));
  const keep = ['README.md', 'CHANGELOG.md', 'docs'];
  const w: HistoryWork = {
    dir,
    commitAll(message, date) {
      git(dir, ['add', '--all', '--', '.'], date);
      git(dir, ['commit', '-q', '--no-verify', '-m', message], date);
    },
    housekeeping(n, label, date) {
      fs.appendFileSync(path.join(dir, 'CHANGELOG.md'), `\n- ${label}: housekeeping change ${n}\n`);
      fs.mkdirSync(path.join(dir, 'docs'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'docs', `note-${label}-${n}.md`), `Note ${n} written after ${label}.\n`);
      w.commitAll(`docs: housekeeping after ${label} (${n})`, date);
    },
  };
  try {
    git(dir, ['init', '-q', '-b', 'master', '.'], spec.initialDate);
    fs.writeFileSync(path.join(dir, 'README.md'), `${spec.title}\n\nA tiny stand-in made by kpatch tests.\n`);
    fs.writeFileSync(path.join(dir, 'CHANGELOG.md'), '# Changelog\n');
    w.commitAll('Initial commit', spec.initialDate);
    const commits: Record<string, string> = {};
    let previous: string | undefined;
    for (const r of spec.releases) {
      if (previous) spec.between(w, previous, r.date);
      for (const name of fs.readdirSync(dir)) {
        if (name !== '.git' && !keep.includes(name)) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
      }
      copyFiles(r.files, dir);
      fs.appendFileSync(path.join(dir, 'CHANGELOG.md'), `\n## ${r.tag}\n\n- Release ${r.tag}.\n`);
      w.commitAll(r.message, r.date);
      git(dir, r.annotation === undefined ? ['tag', r.tag] : ['tag', '-a', r.tag, '-m', r.annotation], r.date);
      commits[r.tag] = git(dir, ['rev-parse', `${r.tag}^{commit}`], r.date);
      previous = r.tag;
    }
    spec.after(w, previous);
    git(spec.root, ['init', '-q', '--bare', '-b', 'master', bare], spec.initialDate);
    git(dir, ['push', '-q', bare, 'refs/heads/master:refs/heads/master', 'refs/tags/*:refs/tags/*'], spec.initialDate);
    return { url: pathToFileURL(bare).href, bare, commits };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
