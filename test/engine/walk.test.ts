/**
 * walk.ts (findFiles) and loadTargets on real folders: what the walk skips
 * (.git, folders the recipe rules out, links back to an ancestor), what it
 * follows (folder links inside the tree, reported with their real path) and
 * what it refuses (a link out of the tree that holds target files).
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KpatchError } from '../../src/errors.js';
import { loadTargets } from '../../src/engine/loadTargets.js';
import { findFiles } from '../../src/engine/walk.js';
import { WIDGET_RECIPE } from '../helpers/madeUpRecipe.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'kpatch-engine-walk-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const GO = 'package widgets\n\nfunc f() { StartWidgetCounter(1) }\n';
let n = 0;
/** A fresh tree with `files` (relative path -> text). */
function tree(files: Record<string, string>): string {
  const root = path.join(tmp, `t${n++}`);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  }
  return root;
}
const isGo = (rel: string) => rel.endsWith('.go');
const rels = (root: string, folder?: (d: string) => boolean) => findFiles(root, isGo, folder).map((f) => f.rel);

describe('findFiles', () => {
  it('finds accepted files in every folder, vendor included, sorted by path; .git is skipped', () => {
    const root = tree({ 'z.go': GO, 'a/b.go': GO, 'vendor/x/widgets/c.go': GO, '.git/hooks/d.go': GO, 'a/readme.md': 'x' });
    expect(rels(root)).toEqual(['a/b.go', 'vendor/x/widgets/c.go', 'z.go']);
  });

  it('a folder the recipe rules out gives no files of its own, but its subfolders are still walked', () => {
    const root = tree({ 'top.go': GO, 'widgets/w.go': GO, 'widgets/deep/x.go': GO });
    expect(rels(root, (d) => d.startsWith('widgets'))).toEqual(['widgets/deep/x.go', 'widgets/w.go']);
    expect(rels(root, (d) => d === 'widgets/deep')).toEqual(['widgets/deep/x.go']);
  });

  it('follows a folder link inside the tree: the file is found where Go compiles it and carries its real path', () => {
    const root = tree({ 'real/widgets/w.go': GO });
    mkdirSync(path.join(root, 'vendor'), { recursive: true });
    symlinkSync('../real/widgets', path.join(root, 'vendor/widgets'));
    const found = findFiles(root, isGo);
    expect(found.map((f) => [f.rel, f.real])).toEqual([
      ['real/widgets/w.go', undefined],
      ['vendor/widgets/w.go', 'real/widgets/w.go'],
    ]);
  });

  it('does not follow a link back to an ancestor (no loop, each file once)', () => {
    const root = tree({ 'widgets/w.go': GO });
    mkdirSync(path.join(root, 'out/src'), { recursive: true });
    symlinkSync('../..', path.join(root, 'out/src/self'));
    expect(rels(root)).toEqual(['widgets/w.go']);
  });

  it('refuses a folder link that leaves the tree and holds files it reads (unsafe_path), ignores one that holds none', () => {
    const outside = tree({ 'widgets/w.go': GO, 'docs/readme.md': 'x' });
    const root = tree({ 'mine.go': GO });
    symlinkSync(path.join(outside, 'docs'), path.join(root, 'docs'));
    expect(rels(root)).toEqual(['mine.go']);
    symlinkSync(path.join(outside, 'widgets'), path.join(root, 'widgets'));
    let err: unknown;
    try {
      findFiles(root, isGo);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KpatchError);
    expect((err as KpatchError).id).toBe('unsafe_path');
    expect((err as KpatchError).render()).toContain('widgets');
  });
});

describe('loadTargets', () => {
  it("reads and parses only the recipe's targets, and keeps each file's line ending", async () => {
    const root = tree({ 'widgets/a.go': GO, 'widgets/b.go': GO.replace(/\n/g, '\r\n'), 'other/c.go': GO });
    const { files } = await loadTargets(root, WIDGET_RECIPE);
    expect(files.map((f) => [f.path, f.eol])).toEqual([
      ['widgets/a.go', '\n'],
      ['widgets/b.go', '\r\n'],
    ]);
  });

  it('a target that does not parse is refused with parse_error naming it', async () => {
    const root = tree({ 'widgets/a.go': 'package widgets\n\nfunc f( {\n' });
    await expect(loadTargets(root, WIDGET_RECIPE)).rejects.toMatchObject({ id: 'parse_error' });
  });

  it('a target file that links out of the tree is refused with unsafe_path', async () => {
    const outside = tree({ 'x.go': GO });
    const root = tree({ 'widgets/a.go': GO });
    symlinkSync(path.join(outside, 'x.go'), path.join(root, 'widgets/b.go'));
    await expect(loadTargets(root, WIDGET_RECIPE)).rejects.toMatchObject({ id: 'unsafe_path' });
  });
});
