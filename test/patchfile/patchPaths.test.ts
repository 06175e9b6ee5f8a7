/**
 * The one reader of a patch's `diff --git a/X b/X` headers
 * (src/patchfile/patchPaths.ts), on a patch kpatch's own diff writer made
 * and on one as git writes it.
 */
import { describe, expect, it } from 'vitest';
import { renderDiff } from '../../src/engine/diff.js';
import { patchPaths } from '../../src/patchfile/patchPaths.js';

describe('patchPaths', () => {
  it("names each file of kpatch's own diff, in the diff's order, and nothing from the hunks", () => {
    const text = renderDiff([
      { path: 'vendor/a/fs.go', before: 'package a\n', after: 'package a\n\n// diff --git a/x b/y\n' },
      { path: 'b/apply.go', before: 'package b\n', after: 'package b // fixed\n' },
    ]);
    expect(patchPaths(text)).toEqual(['b/apply.go', 'vendor/a/fs.go']); // renderDiff sorts by path
  });

  it('takes the b/ side of a git-style header, and none from text that is not a diff', () => {
    expect(patchPaths('Subject: x\n---\ndiff --git a/old.go b/new.go\nsimilarity index 90%\n')).toEqual(['new.go']);
    expect(patchPaths('not a patch\n diff --git a/x b/x\n')).toEqual([]);
  });
});
