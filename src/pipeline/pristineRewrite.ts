/**
 * The rewrite of a release as tagged, whatever its checkout holds now: what
 * `diff --write` files and `diff --check` compares. A reviewed patch is filed
 * under a tag and must apply to that tag, so it is made from the target
 * files' content at the tag's commit (`git cat-file`), never from the work
 * tree: local edits to a target would otherwise end up in the "v1.12.4" patch
 * (and it would not apply to v1.12.4), and a checkout already patched by
 * `kpatch patch` would look as if it needed no patch at all.
 *
 * Which files are read is still decided by the work tree's walk (so the
 * engine's rules about folders and links apply unchanged), plus any target
 * the tag holds that the checkout lost. A file inside a git submodule is read
 * at the commit the tag records for that submodule.
 */
import { realpath, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ScanReport } from '../engine/recipe.js';
import { rewrite, type PlannedChange } from '../engine/rewrite.js';
import { describeProblems, syntaxProblems } from '../engine/parse.js';
import { makeGoFile, type GoFile } from '../engine/sourceFile.js';
import { findFiles } from '../engine/walk.js';
import { fail, KpatchError } from '../errors.js';
import type { Io } from '../io.js';
import { DEFAULT_RECIPE } from '../recipes.js';
import { GitFailure, runGit } from '../source/runGit.js';

/** The tag's rewrite, and how the checkout differs from the tag. */
export interface PristineRewrite {
  report: ScanReport;
  changes: PlannedChange[];
  /** Target files (relative to the root) whose checkout content is not the tag's: local edits, or a patch applied. */
  differs: string[];
  /** Target files of the checkout that the tag does not hold (new, untracked): left out. */
  notInTag: string[];
}

/** Runs git in `cwd`; resolves stdout, or undefined when git exits non-zero. */
async function git(cwd: string, args: string[], io: Io): Promise<string | undefined> {
  try {
    return await runGit(args, { cwd, io });
  } catch (e) {
    if (e instanceof GitFailure && e.kind === 'abort') throw new KpatchError('interrupted');
    if (e instanceof GitFailure && e.kind === 'exit') return undefined;
    if (e instanceof GitFailure && e.kind === 'missing')
      fail('tool_missing', { where: 'git', detail: 'kpatch needs git on PATH to read the release from the checkout' });
    throw e;
  }
}

/**
 * Reads `names` (`<commit>:<path>`) at the tag; a name the commit does not
 * hold (or that is not a file) maps to undefined. One `git cat-file blob` per
 * name: the target files are a handful, and the one git runner (simple-git)
 * does not feed stdin for `cat-file --batch`.
 */
async function catFiles(cwd: string, names: string[], io: Io): Promise<(string | undefined)[]> {
  const texts: (string | undefined)[] = [];
  for (const name of names) texts.push(await git(cwd, ['cat-file', 'blob', name], io));
  return texts;
}

/**
 * Loads the recipe's targets as the commit `sha` of the repository at `root`
 * holds them, scans them and rewrites them for `mode`. Throws `parse_error`
 * (naming `tag:path`) when a file at the tag does not parse.
 */
