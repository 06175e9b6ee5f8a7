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
  /** A write that failed for a reason other than a closed pipe (see {@link guardStream}); checked when the command ends. */
  failure?(): NodeJS.ErrnoException | undefined;
}

/** The part of a Node stream {@link guardStream} needs (process.stdout, process.stderr). */
export interface NodeStream {
  write(chunk: string): unknown;
  on(event: 'error', listener: (e: NodeJS.ErrnoException) => void): unknown;
  isTTY?: boolean;
}

/**
 * Wraps process.stdout or stderr so a failed write never crashes kpatch.
 * EPIPE (the reader went away: `kpatch scan ... | head -1`) is a normal end
 * of the reader's interest: later writes are dropped and the command runs to
 * its end, cleaning up as usual, with its own exit code. Any other error
 * (ENOSPC on a full disk, EBADF) means output was lost: it is kept for
 * `failure()`, so the CLI can exit 1 instead of 0 with a truncated document.
 */
export function guardStream(stream: NodeStream): Sink {
  let closed = false;
  let failed: NodeJS.ErrnoException | undefined;
  const onError = (e: NodeJS.ErrnoException) => {
    // ERR_STREAM_DESTROYED only echoes the first error, which was already seen.
    if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') failed ??= e;
    closed = true;
  };
  stream.on('error', onError);
  return {
    get isTTY() {
      return stream.isTTY;
    },
    write(chunk: string) {
      if (closed) return false;
      try {
        return stream.write(chunk);
      } catch (e) {
        // A synchronous stream (a file) may throw instead of emitting 'error'.
        onError(e as NodeJS.ErrnoException);
        return false;
      }
    },
    failure: () => failed,
  };
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
