/**
 * The pristine release a folder was built from, as verify sees it: the tag
 * the manifest names, fetched through the tag cache (no network when it is
 * cached; `--repo` overrides the manifest's repository), and the recipe's
 * reading of it. What a folder must prove comes from here and from the
 * mode, never from the manifest's description of its own proofs.
 */
import type { Manifest } from '../manifest/manifest.js';
import type { Recipe, ScanReport } from '../engine/recipe.js';
import type { GoFile } from '../engine/sourceFile.js';
import { loadTargets } from '../engine/loadTargets.js';
import { KpatchError } from '../errors.js';
import type { Io } from '../io.js';
import { acquireTree, type CachedTree } from '../source/acquireTree.js';
import { DEFAULT_REPO, DEFAULT_RUNC_REPO } from '../source/cacheLayout.js';

/** Where to fetch the pristine tag from. */
export interface PristineSource {
  /** --repo, overriding the manifest's repository. */
  repo?: string;
  cacheDir?: string;
  timeoutSeconds?: number;
}

/** The release as fetched, and the recipe's reading of its target files. */
export interface Pristine {
  tree: CachedTree;
  /** The repository it came from (--repo, or the manifest's). */
  repo: string;
  /**
   * Set when the repository is one only the manifest names (no --repo, and
   * not the target's upstream): then the folder itself says where the tag
   * that judges it comes from, which verify says as a skip.
   */
  repoFromManifest?: boolean;
  files: GoFile[];
  report: ScanReport;
}

/** A fact verify needs that the manifest does not give, or a fetch that failed: one sentence, about manifest.json. */
export type PristineProblem = { problem: string };

/** The first line of an error, for a finding. */
export const firstLine = (e: unknown) => (e instanceof Error ? e.message.split('\n')[0] : String(e));

/**
 * Fetches the tag the manifest names and reads it with `recipe`. Every
 * field this needs must be there: a manifest without a tag, a commit or a
 * repository (and no --repo) is a problem, never a reason to prove less.
 */
export async function openPristine(m: Manifest, recipe: Recipe, src: PristineSource, io: Io): Promise<Pristine | PristineProblem> {
  const tag = m.source?.tag;
  const repo = src.repo ?? m.source?.repo;
  const needs = 'verify needs the pristine tag to know what the binaries must show';
  if (!tag) return { problem: `names no release tag (source.tag): ${needs}` };
  if (!m.source.commit) return { problem: `records no commit for ${tag} (source.commit): ${needs} and that the tag still names it` };
  if (!repo) return { problem: `names no repository for ${tag} (source.repo): pass --repo URL, the repository the tag is in` };
  let tree: CachedTree;
  try {
    // A runc build's tag follows runc's grammar (v1.0.0-rc5); manifests without target are kubelet builds.
    tree = await acquireTree(
      { tag, repo, cacheDir: src.cacheDir, timeoutSeconds: src.timeoutSeconds, tagKind: m.target === 'runc' ? 'runc' : 'kubernetes' },
      io,
    );
  } catch (e) {
    if (e instanceof KpatchError && e.id === 'interrupted') throw e;
    return { problem: `cannot fetch ${tag} from ${repo}: ${firstLine(e)}; ${needs}` };
  }
  try {
    const { files } = await loadTargets(tree.root, recipe);
    const upstream = m.target === 'runc' ? DEFAULT_RUNC_REPO : DEFAULT_REPO;
    return { tree, repo, files, report: recipe.scan(files), ...(!src.repo && repo !== upstream ? { repoFromManifest: true } : {}) };
  } catch (e) {
    await tree.release();
    if (!(e instanceof KpatchError) || e.id === 'interrupted') throw e;
    return { problem: `cannot read ${tag} from ${repo} with recipe ${recipe.id}: ${firstLine(e)}` };
  }
}

/** Where the recipe finds a tree needing its fix, for messages: `file:line status`, at most three. */
export function sitesNeedingFix(report: ScanReport, recipe: Recipe): string {
  const sites = report.sites.filter((s) => recipe.needsFix(s));
  const shown = sites.slice(0, 3).map((s) => `${s.file}:${s.line} ${s.status}`);
  return shown.join(', ') + (sites.length > 3 ? `, and ${sites.length - 3} more` : '');
}
