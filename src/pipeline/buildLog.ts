/**
 * The build log, written line by line into the staged output folder while
 * make runs. A disk under --out that fills up (or turns read-only) during the
 * build must not crash kpatch on the stream's unhandled 'error' (which left
 * the staged folder, the temporary work tree and the stamp folder behind):
 * the first failed write stops make, through the signal the runner is given,
 * and becomes `out_unwritable`.
 */
import { createWriteStream } from 'node:fs';
import { copyFile, mkdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { fail } from '../errors.js';

/** An open build log. */
export interface BuildLog {
  /** Aborted on Ctrl-C (the caller's signal) or when the log cannot be written: give it to the runner. */
  signal: AbortSignal;
  /** Appends one line (dropped once the log has failed) and keeps it in the tail. */
  write(line: string): void;
  /** The last {@link TAIL_LINES} lines written, shown when make fails. */
  tail(): string[];
  /** Waits for the lines written so far to reach the disk; throws `out_unwritable` when they could not. */
  check(): Promise<void>;
  /** For a rejected runner: `out_unwritable` when the log failed (and not Ctrl-C), else rethrows `e`. */
  rethrow(e: unknown): Promise<never>;
  /** Flushes and closes the log; never rejects. */
  close(): Promise<void>;
}

/** Lines of the log shown when make fails (the full log's path is shown too). */
export const TAIL_LINES = 40;

/** The detail of a `build_failed` error: the log's tail. */
export function tailDetail(lines: string[]): string {
  return `last ${lines.length} lines of the log:\n${lines.join('\n')}`;
}

/** Opens (appends to) the log at `logPath`, inside the staged folder beside --out. */
export function openBuildLog(logPath: string, userSignal?: AbortSignal): BuildLog {
  const stream = createWriteStream(logPath, { flags: 'a' });
  const stop = new AbortController();
  let failed: Error | undefined;
  const tail: string[] = [];
  stream.on('error', (e) => {
    failed ??= e;
    stop.abort();
  });
  const onUserAbort = (): void => stop.abort();
  userSignal?.addEventListener('abort', onUserAbort, { once: true });
  if (userSignal?.aborted) stop.abort();
  const check = async (): Promise<void> => {
    // Writes fail asynchronously: a make that printed a lot and exited at once is ahead of its log.
    while (!failed && !stream.destroyed && stream.writableLength > 0) await new Promise((r) => setTimeout(r, 10));
    if (!failed) return;
    // The staged folder sits beside --out: its parent is the folder the user named.
    fail('out_unwritable', {
      where: path.dirname(path.dirname(logPath)),
      detail: `cannot write the build log: ${failed.message}\nmake was stopped; nothing was left behind`,
    });
  };
  return {
    signal: stop.signal,
    write(line) {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      if (!failed) stream.write(line + '\n');
    },
    tail: () => [...tail],
    check,
    async rethrow(e) {
      if (!userSignal?.aborted) await check();
      throw e;
    },
    close() {
      userSignal?.removeEventListener('abort', onUserAbort);
      return new Promise<void>((resolve) => (stream.destroyed ? resolve() : stream.end(() => resolve())));
    },
  };
}

/**
 * A failed build's log must outlive the staged folder: move it under the
 * cache's logs/ and name it in the error, so the user can read all of it.
 */
export async function keepFailedLog(stagedDir: string, cacheDir: string): Promise<string | undefined> {
  const log = path.join(stagedDir, 'build.log');
  if (!(await stat(log).catch(() => undefined))) return undefined;
  const dest = path.join(cacheDir, 'logs', `build-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
  try {
    await mkdir(path.dirname(dest), { recursive: true });
    await rename(log, dest).catch(async () => {
      await copyFile(log, dest);
    });
    return dest;
  } catch {
    // The error itself matters more than the log's new home.
    return undefined;
  }
}
