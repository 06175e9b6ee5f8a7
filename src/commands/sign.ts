/** `kpatch sign DIR --sign-key KEY`: sign a build folder made elsewhere (CI), after checking its SHA256SUMS. */
import path from 'node:path';
import type { Command } from './command.js';
import { SUMMARIES } from './summaries.js';
import { EXIT, fail } from '../errors.js';

/** What `kpatch sign` runs with (paths as typed; the handler resolves them against the working folder). */
export interface SignOptions {
  /** The artifact folder whose SHA256SUMS is signed. */
  dir: string;
  /** The private key file (PEM). */
  signKey: string;
  json: boolean;
}

/** The `kpatch sign` command: flags, checks and handler (see docs/provenance.md). */
export const signCommand: Command<SignOptions> = {
  ...SUMMARIES.sign,
  builder: (y) =>
    y
      .positional('dir', { type: 'string', describe: 'the artifact folder (the --out of kpatch build)' })
      .option('sign-key', {
        type: 'string',
        requiresArg: true,
        demandOption: 'give the EC P-256 private key in PEM',
        describe: 'EC P-256 private key (PEM) to sign with',
      })
      .option('json', { type: 'boolean', default: false, describe: 'print what was written as JSON (schemas/sign.schema.json)' }),
  check(args) {
    if (typeof args['sign-key'] !== 'string' || args['sign-key'] === '')
      fail('usage', { where: '--sign-key', detail: 'give one key file, once' });
  },
  options: (from) => ({ dir: from.required('dir'), signKey: from.required('sign-key'), json: from.boolean('json') }),
  async handler(opts, io) {
    const { loadSigningKey } = await import('../manifest/signature.js');
    const { signFolder } = await import('../verify/signFolder.js');
    const dir = path.resolve(io.cwd, opts.dir);
    const key = await loadSigningKey(path.resolve(io.cwd, opts.signKey), io.signal);
    const file = await signFolder(dir, key, io.signal);
    const sums = path.join(dir, 'SHA256SUMS');
    if (opts.json) io.stdout.write(JSON.stringify({ schemaVersion: 1, dir, sums, signature: file }, null, 2) + '\n');
    else io.stdout.write(`kpatch: signed ${sums}: ${file}\n`);
    return EXIT.ok;
  },
};
