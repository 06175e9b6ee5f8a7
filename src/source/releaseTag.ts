/**
 * Kubernetes release tags: validation, normalisation and "closest tag" ranking.
 *
 * The tag is user input that ends up in git's argument list and in file names,
 * so it is checked against a strict grammar before anything else happens: a
 * value that passes cannot contain a space, a shell character, a path
 * separator, a revision operator (`~`, `^`, `:`) or a leading `-` that git
 * would read as an option (`--upload-pack=...`).
 */

import { fail } from '../errors.js';

/** A parsed release tag, e.g. `v1.13.0-rc.1`. */
export interface ReleaseTag {
  /** Normalised name, always with the leading `v`. */
  name: string;
  major: number;
  minor: number;
  patch: number;
  /** Pre-release kind, or undefined for a final release. */
  pre?: 'alpha' | 'beta' | 'rc';
  /** Pre-release number (`rc.1` -> 1). */
  preNumber?: number;
}

// Numbers without leading zeros (Kubernetes never uses them) and at most six
// digits, so a hostile value cannot be huge.
const NUM = '(0|[1-9][0-9]{0,5})';
const TAG_RE = new RegExp(`^v?${NUM}\\.${NUM}\\.${NUM}(?:-(alpha|beta|rc)\\.${NUM})?$`);

/**
 * Which project's tag grammar applies: Kubernetes (`v1.13.0-rc.1`) or runc,
 * whose release candidates have no dot (`v1.0.0-rc5`, `v1.0.0-rc92`) until
 * 1.1 (`v1.1.0-rc.1`).
 */
export type TagKind = 'kubernetes' | 'runc';

// runc: an optional -rcN or -rc.N, kept as spelled, since that is the ref name in runc's repository.
const RUNC_TAG_RE = new RegExp(`^v?${NUM}\\.${NUM}\\.${NUM}(?:-rc(\\.?)${NUM})?$`);

/**
 * Parses a runc release tag (`v1.0.0-rc5`, `v1.1.0-rc.1`, `1.1.4`); the name
 * keeps the pre-release spelling and gains a leading `v`.
 */
export function parseRuncTag(input: string): ReleaseTag | undefined {
  const m = RUNC_TAG_RE.exec(input);
  if (!m) return undefined;
  const [, major, minor, patch, dot, preNumber] = m;
  const tag: ReleaseTag = { name: '', major: Number(major), minor: Number(minor), patch: Number(patch) };
  if (preNumber !== undefined) {
    tag.pre = 'rc';
    tag.preNumber = Number(preNumber);
  }
  tag.name = `v${tag.major}.${tag.minor}.${tag.patch}${tag.pre ? `-rc${dot}${tag.preNumber}` : ''}`;
  return tag;
}

/** The parser of one tag grammar. */
export function tagParser(kind: TagKind): (input: string) => ReleaseTag | undefined {
  return kind === 'runc' ? parseRuncTag : parseReleaseTag;
}

/** Parses a release tag; returns undefined when `input` is not one. Accepts `1.12.4` as `v1.12.4`. */
export function parseReleaseTag(input: string): ReleaseTag | undefined {
  const m = TAG_RE.exec(input);
  if (!m) return undefined;
  const [, major, minor, patch, pre, preNumber] = m;
  const tag: ReleaseTag = {
    name: '',
    major: Number(major),
    minor: Number(minor),
    patch: Number(patch),
  };
  if (pre !== undefined) {
    tag.pre = pre as ReleaseTag['pre'];
    tag.preNumber = Number(preNumber);
  }
  tag.name = `v${tag.major}.${tag.minor}.${tag.patch}${tag.pre ? `-${tag.pre}.${tag.preNumber}` : ''}`;
  return tag;
}

const PRE_RANK = { alpha: 0, beta: 1, rc: 2 } as const;

/** Orders tags like semver: 1.2.3-alpha.0 < 1.2.3-rc.1 < 1.2.3 < 1.2.4. */
export function compareReleaseTags(a: ReleaseTag, b: ReleaseTag): number {
  return (
    a.major - b.major ||
    a.minor - b.minor ||
    a.patch - b.patch ||
    (a.pre ? PRE_RANK[a.pre] : 3) - (b.pre ? PRE_RANK[b.pre] : 3) ||
    (a.preNumber ?? 0) - (b.preNumber ?? 0)
  );
}

/**
 * Picks the existing tags a user most likely meant: same major.minor first
 * (nearest patch first, final releases before pre-releases), then the nearest
 * minor versions on either side. Names that are not release tags are ignored.
 */
export function closestReleaseTags(wanted: ReleaseTag, available: Iterable<string>, limit = 5, kind: TagKind = 'kubernetes'): string[] {
  const seen = new Set<string>();
  const tags: ReleaseTag[] = [];
  const parse = tagParser(kind);
  for (const name of available) {
    const t = parse(name);
    // Only names exactly as they exist remotely: `1.2.3` without the v is not
    // a tag kpatch could fetch under that spelling.
    if (!t || t.name !== name || seen.has(name)) continue;
    seen.add(name);
    tags.push(t);
  }
  const distance = (t: ReleaseTag): number[] => [
    t.major === wanted.major ? 0 : 1,
    Math.abs(t.major - wanted.major),
    Math.abs(t.minor - wanted.minor),
    Math.abs(t.patch - wanted.patch),
    t.pre ? 1 : 0,
    // runc lives on release candidates (rc5 .. rc95): rc6 is nearer rc7 than rc92 is.
    Math.abs((t.preNumber ?? 0) - (wanted.preNumber ?? 0)),
  ];
  const byDistance = (a: ReleaseTag, b: ReleaseTag): number => {
    const da = distance(a);
    const db = distance(b);
    for (let i = 0; i < da.length; i++) if (da[i] !== db[i]) return da[i] - db[i];
    // Equal distance: the newer one first (1.12.5 before 1.12.3 for 1.12.4).
    return compareReleaseTags(b, a);
  };
  return tags
    .sort(byDistance)
    .slice(0, limit)
    .map((t) => t.name);
}

/** Default for --timeout: seconds a remote may stay silent before git is stopped. */
export const DEFAULT_TIMEOUT_SECONDS = 300;

/**
 * Validates `input` as a release tag of `kind` and returns it normalised, or
 * throws the usage error `tag_invalid`.
 */
export function validateTag(input: unknown, kind: TagKind = 'kubernetes'): ReleaseTag {
  const parsed = typeof input === 'string' ? tagParser(kind)(input) : undefined;
  if (!parsed) {
    fail('tag_invalid', {
      where: JSON.stringify(String(input)),
      detail:
        kind === 'runc'
          ? 'a runc tag is v?MAJOR.MINOR.PATCH with an optional -rcN or -rc.N (v1.0.0-rc5, v1.0.0-rc92, v1.1.4)'
          : 'a tag is v?MAJOR.MINOR.PATCH with an optional -alpha.N, -beta.N or -rc.N',
      ...(kind === 'runc' ? { hint: 'give a runc tag like v1.0.0-rc5, 1.0.0-rc92 or v1.1.4' } : {}),
    });
  }
  return parsed;
}
