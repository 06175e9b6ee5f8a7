/**
 * buildConstraints.ts: which files a build tag selects, read from the
 * `//go:build` and `// +build` lines before the package clause.
 */
import { describe, expect, it } from 'vitest';
import { buildConstraintLines, selectsTag } from '../../src/engine/buildConstraints.js';

describe('buildConstraintLines', () => {
  it('returns both constraint styles before the package clause, and nothing after it', () => {
    const text = '// Copyright\n\n//go:build linux && nowidgets\n// +build linux,nowidgets\n\npackage widgets\n\n// +build ignore\n';
    expect(buildConstraintLines(text)).toEqual(['//go:build linux && nowidgets', '// +build linux,nowidgets']);
  });

  it('reads CRLF files and `//+build` without a space; a plain comment is no constraint', () => {
    expect(buildConstraintLines('//+build nowidgets\r\n// build nowidgets\r\n\r\npackage widgets\r\n')).toEqual(['//+build nowidgets']);
  });
});

describe('selectsTag', () => {
  const cases: [string, string, boolean][] = [
    ['//go:build linux && nowidgets', 'go:build with the tag', true],
    ['// +build linux,nowidgets', '+build with the tag', true],
    ['//go:build linux && !nowidgets', 'the tag negated', false],
    ['// +build linux,!nowidgets', '+build, negated', false],
    ['//go:build (linux || darwin) && nowidgets', 'inside a larger expression', true],
    ['//go:build nowidgets2', 'another tag that starts with it', false],
    ['//go:build x.nowidgets', 'a dotted name that ends with it', false],
    ['//go:build linux', 'no such tag', false],
  ];
  it.each(cases)('%s (%s) -> %s', (line, _what, want) => {
    expect(selectsTag(`${line}\n\npackage widgets\n`, 'nowidgets')).toBe(want);
  });

  it('a tag mentioned only after the package clause selects nothing', () => {
    expect(selectsTag('package widgets\n\n//go:build nowidgets\n', 'nowidgets')).toBe(false);
  });
});
