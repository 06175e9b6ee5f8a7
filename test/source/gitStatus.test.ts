/**
 * The one `git status --porcelain=v1 -z` reader (src/source/gitStatus.ts),
 * on the output of real git: a rename's second field (its old path) is not
 * taken for a changed file, and names with spaces stay whole.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { statusPaths } from '../../src/source/gitStatus.js';
import { git, tmpDir } from '../helpers/tagCache.js';

describe('statusPaths', () => {
  it('lists modified, renamed (new name only), added and untracked files as git reports them', () => {
    const repo = tmpDir('kpatch-status-');
    git(repo, ['init', '-q']);
    for (const f of ['kept.go', 'old name.go', 'edited.go']) writeFileSync(path.join(repo, f), `package x // ${f}\n`);
    git(repo, ['add', '.']);
    git(repo, ['commit', '-q', '-m', 'base']);
    git(repo, ['mv', 'old name.go', 'new name.go']);
    writeFileSync(path.join(repo, 'edited.go'), 'package x // changed\n');
    writeFileSync(path.join(repo, 'staged.go'), 'package x\n');
    git(repo, ['add', 'staged.go']);
    writeFileSync(path.join(repo, 'untracked.go'), 'package x\n');
    const out = git(repo, ['status', '--porcelain=v1', '-z', '--untracked-files=all']);
    expect(out).toContain('old name.go'); // git does print the old name: the parser must skip it
    expect(statusPaths(out).sort()).toEqual(['edited.go', 'new name.go', 'staged.go', 'untracked.go']);
    expect(statusPaths('')).toEqual([]);
  });
});
