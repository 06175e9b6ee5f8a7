/** Release tag grammar, normalisation, ordering and "closest tag" suggestions. */
import { describe, expect, it } from 'vitest';
import { closestReleaseTags, compareReleaseTags, parseReleaseTag } from '../../src/source/releaseTag.js';

describe('parseReleaseTag', () => {
  it.each([
    ['v1.12.4', 'v1.12.4'],
    ['1.12.4', 'v1.12.4'],
    ['v1.13.0-rc.1', 'v1.13.0-rc.1'],
    ['1.13.0-alpha.0', 'v1.13.0-alpha.0'],
    ['v1.21.0-beta.2', 'v1.21.0-beta.2'],
    ['v0.0.0', 'v0.0.0'],
  ])('accepts %s as %s', (input, name) => {
    expect(parseReleaseTag(input)?.name).toBe(name);
  });

  it.each([
    '',
    'v',
    'v1',
    'v1.12',
    '1.12.4.1',
    'v1.12.4-rc1',
    'v1.12.4-rc',
    'v1.12.4-rc.1.2',
    'v1.12.4-gamma.1',
    'V1.12.4',
    'vv1.12.4',
    'v01.12.4',
    'v1.012.4',
    ' v1.12.4',
    'v1.12.4 ',
    'v1.12.4\n',
    'v1.12.4;id',
    '$(id)',
    '`id`',
    'HEAD',
    'HEAD~1',
    'main',
    '-v1.12.4',
    '--upload-pack=touch x',
    'refs/tags/v1.12.4',
    '../v1.12.4',
    'v1.12.4/..',
    'v1.12.4^{tree}',
    'v1.12.4:README.md',
    'v1.12.4~1',
    'v1234567.1.1',
  ])('rejects %j', (input) => {
    expect(parseReleaseTag(input)).toBeUndefined();
  });
});

describe('compareReleaseTags', () => {
  it('orders pre-releases before the release and numbers numerically', () => {
    const names = ['v1.13.0', 'v1.12.10', 'v1.13.0-rc.1', 'v1.12.9', 'v1.13.0-alpha.3', 'v1.13.0-beta.0', 'v1.13.0-rc.10', 'v1.13.0-rc.2'];
    const sorted = names
      .map((n) => parseReleaseTag(n)!)
      .sort(compareReleaseTags)
      .map((t) => t.name);
    expect(sorted).toEqual([
      'v1.12.9',
      'v1.12.10',
      'v1.13.0-alpha.3',
      'v1.13.0-beta.0',
      'v1.13.0-rc.1',
      'v1.13.0-rc.2',
      'v1.13.0-rc.10',
      'v1.13.0',
    ]);
  });
});

describe('closestReleaseTags', () => {
  const available = [
    'v1.11.9',
    'v1.12.0',
    'v1.12.3',
    'v1.12.5',
    'v1.12.10',
    'v1.13.0-rc.1',
    'v1.13.0',
    'v1.13.4',
    'v1.14.0',
    'v2.0.0',
    'nightly',
    '1.12.4-fake',
  ];
  it('lists the same minor first, nearest patch first', () => {
    expect(closestReleaseTags(parseReleaseTag('v1.12.4')!, available, 4)).toEqual(['v1.12.5', 'v1.12.3', 'v1.12.0', 'v1.12.10']);
  });
  it('falls back to the nearest minors on both sides', () => {
    expect(closestReleaseTags(parseReleaseTag('v1.15.2')!, available, 2)).toEqual(['v1.14.0', 'v1.13.4']);
    expect(closestReleaseTags(parseReleaseTag('v1.10.0')!, available, 2)).toEqual(['v1.11.9', 'v1.12.0']);
  });
  it('ignores names that are not release tags and returns nothing when there are none', () => {
    expect(closestReleaseTags(parseReleaseTag('v1.12.4')!, ['nightly', 'release-1.12'])).toEqual([]);
  });
});
