/**
 * The one reader of `git status --porcelain=v1 -z` output, shared by the
 * dirty-file check (dirtyFiles.ts) and a checkout's facts (commitFacts.ts).
 */

/**
 * The paths `git status --porcelain=v1 -z` reports, in its order. Each entry
 * is `XY path`; a rename or copy is followed by a second NUL-separated field,
 * its source path, which is skipped (the entry's own path is the new one).
 */
export function statusPaths(out: string): string[] {
  const paths: string[] = [];
  const entries = out.split('\0');
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    if (entry.length < 4) continue;
    paths.push(entry.slice(3));
    if (entry[0] === 'R' || entry[0] === 'C') i++;
  }
  return paths;
}
