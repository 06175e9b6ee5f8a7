/**
 * "Nothing on disk changed", made checkable: a snapshot of a folder (every
 * entry's type, mode, size, content hash, link target and mtime) and a
 * comparison that lists each difference in words a reviewer can act on.
 *
 * Directory mtimes are recorded but only compared in strict mode: creating
 * and removing a temporary entry (a staged output beside --out, a temporary
 * file beside a target) changes the folder's mtime and nothing else, which
 * neither a user nor make can tell. Files' mtimes are always compared: make
 * rebuilds on them.
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';

/** One entry of a snapshot. */
export interface Entry {
  type: 'file' | 'dir' | 'symlink' | 'fifo' | 'other';
  /** Permission bits. */
  mode: number;
  size: number;
  mtimeMs: number;
  /** sha256 of a file's bytes, or a symlink's target. */
  content?: string;
}

/** Relative path (forward slashes, '.' for the root) → entry; empty when the folder does not exist. */
export type Snapshot = Map<string, Entry>;

/** Options of {@link snapshotDir}. */
export interface SnapshotOptions {
  /** Relative paths (or folder prefixes ending in '/') left out, e.g. `.git/index`, which `git status` refreshes. */
  skip?: string[];
}

/** Walks `dir` (without following links) and records every entry. */
export function snapshotDir(dir: string, opts: SnapshotOptions = {}): Snapshot {
  const snap: Snapshot = new Map();
  if (!existsSync(dir)) return snap;
  const skipped = (rel: string) => (opts.skip ?? []).some((s) => (s.endsWith('/') ? (rel + '/').startsWith(s) : rel === s));
  const visit = (rel: string): void => {
    if (skipped(rel)) return;
    const abs = rel === '.' ? dir : path.join(dir, rel);
    const st = lstatSync(abs);
    const type: Entry['type'] = st.isFile()
      ? 'file'
      : st.isDirectory()
        ? 'dir'
        : st.isSymbolicLink()
          ? 'symlink'
          : st.isFIFO()
            ? 'fifo'
            : 'other';
    let content: string | undefined;
    if (type === 'file') content = createHash('sha256').update(readFileSync(abs)).digest('hex');
    if (type === 'symlink') content = readlinkSync(abs);
    // Writing into a FIFO (as the interrupt cases do) moves its mtime; it has no content of its own.
    snap.set(rel, {
      type,
      mode: st.mode & 0o7777,
      size: type === 'file' ? st.size : 0,
      mtimeMs: type === 'fifo' ? 0 : st.mtimeMs,
      content,
    });
    if (type === 'dir') for (const name of readdirSync(abs).sort()) visit(rel === '.' ? name : `${rel}/${name}`);
  };
  visit('.');
  return snap;
}

/** Options of {@link compareSnapshots}. */
export interface CompareOptions {
  /** Also compare folders' mtimes: for runs that must not have touched anything at all. */
  strict?: boolean;
  /**
   * Paths that may appear, change or vanish (a prefix ending in '/' covers a
   * folder's contents, e.g. `logs/` for the failed-build logs kpatch keeps).
   */
  mayChange?: string[];
}

/** The differences between two snapshots of one folder, one line each (empty when none). */
export function compareSnapshots(label: string, before: Snapshot, after: Snapshot, opts: CompareOptions = {}): string[] {
  const allowed = (rel: string) => (opts.mayChange ?? []).some((a) => (a.endsWith('/') ? rel.startsWith(a) : rel === a));
  const out: string[] = [];
  for (const [rel, b] of before) {
    if (allowed(rel)) continue;
    const a = after.get(rel);
    if (!a) {
      out.push(`${label}/${rel}: removed`);
      continue;
    }
    if (a.type !== b.type) out.push(`${label}/${rel}: was a ${b.type}, now a ${a.type}`);
    else if (a.content !== b.content || a.size !== b.size) out.push(`${label}/${rel}: content changed`);
    if (a.mode !== b.mode) out.push(`${label}/${rel}: mode ${b.mode.toString(8)} -> ${a.mode.toString(8)}`);
    if ((b.type !== 'dir' || opts.strict) && a.mtimeMs !== b.mtimeMs) out.push(`${label}/${rel}: mtime changed`);
  }
  for (const rel of after.keys()) {
    if (!before.has(rel) && !allowed(rel)) out.push(`${label}/${rel}: created`);
  }
  return out;
}
