/**
 * `kpatch doctor`: is this node leaking memory cgroups, and did the fix take?
 * Reads the node's /proc and /sys/fs/cgroup (and, when named, the kubelet and
 * runc binaries) and prints the facts, a verdict and the next steps. Strictly
 * read-only. Exit 0 when the verdict is `ok`, 1 for `at-risk` or `leaking`,
 * 2 for usage errors, so monitoring can key on the code alone.
 * `--format npd` speaks node-problem-detector's plugin protocol instead: one
 * line, exit 0 OK, 1 problem, 2 unknown (an error is unknown too, whatever
 * its usual code: NPD reads any other status as unknown anyway).
 * `--format sentinel` is kured's `--reboot-sentinel-command`: the same line,
 * exit 0 only for `reboot-needed`, non-zero for every other state and for
 * every error (kured reboots on 0 only, so a node is never rebooted on a
 * guess).
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Args, Command } from './command.js';
import { SUMMARIES } from './summaries.js';
import { EXIT, KpatchError, fail } from '../errors.js';
import type { Io } from '../io.js';
import { runDoctor } from '../doctor/runDoctor.js';
import { renderText } from '../doctor/renderText.js';
import { doctorJson } from '../doctor/renderJson.js';
import { npdErrorLine, renderNpd, renderSentinel } from '../doctor/renderNpd.js';

/** What `kpatch doctor` runs with (paths as typed; resolved and checked against the working folder by the handler). */
export interface DoctorCommandOptions {
  /** The folder standing for the node's `/`. */
  root: string;
  kubelet?: string;
  runc?: string;
  /** The output form (`--json` is `json`). */
  format: 'text' | 'json' | 'npd' | 'sentinel';
}

/** The `kpatch doctor` command: flags, checks and handler (see the module comment and docs/commands/). */
export const doctorCommand: Command<DoctorCommandOptions> = {
  ...SUMMARIES.doctor,
  builder: (y) =>
    y
      .option('root', {
        type: 'string',
        default: '/',
        requiresArg: true,
        describe: "folder standing for the node's / (reads <root>/proc and <root>/sys)",
      })
      .option('json', { type: 'boolean', default: false, describe: 'print the facts and verdict as JSON (schemaVersion 1)' })
      .option('format', {
        type: 'string',
        choices: ['text', 'json', 'npd', 'sentinel'],
        default: 'text',
        requiresArg: true,
        describe:
          "text, json (same as --json), npd: one line, exit 0/1/2 for node-problem-detector, or sentinel: one line, exit 0 only when the node needs its reboot (kured's --reboot-sentinel-command)",
      })
      .option('kubelet', { type: 'string', requiresArg: true, describe: 'kubelet binary to inspect (read, never run)' })
      .option('runc', { type: 'string', requiresArg: true, describe: 'runc binary to inspect (read, never run)' }),
  check(args: Args) {
    for (const flag of ['root', 'kubelet', 'runc']) {
      const v = args[flag];
      if (v === undefined) continue;
      if (typeof v !== 'string' || v.trim() === '') fail('usage', { detail: `--${flag} needs a path` });
    }
    if (args.json && args.format !== 'text' && args.format !== 'json')
      fail('usage', { detail: `--json and --format ${String(args.format)} ask for two formats; give one` });
  },
  options: (from) => ({
    root: from.required('root'),
    kubelet: from.string('kubelet'),
    runc: from.string('runc'),
    format: from.boolean('json') ? 'json' : (from.required('format') as DoctorCommandOptions['format']),
  }),
  async handler(opts, io) {
    if (opts.format === 'npd') {
      try {
        return await doctor(opts, io);
      } catch (e) {
        if (!(e instanceof KpatchError) || e.id === 'interrupted') throw e;
        // NPD keeps stdout as the condition's message and logs stderr: both say what went wrong.
        io.stdout.write(npdErrorLine(`error[${e.id}]: ${e.message}`));
        io.stderr.write(e.render());
        return 2;
      }
    }
    return doctor(opts, io);
  },
};

/** Runs doctor and prints the report in the chosen format; returns the exit code. */
async function doctor(opts: DoctorCommandOptions, io: Io): Promise<number> {
  const root = await checkRoot(path.resolve(io.cwd, opts.root));
  const kubelet = opts.kubelet === undefined ? undefined : await checkBinary(path.resolve(io.cwd, opts.kubelet), '--kubelet');
  const runc = opts.runc === undefined ? undefined : await checkBinary(path.resolve(io.cwd, opts.runc), '--runc');
  let report;
  try {
    report = await runDoctor({ root, kubelet, runc, signal: io.signal });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EACCES' || err.code === 'EPERM') fail('node_binary_unreadable', { where: err.path, detail: err.message });
    throw e;
  }
  if (opts.format === 'npd' || opts.format === 'sentinel') {
    const one = opts.format === 'npd' ? renderNpd(report) : renderSentinel(report);
    io.stdout.write(one.line);
    return one.code;
  }
  const code = report.verdict === 'ok' ? EXIT.ok : EXIT.failure;
  if (opts.format === 'json') io.stdout.write(JSON.stringify(doctorJson(report, code), null, 2) + '\n');
  else io.stdout.write(renderText(report));
  return code;
}

/** The root must be a folder with `proc` or `sys` in it: anything else is a typo, not a healthy node. */
async function checkRoot(root: string): Promise<string> {
  const st = await stat(root).catch(() => undefined);
  if (!st) fail('node_root_missing', { where: root });
  if (!st.isDirectory()) fail('node_root_not_dir', { where: root });
  const [proc, sys] = await Promise.all(['proc', 'sys'].map((d) => stat(path.join(root, d)).catch(() => undefined)));
  if (!proc?.isDirectory() && !sys?.isDirectory()) fail('node_root_unrecognised', { where: root });
  return root;
}

/** A binary flag must name a regular file (or a link to one). */
async function checkBinary(file: string, flag: string): Promise<string> {
  const st = await stat(file).catch((e: NodeJS.ErrnoException) =>
    e.code === 'ENOENT' || e.code === 'ENOTDIR' ? undefined : fail('node_binary_unreadable', { where: file, detail: e.message }),
  );
  if (!st) fail('node_binary_missing', { where: file, detail: `${flag} names a path that does not exist` });
  if (!st.isFile())
    fail('node_binary_missing', { where: file, detail: `${flag} names a ${st.isDirectory() ? 'folder' : 'special file'}, not a binary` });
  return file;
}
