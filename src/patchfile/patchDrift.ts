/**
 * Drift between a reviewed (committed) patch and the one kpatch generates now
 * for the same tag and mode: what `kpatch diff --check` reports. The
 * difference is a unified diff of the two patch files, so a reviewer reads
 * exactly which lines of the patch changed (`-` committed, `+` generated now).
 */
import { structuredPatch } from 'diff';

/** How the committed patch compares with a fresh one. */
export type DriftStatus =
  /** Byte for byte the same (or neither exists: the tree needs no patch and none is committed). */
  | 'same'
  /** Both exist and differ. */
  | 'drift'
  /** The tree needs a patch and none is committed. */
  | 'missing'
  /** A patch is committed but the tree needs none any more. */
  | 'stale';

/** The comparison and, unless the two are the same, the readable difference. */
export interface Drift {
  status: DriftStatus;
  /** Unified diff from the committed patch to the fresh one; null when the same. */
  difference: string | null;
}

/** Compares `committed` (undefined when there is no file) with `fresh` ('' when the tree needs no patch). */
export function patchDrift(file: string, committed: string | undefined, fresh: string, freshLabel: string): Drift {
  const have = committed ?? '';
  if (have === fresh) return { status: 'same', difference: null };
  const status: DriftStatus = committed === undefined ? 'missing' : fresh === '' ? 'stale' : 'drift';
  const p = structuredPatch(file, file, have, fresh, '', '', { context: 3 });
  let out = `--- ${file}\t(committed${committed === undefined ? ': no such file' : ''})\n+++ ${file}\t(${freshLabel})\n`;
  for (const h of p.hunks) {
    out += `@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@\n`;
    for (const line of h.lines) out += line.startsWith('\\') ? `${line}\n` : line + '\n';
  }
  return { status, difference: out };
}
