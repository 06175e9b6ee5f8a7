/**
 * The subcommands, in the order `kpatch --help` shows them. Each is loaded
 * only when it runs (or for the full help): loading every command's code at
 * start-up would make `kpatch scan` pay for git, jsdiff and the build code,
 * and start-up is most of a scan's time (scripts/bench-scan.mjs).
 */
import type { Command } from './command.js';

/** Command name to a loader of its module. */
export const COMMANDS: Record<string, () => Promise<Command>> = {
  build: async () => (await import('./build.js')).buildCommand,
  verify: async () => (await import('./verify.js')).verifyCommand,
  sign: async () => (await import('./sign.js')).signCommand,
  package: async () => (await import('./package.js')).packageCommand,
  fetch: async () => (await import('./fetch.js')).fetchCommand,
  scan: async () => (await import('./scan.js')).scanCommand,
  diff: async () => (await import('./diff.js')).diffCommand,
  patch: async () => (await import('./patch.js')).patchCommand,
  doctor: async () => (await import('./doctor.js')).doctorCommand,
  matrix: async () => (await import('./matrix.js')).matrixCommand,
  config: async () => (await import('./config.js')).configCommand,
};
