/**
 * Colour for people, never for programs: ANSI colour only when the stream is
 * a terminal, `NO_COLOR` is unset or empty (https://no-color.org) and `TERM`
 * is not `dumb`. Redirected output, pipes, CI logs and `--json` stay plain,
 * so what a script reads is the same bytes whatever terminal ran it.
 */
import type { Io, Sink } from './io.js';

/** The escape codes kpatch uses, by meaning rather than by colour. */
const CODES = {
  removed: '31', // red
  added: '32', // green
  hunk: '36', // cyan
  header: '1', // bold
  error: '1;31', // bold red
} as const;

/** A way of painting a piece of text; identity when colour is off. */
export type Paint = (style: keyof typeof CODES, text: string) => string;

/** True when text written to `sink` may carry colour. */
export function colourOn(sink: Sink, env: Io['env']): boolean {
  if (sink.isTTY !== true) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return env.TERM !== 'dumb';
}

/** The painter for `sink`: ANSI codes on a colour terminal, the text unchanged otherwise. */
export function painter(sink: Sink, env: Io['env']): Paint {
  if (!colourOn(sink, env)) return (_style, text) => text;
  return (style, text) => (text === '' ? text : `\u001b[${CODES[style]}m${text}\u001b[0m`);
}

/**
 * Colours a unified diff line by line, the way `git diff` does: file headers
 * bold, hunk headers cyan, removed lines red, added lines green. Only whole
 * lines are wrapped, so stripping the codes gives back the exact patch.
 */
export function paintDiff(diff: string, paint: Paint): string {
  return diff
    .split('\n')
    .map((line) => {
      if (line.startsWith('diff --git ') || line.startsWith('--- ') || line.startsWith('+++ ')) return paint('header', line);
      if (line.startsWith('@@')) return paint('hunk', line);
      if (line.startsWith('-')) return paint('removed', line);
      if (line.startsWith('+')) return paint('added', line);
      return line;
    })
    .join('\n');
}
