/**
 * The command-line shell: parses argv (a plain line without yargs, see
 * commands/quickArgs.ts; anything else, help and mistakes with yargs), runs
 * one command, turns any error into one message on stderr and an exit code.
 * Never calls process.exit.
 */
import { EXIT, KpatchError, SIGNAL_EXIT, isKpatchError } from './errors.js';
import type { Io } from './io.js';
import { KPATCH_VERSION } from './version.js';
import { COMMANDS } from './commands/index.js';
import { SUMMARIES } from './commands/summaries.js';
import type { Args, Command } from './commands/command.js';
import { painter } from './colour.js';
import { quickArgs } from './commands/quickArgs.js';

/**
 * Runs kpatch with `argv` (without the node and script paths) and returns the
 * exit code. Errors are printed once, here.
 */
export async function run(argv: string[], io: Io): Promise<number> {
  const first = argv.find((a) => !a.startsWith('-'));
  const known = first !== undefined && Object.hasOwn(COMMANDS, first);
  // Help text needs yargs' renderer (and every command when none is named); --version needs neither.
  const versionOnly = !known && argv.length > 0 && argv.every((a) => a === '--version');
  const help = !versionOnly && (!known || argv.some((a) => a === '--help' || /^-[A-Za-z]*h[A-Za-z]*$/.test(a)));
  // A plain line (`kpatch doctor --format npd`) is parsed without loading yargs at all (see quickArgs.ts).
  let chosen: Chosen | undefined;
  if (known && !help && argv[0] === first) {
    const cmd = await COMMANDS[first]();
    const args = quickArgs(cmd, first, argv.slice(1));
    if (args) chosen = { cmd, args, lists: [] };
  }
  if (!chosen) {
    // `kpatch --help` lists the commands from their summaries, loading none of them.
    const listOnly = argv.length > 0 && argv.every((a) => a === '--help' || a === '-h');
    const names = known ? [first] : versionOnly || listOnly ? [] : Object.keys(COMMANDS);
    const parsed = await parseWithYargs(argv, names, help, listOnly);
    if (parsed.err) return report(new KpatchError('usage', { detail: parsed.err.message }), io);
    if (!parsed.chosen) {
      // --help or --version: yargs rendered it for us.
      if (parsed.output) io.stdout.write(parsed.output.endsWith('\n') ? parsed.output : parsed.output + '\n');
      return EXIT.ok;
    }
    chosen = parsed.chosen;
  }
  try {
    checkRepeatedFlags(chosen.args, chosen.lists);
    chosen.cmd.check?.(chosen.args);
    // Flags, the settings file and defaults become the command's typed options, once; after check, which judges only the typed flags.
    const { OptionSource } = await import('./commands/optionSource.js');
    const from = await OptionSource.read(chosen.cmd.command.split(' ')[0], chosen.args, argv, io);
    const code = await chosen.cmd.handler(chosen.cmd.options(from), io);
    return await checkOutput(code, io);
  } catch (e) {
    return report(e, io);
  }
}

/** The command to run, its arguments, and the flags it declared as lists (which may repeat). */
interface Chosen {
  cmd: Command;
  args: Args;
  lists: string[];
}

/**
 * Parses `argv` with yargs, knowing the commands `names` (loaded here; only
 * the one being run, all of them for mistakes, none for --version).
 * `help`: help text may be rendered, so yargs loads its renderer. `listOnly`:
 * the top-level help, for which every command is declared by its summary.
 */
export async function parseWithYargs(
  argv: readonly string[],
  names: readonly string[],
  help: boolean,
  listOnly = false,
): Promise<{ chosen?: Chosen; err?: Error; output: string }> {
  const { loadYargs } = await import('./yargsLite.js');
  const yargs = await loadYargs(help);
  const parser = yargs([...argv])
    .scriptName('kpatch')
    .usage(
      'kpatch: patch the kmem-accounting cgroup leak out of Kubernetes and runc, and build the fixed binaries\n\nUsage: kpatch <command> [options]',
    )
    .strict()
    .demandCommand(1, 'say which command to run')
    .recommendCommands()
    .showHelpOnFail(false)
    .exitProcess(false)
    .version(KPATCH_VERSION)
    .help()
    .alias('h', 'help')
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .epilogue(
      'Exit codes: 0 success, 1 failure, 2 usage error, 130 interrupted (Ctrl-C), 143 SIGTERM, 129 SIGHUP. Each error id is explained in docs/errors.md.',
    );
  let chosen: Chosen | undefined;
  if (listOnly) for (const s of Object.values(SUMMARIES)) parser.command(s.command, s.describe);
  for (const cmd of await Promise.all(names.map((n) => COMMANDS[n]()))) {
    parser.command(cmd.command, cmd.describe, cmd.builder, (args) => {
      chosen = { cmd, args: args as Args, lists: [] };
    });
  }
  const parsed = await new Promise<{ err?: Error; output: string }>((resolve) => {
    parser.parse([...argv], {}, (err, _args, output) => resolve({ err: err ?? undefined, output }));
  });
  if (chosen) chosen.lists = (parser as unknown as { getOptions(): { array?: string[] } }).getOptions().array ?? [];
  return { ...parsed, chosen: parsed.err ? undefined : chosen };
}

/**
 * A command that "succeeded" while its output was lost (stdout on a full
 * disk) must not exit 0: whoever reads the file would take a truncated
 * document for a whole one. A closed pipe is not a failure (see guardStream).
 */
async function checkOutput(code: number, io: Io): Promise<number> {
  // A stream reports a failed write on a later tick.
  await new Promise((r) => setImmediate(r));
  const lost = io.stdout.failure?.();
  if (!lost || code !== EXIT.ok) return code;
  return report(new KpatchError('output_failed', { where: 'standard output', detail: `${lost.code ?? ''} ${lost.message}`.trim() }), io);
}

/**
 * A flag given twice (`--out a --out b`) reaches a handler as an array, which
 * `String()` would join into a path nobody asked for (`a,b`). That is a usage
 * error, unless the command declared the flag as a list.
 */
function checkRepeatedFlags(args: Args, lists: string[]): void {
  for (const [key, value] of Object.entries(args)) {
    if (key === '_' || key === '$0' || /[A-Z]/.test(key) || !Array.isArray(value) || lists.includes(key)) continue;
    throw new KpatchError('usage', {
      where: `--${key}`,
      detail: `given ${value.length} times (${value.map((v) => JSON.stringify(String(v))).join(', ')}); give it once`,
    });
  }
}

function report(e: unknown, io: Io): number {
  let k = isKpatchError(e)
    ? e
    : io.signal?.aborted
      ? new KpatchError('interrupted')
      : new KpatchError('internal', { detail: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  // Say which signal stopped the run, and exit with its own code (130, 143, 129).
  const signal = io.signal?.aborted && typeof io.signal.reason === 'string' ? io.signal.reason : undefined;
  if (k.id === 'interrupted' && signal && signal !== 'SIGINT' && !k.where)
    k = new KpatchError('interrupted', { where: `by ${signal}`, detail: k.detail });
  const exitCode = k.id === 'interrupted' && signal ? (SIGNAL_EXIT[signal] ?? k.exitCode) : k.exitCode;
  // Only the `kpatch: error[id]` tag is coloured, and only on a terminal without NO_COLOR.
  const paint = painter(io.stderr, io.env);
  io.stderr.write(k.render().replace(/^kpatch: error\[[^\]]+\]/, (tag) => paint('error', tag)));
  return exitCode;
}
