/**
 * Progress of a long command on stderr. On a terminal (and outside CI), one
 * live line per step redrawn in place by log-update, which handles terminal
 * width, wrapping and the cursor; elsewhere (pipes, CI logs), plain
 * timestamped lines, with a heartbeat during long steps so CI does not look
 * hung.
 */
import { createLogUpdate } from 'log-update';
import type { Io } from '../io.js';

/** Reports steps of a command. */
export interface Progress {
  /** A new step starts (the previous one is done). */
  step(name: string): void;
  /** The latest line of output of the running step (e.g. make's). */
  detail(line: string): void;
  /** A note under the current step (warnings, choices). */
  note(text: string): void;
  /** Ends the display: `ok` marks the last step done or failed. */
  end(ok: boolean): void;
}

const HEARTBEAT_MS = 15_000;

/** Chooses the live or the plain display for `io`. */
export function createProgress(io: Io): Progress {
  const live = io.stderr.isTTY === true && !io.env.CI;
  return live ? liveProgress(io) : plainProgress(io);
}

function elapsed(since: number): string {
  const s = Math.floor((Date.now() - since) / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

function plainProgress(io: Io): Progress {
  let current: { name: string; started: number; last: string } | undefined;
  let timer: NodeJS.Timeout | undefined;
  const say = (text: string) => io.stderr.write(`${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} ${text}\n`);
  const finish = (ok: boolean) => {
    if (timer) clearInterval(timer);
    timer = undefined;
    if (current) say(`${current.name}: ${ok ? 'done' : 'failed'} in ${elapsed(current.started)}`);
    current = undefined;
  };
  return {
    step(name) {
      finish(true);
      current = { name, started: Date.now(), last: '' };
      say(`${name}: started`);
      timer = setInterval(() => current && say(`${current.name}: ${elapsed(current.started)} ${current.last}`), HEARTBEAT_MS);
      timer.unref();
    },
    detail(line) {
      if (current) current.last = line.trim().slice(0, 160);
    },
    note(text) {
      say(text);
    },
    end: finish,
  };
}

function liveProgress(io: Io): Progress {
  const draw = createLogUpdate(io.stderr as unknown as NodeJS.WriteStream);
  let current: { name: string; started: number; last: string } | undefined;
  let timer: NodeJS.Timeout | undefined;
  const render = () => {
    if (!current) return;
    const width = (io.stderr as { columns?: number }).columns ?? 100;
    const head = `… ${current.name} ${elapsed(current.started)}`;
    draw(`${head}  ${current.last}`.slice(0, Math.max(20, width - 1)));
  };
  const finish = (ok: boolean) => {
    if (timer) clearInterval(timer);
    timer = undefined;
    if (current) {
      draw(`${ok ? '✔' : '✖'} ${current.name} ${elapsed(current.started)}`);
      draw.done();
    }
    current = undefined;
  };
  return {
    step(name) {
      finish(true);
      current = { name, started: Date.now(), last: '' };
      render();
      timer = setInterval(render, 250);
      timer.unref();
    },
    detail(line) {
      if (current) current.last = line.trim();
    },
    note(text) {
      draw.clear();
      io.stderr.write(`  ${text}\n`);
      render();
    },
    end: finish,
  };
}
