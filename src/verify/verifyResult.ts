/**
 * The findings of `kpatch verify`: one line per check, naming the file it is
 * about, so a CI log or a reviewer sees exactly what differs.
 */

/** One check's outcome. `skip`: the check could not run here (said why); it does not fail verify. */
export interface Finding {
  status: 'ok' | 'fail' | 'skip';
  /** The file the finding is about, relative to the artifact folder (or the source tree, for patched files). */
  file: string;
  /** What was checked, or what differs. */
  message: string;
}

/** Collects findings in order. */
export class Findings {
  readonly list: Finding[] = [];

  ok(file: string, message: string): void {
    this.list.push({ status: 'ok', file, message });
  }

  fail(file: string, message: string): void {
    this.list.push({ status: 'fail', file, message });
  }

  skip(file: string, message: string): void {
    this.list.push({ status: 'skip', file, message });
  }

  /** The failures. */
  get failures(): Finding[] {
    return this.list.filter((f) => f.status === 'fail');
  }
}

/**
 * The closing line of a verify that failed nothing: `all N checks hold`, or
 * with skips, `N checks hold, M skipped (file: why; ...)`: a check that did
 * not run is never counted among those that hold.
 */
export function holdSummary(list: readonly Finding[]): string {
  const skipped = list.filter((f) => f.status === 'skip');
  const held = list.length - skipped.length;
  const holds = held === 1 ? '1 check holds' : `${held} checks hold`;
  if (!skipped.length) return held === 1 ? holds : `all ${holds}`;
  const why = skipped.map((f) => `${quoteName(f.file)}: ${quoteControls(f.message)}`).join('; ');
  return `${holds}, ${skipped.length} skipped (${why})`;
}

/** A finding as the one line the user reads: `FAIL linux-amd64/kubelet: sha256 is ...`. */
export function renderFinding(f: Finding): string {
  return `${f.status === 'fail' ? 'FAIL' : f.status}${' '.repeat(5 - f.status.length)}${quoteName(f.file)}: ${quoteControls(f.message)}`;
}

const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * A file name as one safe token: names with control characters (a newline
 * could forge an `ok` line in a CI log, a tab hides in it) are printed as a
 * JSON string, as git quotes them; plain names are left as they are.
 */
export function quoteName(name: string): string {
  return CONTROL.test(name) ? JSON.stringify(name) : name;
}

/** A message on one line: control characters escaped (\n, \t, \u001b). */
function quoteControls(text: string): string {
  return CONTROL.test(text) ? JSON.stringify(text).slice(1, -1) : text;
}
