/**
 * Which fix a build applies, decided from the tree itself: users get this
 * wrong by hand (a `nokmem` tag on 1.12 silently does nothing, `BUILDTAGS`
 * is ignored by Kubernetes), so `--mode nokmem` is refused where the vendored
 * runc has no nokmem variant, and `--mode auto` picks the tag only where it
 * works. A tree with several copies of the code (nested vendor folders) gets
 * the tag only when every copy that needs the fix has the tag's variant.
 */
import path from 'node:path';
import { fail } from '../errors.js';
import type { BuildTag, Recipe, ScanReport } from '../engine/recipe.js';
import type { GoFile } from '../engine/sourceFile.js';
import type { Fix } from '../rewrite/fix.js';

/**
 * What a build does to the tree: an edit in one of the recipe's modes, the
 * build tag (no source change), or nothing (`--build-anyway` on a tree that
 * needs no fix: built as it is). The chosen form of a `Fix`, whose `auto`
 * has been decided.
 */
export type AppliedFix = { kind: 'edit'; mode: string } | { kind: 'tag'; tag: BuildTag } | { kind: 'none' };

/** The mode word of an applied fix, for the manifest, messages and the patch's name (`none` for a tree built as it is). */
export function appliedMode(fix: AppliedFix): string {
  return fix.kind === 'edit' ? fix.mode : fix.kind === 'tag' ? fix.tag.name : 'none';
}

/** Whether `applied` is the fix `requested` names (`auto` names none in particular). */
export function sameFix(requested: Fix, applied: AppliedFix): boolean {
  if (requested.kind === 'edit') return applied.kind === 'edit' && applied.mode === requested.mode;
  return requested.kind === 'tag' && applied.kind === 'tag' && applied.tag.name === requested.tag;
}

/** The fix chosen for one build. */
export interface ChosenMode {
  /** What `--mode` asked for (`auto`, the tag, an edit). */
  requested: Fix;
  /** What the build does. */
  fix: AppliedFix;
  /** One sentence: why this fix, naming the evidence. */
  reason: string;
  /** Target files the build tag selects in this tree (empty when it has none). */
  tagFiles: string[];
  /**
   * The mode the default version string names (`<tag>+kpatch.<mode>`);
   * undefined for a tree built as it is without any kpatch fix in it, which
   * then reports the plain release version.
   */
  versionMode?: string;
}

/**
 * `--build-anyway` on a tree that needs nothing: built as it is. An already
 * patched tree still says so in its version (the mode of its kpatch marker),
 * so `kpatch doctor` recognises the binary; an unaffected tree reports the
 * release's own version, because its source is the release's.
 */
export function unchangedMode(report: ScanReport, requested: Fix): ChosenMode {
  const marked = report.verdict === 'patched' ? report.markers[0]?.mode : undefined;
  return {
    requested,
    fix: { kind: 'none' },
    tagFiles: [],
    versionMode: marked,
    reason: `--build-anyway: the tree is ${report.verdict} (${report.files.length} file(s) read, ${report.sites.length} call site(s), none unguarded), so it is built as it is, with no patch and no build tag`,
  };
}

/** How the reasons name the tree's runc: vendored into Kubernetes, or runc's own tree. */
export interface ModeWords {
  /** `the vendored runc` / `this runc tree`. */
  subject: string;
  /** `no vendored runc file` / `no file of this runc tree`. */
  noFile: string;
  /** `this release's vendored runc` / `this runc release`. */
  owner: string;
  /** Which releases lack the tag's variant, in words. */
  era: string;
}

/** The words for a Kubernetes tree. */
export const VENDORED_RUNC_WORDS: ModeWords = {
  subject: 'the vendored runc',
  noFile: 'no vendored runc file',
  owner: "this release's vendored runc",
  era: 'Kubernetes 1.8 to 1.13 vendor a runc from before rc6',
};

/** The words for runc's own tree. */
export const RUNC_TREE_WORDS: ModeWords = {
  subject: 'this runc tree',
  noFile: 'no file of this runc tree',
  owner: 'this runc release',
  era: 'runc releases before v1.0.0-rc6 have none',
};