export async function pristineRewrite(root: string, sha: string, tag: string, mode: string, io: Io): Promise<PristineRewrite> {
  const topOut = await git(root, ['rev-parse', '--show-toplevel'], io);
  if (!topOut) fail('git_failed', { where: root, detail: 'not a git work tree: the release content cannot be read from it' });
  const realTop = await realpath(topOut.trim());
  const realRoot = await realpath(root);
  const posix = (p: string) => p.split(path.sep).join('/');
  const prefix = posix(path.relative(realTop, realRoot));

  // Each candidate: where it is in the tree (rel), its real file, and the repository that owns it.
  const candidates = new Map<string, { abs: string; real: string }>();
  let walked;
  try {
    walked = findFiles(root, DEFAULT_RECIPE.isTarget, DEFAULT_RECIPE.isTargetFolder);
  } catch (e) {
    fail('src_unreadable', { where: root, detail: (e as Error).message });
  }
  for (const f of walked) {
    const real = await realpath(f.abs).catch(() => '');
    if (!real || path.relative(realRoot, real).startsWith('..'))
      fail('unsafe_path', { where: f.rel, detail: `it points to ${real || 'a missing file'}, outside the tree` });
    candidates.set(f.rel, { abs: f.abs, real });
  }
  // Targets the tag holds that the checkout lost (deleted, renamed away).
  const listed = (await git(realTop, ['ls-tree', '-r', '-z', '--full-tree', sha], io)) ?? '';
  for (const entry of listed.split('\0')) {
    const m = /^(\d+) blob [0-9a-f]+\t(.+)$/s.exec(entry);
    if (!m || m[1] === '120000') continue;
    const inTop = m[2];
    if (prefix && !inTop.startsWith(`${prefix}/`)) continue;
    const rel = prefix ? inTop.slice(prefix.length + 1) : inTop;
    const dir = path.posix.dirname(rel);
    if (candidates.has(rel) || !DEFAULT_RECIPE.isTarget(rel) || !DEFAULT_RECIPE.isTargetFolder(dir === '.' ? '' : dir)) continue;
    candidates.set(rel, { abs: path.join(root, rel), real: path.join(realTop, inTop) });
  }

  // Which commit each owning repository is at in the tag: the tag itself, or what it records for a submodule.
  const commitOf = new Map<string, string | undefined>([[realTop, sha]]);
  const topOfDir = new Map<string, string>();
  const ownerCommit = async (dir: string): Promise<{ top: string; commit?: string }> => {
    let top = topOfDir.get(dir);
    if (top === undefined) {
      const out = await git(dir, ['rev-parse', '--show-toplevel'], io);
      top = out ? await realpath(out.trim()) : realTop;
      topOfDir.set(dir, top);
    }
    if (!commitOf.has(top)) {
      const parent = await ownerCommit(path.dirname(top));
      const at = parent.commit
        ? await git(parent.top, ['rev-parse', '--verify', '-q', `${parent.commit}:${posix(path.relative(parent.top, top))}`], io)
        : undefined;
      commitOf.set(top, at?.trim() || undefined);
    }
    return { top, commit: commitOf.get(top) };
  };
  const rels = [...candidates.keys()].sort();
  const byOwner = new Map<string, { rel: string; name: string }[]>();
  const notInTag: string[] = [];
  for (const rel of rels) {
    const c = candidates.get(rel)!;
    const dir = await realpath(path.dirname(c.real)).catch(() => realTop);
    const owner = dir.startsWith(realTop) ? await ownerCommit(dir) : { top: realTop, commit: sha };
    if (!owner.commit || /[\n\r]/.test(rel)) {
      notInTag.push(rel);
      continue;
    }
    byOwner.set(owner.top, [
      ...(byOwner.get(owner.top) ?? []),
      { rel, name: `${owner.commit}:${posix(path.relative(owner.top, c.real))}` },
    ]);
  }
  const texts = new Map<string, string>();
  for (const [top, list] of byOwner) {
    const got = await catFiles(
      top,
      list.map((l) => l.name),
      io,
    );
    list.forEach((l, i) => (got[i] === undefined ? notInTag.push(l.rel) : texts.set(l.rel, got[i]!)));
  }

  const files: GoFile[] = [];
  const differs: string[] = [];
  for (const rel of rels) {
    const text = texts.get(rel);
    if (text === undefined) continue;
    const { abs } = candidates.get(rel)!;
    const file = makeGoFile(rel, abs, text);
    const problems = syntaxProblems(file.tree);
    if (problems.length) fail('parse_error', { where: `${tag}:${rel}`, detail: describeProblems(rel, problems) });
    files.push(file);
    // Only a regular file is read back (a FIFO or device would block or never end).
    const isFile = await stat(abs).then(
      (s) => s.isFile(),
      () => false,
    );
    const now = isFile ? await readFile(abs, 'utf8').catch(() => undefined) : undefined;
    if (now !== text) differs.push(rel);
  }
  const report = DEFAULT_RECIPE.scan(files);
  const changes = report.verdict === 'affected' ? rewrite(files, report, DEFAULT_RECIPE, mode) : [];
  return { report, changes, differs, notInTag: notInTag.sort() };
}
