/**
 * Wrapping a diff in `git format-patch` form (From line, From:, Date:,
 * Subject:, body ending in DEP-3 fields, `---`, diff, signature) so that `git am` and `git apply`
 * both accept it on the pristine tag. Deterministic: the date is the source
 * commit's, never the clock, so the same input always gives the same bytes.
 * The patch is re-parsed before it is returned (as patch-package does), so a
 * malformed patch is never written.
 */
import { parsePatch } from 'diff';
import { fail } from '../errors.js';
import type { Dep3Fields } from '../engine/recipe.js';

/** What goes into the patch. */
export interface PatchMessage {
  /** One line: what and why. */
  subject: string;
  /** Free text: the findings. */
  body: string;
  /** The git-style diff (from engine/diff.ts). */
  diff: string;
  /** Author date: the source commit's time, for reproducibility. */
  date: Date;
  /** kpatch's version, in the signature. */
  version: string;
  /** DEP-3 fields, written at the end of the body with `Last-Update:` = `date`'s day, so the bytes stay reproducible. */
  dep3?: Dep3Fields;
}

/** The author kpatch records in its patches. */
export const PATCH_AUTHOR = 'kpatch <kpatch@users.noreply.invalid>';

/** Renders the patch; throws `internal` if the result does not parse back to the same files. */
export function formatPatch(m: PatchMessage): string {
  // The zero hash and fixed date on the first line are git's own convention
  // for "not a real commit" (git format-patch writes the same magic date).
  const text =
    `From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n` +
    `From: ${PATCH_AUTHOR}\n` +
    `Date: ${rfc2822(m.date)}\n` +
    `Subject: [PATCH] ${m.subject.replace(/\s+/g, ' ').trim()}\n` +
    `\n${m.body.trim()}\n${dep3Block(m)}---\n${m.diff}-- \nkpatch ${m.version}\n\n`;
  const expected = (m.diff.match(/^diff --git /gm) ?? []).length;
  const parsed = parsePatch(m.diff).filter((p) => p.hunks.length > 0);
  if (parsed.length !== expected || expected === 0) {
    fail('internal', { detail: `the generated patch does not parse back: ${parsed.length} of ${expected} file(s)` });
  }
  return text;
}

/**
 * DEP-3 fields as the body's last paragraph (where git trailers go, and
 * where Debian's tools read them in a format-patch file): quilt series and
 * `dpkg-source` carry the file as it is.
 */
function dep3Block(m: PatchMessage): string {
  if (!m.dep3) return '';
  const lines = [
    `Origin: ${m.dep3.origin}`,
    m.dep3.bug ? `Bug: ${m.dep3.bug}` : '',
    m.dep3.forwarded ? `Forwarded: ${m.dep3.forwarded}` : '',
    `Last-Update: ${m.date.toISOString().slice(0, 10)}`,
  ];
  return `\n${lines.filter(Boolean).join('\n')}\n`;
}

function rfc2822(d: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]}, ${d.getUTCDate()} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}
