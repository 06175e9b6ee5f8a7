/**
 * Rendering changes as a git-style unified diff that `git apply` accepts:
 * `diff --git a/P b/P` headers, fixed a/ b/ prefixes, no timestamps, files in
 * path order, and git's function-name context after each hunk header so a
 * reviewer sees which function a hunk touches.
 */
import { structuredPatch } from 'diff';
import { fail } from '../errors.js';

/** One changed file: its path relative to the tree root and both contents. */
export interface FileChange {
  path: string;
  before: string;
  after: string;
}

/** Number of unchanged lines shown around each change (git's default). */
const CONTEXT = 3;

/** Renders all changes as one patch; empty string when nothing changed. */
export function renderDiff(changes: FileChange[]): string {
  return [...changes]
    .filter((c) => c.before !== c.after)
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map(renderFile)
    .join('');
}

/**
 * Refuses file names a git-style patch can only carry quoted (git writes
 * "a/x\ty"): an unquoted one breaks `git apply` and every reader of the
 * patch (build --patch, verify). Called before anything is written, so a
 * refused tree is left as it was.
 */
export function refuseUnpatchableNames(paths: readonly string[]): void {
  const bad = paths.find((p) => /[\u0000-\u001f\u007f"\\]/.test(p));
  if (bad === undefined) return;
  fail('unsafe_name', {
    where: JSON.stringify(bad),
    detail:
      'the file name holds a control character (tab, newline, ...), a quote or a backslash, which a git-style patch can only name quoted',
  });
}

function renderFile(c: FileChange): string {
  refuseUnpatchableNames([c.path]);
  const p = structuredPatch(`a/${c.path}`, `b/${c.path}`, c.before, c.after, '', '', { context: CONTEXT });
  const beforeLines = c.before.split('\n');
  let out = `diff --git a/${c.path} b/${c.path}\n--- a/${c.path}\n+++ b/${c.path}\n`;
  for (const h of p.hunks) {
    const ctx = functionContext(beforeLines, h.oldStart - 1);
    out += `@@ -${range(h.oldStart, h.oldLines)} +${range(h.newStart, h.newLines)} @@${ctx ? ' ' + ctx : ''}\n`;
    for (const line of h.lines) out += line + '\n';
  }
  return out;
}

function range(start: number, count: number): string {
  return count === 1 ? `${start}` : `${start},${count}`;
}

/**
 * git's default "funcname" rule: the nearest line above the hunk that starts
 * with a letter, `_` or `$` (for Go, the enclosing `func` line), cut to 80 bytes.
 */
function functionContext(lines: string[], hunkStartRow: number): string {
  for (let r = hunkStartRow - 1; r >= 0; r--) {
    const line = lines[r].replace(/\r$/, '');
    if (/^[A-Za-z_$]/.test(line)) return line.slice(0, 80).trimEnd();
  }
  return '';
}
