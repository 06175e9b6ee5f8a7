/**
 * A reader and writer for txtar archives (the format of Go's
 * golang.org/x/tools/txtar): a free comment, then `-- name --` lines each
 * followed by that file's content. Golden cases use it to keep input,
 * expectations and the expected diff side by side in one file.
 */

/** A parsed archive. */
export interface Txtar {
  comment: string;
  files: { name: string; data: string }[];
}

const MARKER = /^-- (.+) --$/;

/** Parses txtar text. */
export function parseTxtar(text: string): Txtar {
  const lines = text.split('\n');
  const archive: Txtar = { comment: '', files: [] };
  let current: { name: string; lines: string[] } | undefined;
  const comment: string[] = [];
  const flush = () => {
    if (current) archive.files.push({ name: current.name, data: current.lines.length ? current.lines.join('\n') + '\n' : '' });
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const m = MARKER.exec(line);
    if (m) {
      flush();
      current = { name: m[1], lines: [] };
      continue;
    }
    if (i === lines.length - 1 && line === '') break; // the final newline
    (current ? current.lines : comment).push(line);
  }
  flush();
  archive.comment = comment.join('\n');
  return archive;
}

/** Renders an archive; each file's data must end with a newline (or be empty). */
export function formatTxtar(a: Txtar): string {
  let out = a.comment ? a.comment.replace(/\n?$/, '\n') : '';
  for (const f of a.files) out += `-- ${f.name} --\n${f.data}`;
  return out;
}

/** The `key: value` option lines of a case's comment. */
export function caseOptions(comment: string): Record<string, string> {
  const opts: Record<string, string> = {};
  for (const line of comment.split('\n')) {
    const m = /^([a-z][a-z-]*):\s*(.+)$/.exec(line.trim());
    if (m) opts[m[1]] = m[2].trim();
  }
  return opts;
}
