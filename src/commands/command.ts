/**
 * What a subcommand is: its yargs definition, the one function that turns
 * the parsed flags (with the settings file and the defaults) into its typed
 * options, and the handler that runs on those options.
 * Kept apart from cli.ts so that commands do not import the shell that loads
 * them (that was an import cycle through commands/index.ts).
 */
import type { Argv } from 'yargs';
import type { Io } from '../io.js';
import type { Args, OptionSource } from './optionSource.js';

export type { Args } from './optionSource.js';

/**
 * One subcommand, whose typed options are `O`. Declared with method syntax
 * so that any `Command<O>` is a `Command` for cli.ts, which only ever hands
 * a command's own `options` result to that command's `handler`.
 */
export interface Command<O = unknown> {
  /** yargs command string, e.g. `scan`. */
  command: string;
  describe: string;
  /** Declares the command's flags. */
  builder(y: Argv): Argv;
  /** Checks that yargs cannot express (flag combinations), on the flags as typed; throws a usage error. */
  check?(args: Args): void;
  /**
   * The command's typed options, from the flags, the settings file and the
   * defaults (see optionSource.ts for the precedence); runs once, after check.
   */
  options(from: OptionSource): O;
  /** Runs the command on its typed options; returns the exit code. */
  handler(opts: O, io: Io): Promise<number>;
}
