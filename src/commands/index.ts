/** The list of subcommands, in the order `kpatch --help` shows them. */
import type { Command } from '../cli.js';
import { scanCommand } from './scan.js';
import { diffCommand } from './diff.js';
import { patchCommand } from './patch.js';
import { doctorCommand } from './doctor.js';
import { fetchCommand } from './fetch.js';
import { buildCommand } from './build.js';
import { verifyCommand } from './verify.js';
import { matrixCommand } from './matrix.js';
import { configCommand } from './config.js';

export const COMMANDS: Command[] = [buildCommand, verifyCommand, fetchCommand, scanCommand, diffCommand, patchCommand, doctorCommand, matrixCommand, configCommand];
