/**
 * The streams and environment a command runs with. `run()` takes one of these
 * instead of touching `process`, so tests can drive the CLI in-process and the
 * bin file stays the only place that calls `process.exit`.
 */

/** A place to write text, such as process.stdout or a test buffer. */
export interface Sink {
  write(chunk: string): unknown;
  /** True when the sink is an interactive terminal (live progress, colour). */
  isTTY?: boolean;
}

/** Everything a command may read from or write to outside its arguments. */
export interface Io {
  stdout: Sink;
  stderr: Sink;
  env: Record<string, string | undefined>;
  /** Folder that relative paths are resolved against. */
  cwd: string;
  /** Aborted when the user presses Ctrl-C; long-running steps must honour it. */
  signal?: AbortSignal;
}

/** An Io that collects output in strings; for tests and for nested calls. */
export function captureIo(overrides: Partial<Io> = {}): Io & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    env: {},
    cwd: process.cwd(),
    ...overrides,
    out: () => out,
    err: () => err,
  };
}
