/**
 * `kpatch matrix`: the CI job matrix over releases and platforms, one entry
 * per tag x platform with the exact `kpatch build` arguments of that job, in
 * the form GitHub Actions (`strategy.matrix` via `fromJSON`) or GitLab CI
 * (`parallel: matrix:`) reads, or as kpatch's own JSON. Fetches nothing:
 * tags are checked for form only, so the matrix job needs no network.
 */
import type { Command } from './command.js';
import { SUMMARIES } from './summaries.js';
import { packagingFrom } from './packageOptions.js';
import { EXIT, fail } from '../errors.js';
import { MATRIX_FORMATS, renderMatrix, shardSize, type MatrixFormat } from '../matrix/renderMatrix.js';
import { fixFrom, withFlags, withModeOption } from './flags.js';
import type { MatrixRequest } from '../matrix/buildMatrix.js';
import { DEFAULT_RECIPE_FACTS } from '../recipeFacts.js';
import { splitList } from '../config/settings.js';

/** What `kpatch matrix` runs with: the matrix request (all but the working folder), the output form and the shard size as typed. */
export interface MatrixOptions {
  request: Omit<MatrixRequest, 'cwd'>;
  format: MatrixFormat;
  /** `--shard-size`, checked by shardSize against the format's limit. */
  shardSize?: string;
}

/** The `kpatch matrix` command: flags, checks and handler (see the module comment and docs/commands/). */
export const matrixCommand: Command<MatrixOptions> = {
  ...SUMMARIES.matrix,
  // The build flags are the catalogue's (their help is kpatch build's): matrix passes each on to every build.
  builder: (y) =>
    withFlags(withModeOption(y, DEFAULT_RECIPE_FACTS, 'build'), ['platform', 'repo', 'registry', 'image', 'runner'], {
      runner: { default: undefined, defaultDescription: 'none, build picks' },
    })
      .group(['mode', 'platform', 'repo', 'registry', 'image', 'runner'], 'Given to every kpatch build:')
      .option('k8s', { type: 'string', requiresArg: true, describe: 'release tags, comma-separated (v1.12.4,v1.13.12,v1.20.15)' })
      .option('runc', {
        type: 'string',
        requiresArg: true,
        describe: 'runc release tags to build too, comma-separated (v1.0.0-rc5,v1.0.0-rc92): the runc your nodes run with those releases',
      })
      .option('runc-repo', { type: 'string', requiresArg: true, describe: 'the --repo every runc build gets (a runc mirror)' })
      .option('runc-registry', {
        type: 'string',
        requiresArg: true,
        describe: 'the --registry every runc build gets (a mirror of docker.io/library)',
      })
      .option('runc-image', {
        type: 'string',
        requiresArg: true,
        describe: 'the --image every runc build gets (Go, make, gcc and libseccomp headers)',
      })
      .option('format', {
        type: 'string',
        choices: [...MATRIX_FORMATS],
        default: 'github',
        describe: 'github: {"include":[...]} for fromJSON; gitlab: a parallel:matrix snippet; json: kpatch\'s versioned document',
      })
      .option('json', { type: 'boolean', default: false, describe: 'same as --format json' })
      .option('shard-size', {
        type: 'string',
        requiresArg: true,
        describe:
          'at most this many jobs per shard; a bigger matrix prints one matrix per shard (github: one line each, gitlab: one YAML document each) [default: 256 for github, 200 for gitlab]',
      })
      .option('package', {
        type: 'string',
        requiresArg: true,
        describe: 'every build also writes its packages in these formats (rpm,deb; see kpatch package)',
      })
      .option('patches', {
        type: 'string',
        requiresArg: true,
        describe: 'folder of reviewed patches: each build gets --patch DIR/<tag>/0001-<recipe>-<mode>.patch, which must exist',
      }),
  check(args) {
    if (!splitList(args.k8s).length && !splitList(args.runc).length)
      fail('usage', { where: 'matrix', detail: 'say which releases: --k8s v1.12.4,v1.13.12 (and/or --runc v1.0.0-rc5)' });
    if (args.package !== undefined && (typeof args.package !== 'string' || args.package === ''))
      fail('usage', { where: '--package', detail: 'give the formats once, e.g. --package rpm,deb' });
    packagingFrom.check(args, 'package');
    if (args.json && args.format !== 'github' && args.format !== 'json') {
      fail('usage', { where: '--json and --format', detail: '--json is --format json; give one of them' });
    }
  },
  options: (from) => ({
    request: {
      tags: from.list('k8s'),
      runcTags: from.list('runc'),
      runc: { repo: from.string('runc-repo'), registry: from.string('runc-registry'), image: from.string('runc-image') },
      platforms: from.settingList('platforms'),
      fix: fixFrom(from, DEFAULT_RECIPE_FACTS, 'build'),
      repo: from.setting('repo'),
      registry: from.setting('registry'),
      image: from.setting('image'),
      runner: from.string('runner'),
      patches: from.string('patches'),
      packages: packagingFrom.options(from, 'package').formats,
    },
    format: from.boolean('json') ? 'json' : (from.required('format') as MatrixFormat),
    shardSize: from.string('shard-size'),
  }),
  async handler(opts, io) {
    const size = shardSize(opts.format, opts.shardSize);
    // Loaded here, not at start-up: --help and a refused command line need not pay for it.
    const { buildMatrix } = await import('../matrix/buildMatrix.js');
    const entries = buildMatrix({ ...opts.request, cwd: io.cwd });
    const both = entries.find((e) => e.args.includes('--image') && e.args.includes('--registry'));
    if (both) {
      const runc = both.target === 'runc' ? 'runc-' : '';
      fail('usage', { where: `--${runc}image and --${runc}registry`, detail: '--image names the whole reference; give one of them' });
    }
    const tagsOf = (t: string) => [...new Set(entries.filter((e) => e.target === t).map((e) => e.tag))].join(',');
    const releases = [tagsOf('kubelet') && `--k8s ${tagsOf('kubelet')}`, tagsOf('runc') && `--runc ${tagsOf('runc')}`]
      .filter(Boolean)
      .join(' ');
    io.stdout.write(
      renderMatrix(
        entries,
        opts.format,
        `kpatch matrix ${releases} --platform ${[...new Set(entries.map((e) => e.platform))].join(',')}`,
        size,
      ),
    );
    return EXIT.ok;
  },
};
