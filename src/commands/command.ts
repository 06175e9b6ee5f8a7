/**
 * What a subcommand is: its yargs definition and the function that runs it.
 * Kept apart from cli.ts so that commands do not import the shell that loads
 * them (that was an import cycle through commands/index.ts).
 */
import type { Argv } from 'yargs';
import type { ResolvedSettings } from '../config/applySettings.js';
import type { Io } from '../io.js';

/** Parsed arguments as yargs hands them over. */
export type Args = Record<string, unknown> & { _: (string | number)[] };

/** One subcommand: its yargs definition and the function that runs it. */
export interface Command {
  /** yargs command string, e.g. `scan`. */
  command: string;
  describe: string;
  /** Declares the command's flags. */
  builder: (y: Argv) => Argv;
  /** Checks that yargs cannot express (flag combinations); throws a usage error. */
  check?: (args: Args) => void;
  /**
   * Runs the command; returns the exit code. `settings`: where each setting
   * the command takes came from (flag, settings file, environment, default).
   */
  handler: (args: Args, io: Io, settings: ResolvedSettings) => Promise<number>;
}
