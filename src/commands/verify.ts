/** `kpatch verify DIR`: the check a CI gate or a reviewer runs on an artifact folder. */
import path from 'node:path';
import type { Command } from './command.js';
import { SUMMARIES } from './summaries.js';
import { withFlags } from './flags.js';
import { checkTimeout } from './cacheOptions.js';
import { EXIT, fail } from '../errors.js';
import type { PristineSource } from '../verify/pristine.js';

/** What `kpatch verify` runs with (paths as typed; the handler resolves them against the working folder). */
export interface VerifyOptions {
  /** The artifact folder. */
  dir: string;
  /** `--key`: the public key that must have signed SHA256SUMS. */
  key?: string;
  /** Where the pristine tag comes from: `--repo`, the cache folder (flag or settings file) and `--timeout`. */
  pristine: PristineSource;
  json: boolean;
}

/** The `kpatch verify` command: flags, checks and handler (see the module comment and docs/commands/). */
export const verifyCommand: Command<VerifyOptions> = {
  ...SUMMARIES.verify,
  builder: (y) =>
    withFlags(
      y.positional('dir', { type: 'string', describe: 'the artifact folder (the --out of kpatch build)' }),
      ['repo', 'cache-dir', 'timeout'],
      {
        repo: { describe: "where to fetch the pristine tag [default: the manifest's repository]" },
      },
    )
      .option('key', {
        type: 'string',
        requiresArg: true,
        describe: 'EC P-256 public key (PEM): check SHA256SUMS.sig, which must then be there',
      })
      .option('json', { type: 'boolean', default: false, describe: 'print the findings as JSON' }),
  check(args) {
    for (const f of ['repo', 'cache-dir', 'key']) {
      if (args[f] !== undefined && typeof args[f] !== 'string') fail('usage', { where: `--${f}`, detail: 'give it once' });
    }
    checkTimeout(args);
  },
  options: (from) => ({
    dir: from.required('dir'),
    key: from.string('key'),
    pristine: { repo: from.string('repo'), cacheDir: from.setting('cacheDir'), timeoutSeconds: from.number('timeout') },
    json: from.boolean('json'),
  }),
  async handler(opts, io) {
    const { verifyArtifacts } = await import('../verify/verifyArtifacts.js');
    const { renderFinding, holdSummary, quoteName } = await import('../verify/verifyResult.js');
    const dir = path.resolve(io.cwd, opts.dir);
    // The key first: a bad --key is a usage error before any file is hashed.
    const key =
      opts.key !== undefined
        ? await (await import('../manifest/signature.js')).loadVerifyKey(path.resolve(io.cwd, opts.key), io.signal)
        : undefined;
    const found = await verifyArtifacts(dir, opts.pristine, io, { key });
    const failures = found.failures;
    if (opts.json) {
      io.stdout.write(JSON.stringify({ schemaVersion: 1, dir, ok: failures.length === 0, findings: found.list }, null, 2) + '\n');
    } else {
      for (const f of found.list) io.stdout.write(renderFinding(f) + '\n');
    }
    if (failures.length) {
      const files = [...new Set(failures.map((f) => f.file))];
      fail('artifacts_mismatch', {
        where: dir,
        detail: `${failures.length} of ${found.list.length} checks failed, about: ${files.map(quoteName).join(', ')}\nfirst: ${renderFinding(failures[0])}`,
      });
    }
    if (!opts.json) io.stdout.write(`kpatch: ${dir}: ${holdSummary(found.list)}\n`);
    return EXIT.ok;
  },
};
