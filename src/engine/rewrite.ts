/**
 * Turning a recipe's plan into new file contents, and proving each result
 * still parses before anything is shown or written.
 */
import { fail } from '../errors.js';
import type { FileChange } from './diff.js';
import { applyEdits } from './edits.js';
import { describeProblems, parseGo, syntaxProblems } from './parse.js';
import type { Recipe, ScanReport } from './recipe.js';
import type { GoFile } from './sourceFile.js';

/** A planned change to one file. */
export interface PlannedChange extends FileChange {
  abs: string;
}

/** Applies `recipe`'s plan for `mode`; returns only files whose text changes. */
export function rewrite(files: GoFile[], report: ScanReport, recipe: Recipe, mode: string): PlannedChange[] {
  const plan = recipe.plan(files, report, mode);
  const changes: PlannedChange[] = [];
  const byPath = new Map<string, PlannedChange>();
  for (const f of files) {
    const edits = plan.get(f.path);
    if (!edits?.length) continue;
    const after = applyEdits(f.text, edits);
    if (after === f.text) continue;
    const problems = syntaxProblems(parseGo(after));
    if (problems.length) {
      fail('verify_failed', { where: f.path, detail: describeProblems(f.path, problems) });
    }
    // A file reached through a linked folder is changed at its real path (the
    // path `git apply` accepts); two links to one folder are one change.
    const change = { path: f.realPath ?? f.path, abs: f.abs, before: f.text, after };
    const seen = byPath.get(change.path);
    if (seen) {
      if (seen.after !== after)
        fail('unsupported_shape', {
          where: change.path,
          detail: `the file is compiled under two paths (${f.path} and another link) and the rewrite differs between them`,
        });
      continue;
    }
    byPath.set(change.path, change);
    changes.push(change);
  }
  return changes;
}
