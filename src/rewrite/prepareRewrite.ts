/**
 * The steps `diff`, `patch` and `build` share: load and scan the recipe's
 * targets, compute the rewrite for a mode, say why nothing changes, and
 * write a rewrite into a tree the one safe way.
 */
import { loadTargets, type LoadedTargets } from '../engine/loadTargets.js';
import type { ScanReport } from '../engine/recipe.js';
import { rewrite, type PlannedChange } from '../engine/rewrite.js';
import { DEFAULT_RECIPE } from '../recipes.js';
import { fail } from '../errors.js';
import { writeFilesAtomically } from '../engine/writeFiles.js';
import { refuseUnpatchableNames } from '../engine/diff.js';
import type { Io } from '../io.js';

/** A tree's scan and the changes a mode would make to it. */
export interface PreparedRewrite {
  targets: LoadedTargets;
  report: ScanReport;
  /** Empty when the tree is not affected. */
  changes: PlannedChange[];
}

/** Loads, scans and, when the tree is affected, rewrites in memory. */
export async function prepareRewrite(root: string, mode: string): Promise<PreparedRewrite> {
  const targets = await loadTargets(root, DEFAULT_RECIPE);
  const report = DEFAULT_RECIPE.scan(targets.files);
  const changes = report.verdict === 'affected' ? rewrite(targets.files, report, DEFAULT_RECIPE, mode) : [];
  return { targets, report, changes };
}

/**
 * One line that says why nothing changes, for a tree that is not affected.
 * Given the mode asked for, a tree patched in another mode says so (see
 * `otherModeMarkers`), rather than a bare "already patched".
 */
export function nothingToDo(report: ScanReport, mode?: string): string {
  const n = report.sites.length;
  const other = mode ? otherModeMarkers(report, mode) : [];
  if (other.length) {
    return `already patched in mode ${[...new Set(other.map((m) => m.mode))].join(', ')}, not ${mode} (${other.map((m) => `${m.file}:${m.line}`).join(', ')}): nothing changed; to switch, restore those files and patch again`;
  }
  if (report.verdict === 'patched')
    return `already patched (${report.markers.length} kpatch marker(s), ${n} call site(s)): nothing to change`;
  // No file read at all usually means the wrong folder, or a vendor/ that is a
  // symbolic link (the walk does not follow folder links): say so, not just "fine".
  if (report.files.length === 0) {
    return 'not affected: no runc cgroups code found (0 files read; is this the root of a Kubernetes or runc tree? a symlinked vendor/ is not followed): nothing to change';
  }
  return `not affected (${report.files.length} file(s) read, ${n} call site(s), none unguarded): nothing to change`;
}

/** The kpatch markers of a patched tree that another mode than `mode` left (empty unless the tree is patched). */
export function otherModeMarkers(report: ScanReport, mode: string): ScanReport['markers'] {
  return report.verdict === 'patched' ? report.markers.filter((m) => m.mode !== mode) : [];
}

/**
 * Throws `mode_mismatch` when the tree is patched in another mode than
 * `mode`: the tree is fixed, but not the way the user asked, and exit 0 with
 * "already patched" would let a script believe it is in `mode`. The one
 * check behind `patch` and plain `diff` (which shows what patch would do).
 */
export function refuseOtherMode(report: ScanReport, mode: string, root: string): void {
  const other = otherModeMarkers(report, mode);
  if (!other.length) return;
  const files = [...new Set(other.map((m) => m.file))];
  fail('mode_mismatch', {
    where: other.map((m) => `${m.file}:${m.line}`).join(', '),
    detail: `--mode ${mode} was asked, and the tree carries kpatch's ${[...new Set(other.map((m) => m.mode))].join(', ')} marker(s) there; nothing was changed`,
    hint: `the call is fixed either way; to switch to ${mode}: git -C ${root} checkout -- ${files.join(' ')}, then run kpatch patch --mode ${mode} again (or keep the tree as it is)`,
  });
}

/**
 * Writes a rewrite into the tree, the one safe way for every command: never
 * through a symbolic link (the rename would replace the link), never over
 * uncommitted edits unless `checkDirty` is false, all files or none.
 */
export async function writeRewrite(
  root: string,
  symlinks: ReadonlySet<string>,
  changes: PlannedChange[],
  opts: { checkDirty: boolean; what: string; io: Pick<Io, 'env' | 'signal'> },
): Promise<void> {
  refuseUnpatchableNames(changes.map((c) => c.path)); // before any write: the patch kpatch files must be able to name them
  const linked = changes.filter((c) => symlinks.has(c.path)).map((c) => c.path);
  if (linked.length) fail('unsafe_path', { where: linked.join(', '), detail: 'patching would replace the link with a regular file' });
  if (opts.checkDirty) {
    const { refuseDirtyFiles } = await import('../source/dirtyFiles.js');
    await refuseDirtyFiles(
      root,
      changes.map((c) => c.path),
      `${opts.what}; no file was changed`,
      opts.io,
    );
  }
  await writeFilesAtomically(changes, opts.io.signal);
}
