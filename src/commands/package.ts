/**
 * `kpatch package DIR`: RPM and DEB packages of an artifact folder's
 * binaries, laid out as the legacy official packages of that release, with
 * the folder's records updated (src/package/packageFolder.ts).
 */
import path from 'node:path';
import type { Command } from './command.js';
import { SUMMARIES } from './summaries.js';
import { EXIT, fail } from '../errors.js';
import type { PackageFormat } from '../package/layout.js';
import { packagingFlags, packagingFrom, type PackagingOptions } from './packageOptions.js';

/** What `kpatch package` runs with (paths as typed; the handler resolves them against the working folder). */
export interface PackageCommandOptions extends PackagingOptions {
  /** The artifact folder. */
  dir: string;
  /** `--out`: a new folder instead of updating DIR. */
  out?: string;
  force: boolean;
  /** `--sign-key`: signs the new SHA256SUMS (required for a signed folder). */
  signKey?: string;
  json: boolean;
}

/** The `kpatch package` command (see docs/commands/package.md). */
export const packageCommand: Command<PackageCommandOptions> = {
  ...SUMMARIES.package,
  builder: (y) =>
    packagingFlags(y.positional('dir', { type: 'string', describe: 'the artifact folder (the --out of kpatch build)' }), 'format')
      .option('out', {
        type: 'string',
        requiresArg: true,
        describe: 'write DIR with its packages to this new folder, leaving DIR as it is',
      })
      .option('force', { type: 'boolean', default: false, describe: 'replace an existing --out that kpatch wrote' })
      .option('sign-key', {
        type: 'string',
        requiresArg: true,
        describe: 'EC P-256 private key (PEM): sign the new SHA256SUMS (a signed folder needs it)',
      })
      .option('json', {
        type: 'boolean',
        default: false,
        describe: 'print the folder and its packages as JSON (schemas/package.schema.json)',
      }),
  check(args) {
    for (const f of ['out', 'sign-key', 'format']) {
      if (args[f] !== undefined && (typeof args[f] !== 'string' || args[f] === ''))
        fail('usage', { where: `--${f}`, detail: 'give it once, with a value' });
    }
    packagingFrom.check(args, 'format');
  },
  options: (from) => ({
    dir: from.required('dir'),
    out: from.string('out'),
    force: from.boolean('force'),
    signKey: from.string('sign-key'),
    json: from.boolean('json'),
    ...packagingFrom.options(from, 'format'),
  }),
  async handler(opts, io) {
    const { packageFolder } = await import('../package/packageFolder.js');
    const dir = path.resolve(io.cwd, opts.dir);
    const signKey =
      opts.signKey !== undefined
        ? await (await import('../manifest/signature.js')).loadSigningKey(path.resolve(io.cwd, opts.signKey), io.signal)
        : undefined;
    const result = await packageFolder(
      {
        dir,
        out: opts.out !== undefined ? path.resolve(io.cwd, opts.out) : undefined,
        force: opts.force,
        signKey,
        formats: opts.formats as PackageFormat[],
        rebuild: opts.rebuild,
        baseRelease: opts.baseRelease,
        rebootSentinel: opts.rebootSentinel,
        maintainer: opts.maintainer,
      },
      io.env,
      io.signal,
    );
    if (opts.json) {
      io.stdout.write(JSON.stringify({ schemaVersion: 1, dir: result.dir, packages: result.manifest.packages ?? [] }, null, 2) + '\n');
      return EXIT.ok;
    }
    io.stdout.write(`kpatch: packaged ${result.dir}${signKey ? ' (SHA256SUMS signed again)' : ''}\n`);
    for (const p of result.manifest.packages ?? []) io.stdout.write(`  ${path.join(result.dir, p.path)}  sha256:${p.sha256}\n`);
    return EXIT.ok;
  },
};