/**
 * Chooses the mode for an affected tree, or throws `nokmem_unsupported`
 * (exit 2, before anything is built) when the tag was asked for and the tree
 * cannot honour it.
 */
export function chooseMode(
  recipe: Recipe,
  files: GoFile[],
  report: ScanReport,
  requested: Fix,
  where: string,
  words: ModeWords = VENDORED_RUNC_WORDS,
): ChosenMode {
  const tag = recipe.buildTag;
  const tagFiles = tag ? tag.files(files) : [];
  // The tag fixes a copy of the target code only where that copy has its variant.
  const uncovered = tag && tagFiles.length ? tag.uncovered(files, report) : [];
  const edit = { kind: 'edit', mode: recipe.defaultMode } as const;
  if (requested.kind === 'auto') {
    if (tag && tagFiles.length && uncovered.length) {
      return {
        requested,
        fix: edit,
        tagFiles,
        versionMode: recipe.defaultMode,
        reason: `${words.subject} has a ${tag.name} build constraint (${tagFiles.join(', ')}), but not in every copy that needs the fix (${uncovered.join('; ')}), so the source is patched`,
      };
    }
    if (tag && tagFiles.length) {
      return {
        requested,
        fix: { kind: 'tag', tag },
        tagFiles,
        versionMode: tag.name,
        reason: `${words.subject} has a ${tag.name} build constraint (${tagFiles.join(', ')}), so no source change is needed`,
      };
    }
    return {
      requested,
      fix: edit,
      tagFiles,
      versionMode: recipe.defaultMode,
      reason: `${words.noFile} has a ${tag?.name ?? 'build tag'} build constraint (${report.files.length} file(s) checked), so the source is patched`,
    };
  }
  if (requested.kind === 'tag') {
    if (!tag || requested.tag !== tag.name) fail('internal', { detail: `the recipe has no build tag ${requested.tag}` });
    if (!tagFiles.length) {
      fail('nokmem_unsupported', {
        where: `--mode ${tag.name} on ${where}`,
        detail: [
          `${words.owner} has no file with a \`${tag.name}\` build constraint, so -tags=${tag.name} would change nothing`,
          `(${words.era}). Files checked, by folder:`,
          ...filesByFolder(report.files),
        ].join('\n'),
        hint: `this release needs a source patch: use --mode guard (the default) or --mode remove, or --mode auto to let kpatch choose`,
      });
    }
    if (uncovered.length) {
      fail('nokmem_unsupported', {
        where: `--mode ${tag.name} on ${where}`,
        detail: [
          `the tree holds more than one copy of the code, and -tags=${tag.name} would leave one unfixed:`,
          ...uncovered.map((u) => `  ${u}`),
          `copies with the ${tag.name} constraint: ${tagFiles.join(', ')}`,
        ].join('\n'),
        hint: `this tree needs a source patch: use --mode guard (the default) or --mode remove, or --mode auto to let kpatch choose`,
      });
    }
    return {
      requested,
      fix: { kind: 'tag', tag },
      tagFiles,
      versionMode: tag.name,
      reason: `as --mode ${tag.name} asks; ${words.subject} has the ${tag.name} build constraint (${tagFiles.join(', ')})`,
    };
  }
  return { requested, fix: requested, tagFiles, versionMode: requested.mode, reason: `a source patch, as --mode ${requested.mode} asks` };
}

/** `folder/: a.go, b.go` lines, so a long list of vendored files stays readable. */
export function filesByFolder(files: string[]): string[] {
  const byDir = new Map<string, string[]>();
  for (const f of files) {
    const dir = path.posix.dirname(f);
    byDir.set(dir, [...(byDir.get(dir) ?? []), path.posix.basename(f)]);
  }
  if (!byDir.size) return ['  (no vendored runc cgroup files found)'];
  return [...byDir].map(([dir, names]) => `  ${dir}/: ${names.join(', ')}`);
}
