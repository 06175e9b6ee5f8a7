/**
 * `kpatch fetch --k8s TAG`: get a release's source into the tag cache and hand
 * out a fresh work tree of it.
 *
 * The tree is kept by default: printing its path is the point of the command
 * (`cd "$(kpatch fetch --k8s v1.12.4)"`). `--no-keep` only fills the cache,
 * e.g. to prepare a machine for offline use, and checks nothing out.
 */
import type { Command } from './command.js';
import { SUMMARIES } from './summaries.js';
import { EXIT, fail } from '../errors.js';
import { acquireTree, type AcquireOptions } from '../source/acquireTree.js';
import { acquireOptions, checkCacheArgs, withCacheOptions } from './cacheOptions.js';

/** `kpatch fetch`: see the module comment; the library side is source/acquireTree.ts. */
/** Version of the `fetch --json` document. */
export const FETCH_SCHEMA_VERSION = 1;

/** What `kpatch fetch` runs with: the release to get (its `keep` also says whether to check it out) and the output form. */
export interface FetchOptions {
  release: AcquireOptions;
  json: boolean;
}

/** The `kpatch fetch` command: flags, checks and handler (see the module comment and docs/commands/). */
export const fetchCommand: Command<FetchOptions> = {
  ...SUMMARIES.fetch,
  builder: (y) =>
    withCacheOptions(y, true).option('json', {
      type: 'boolean',
      default: false,
      describe: 'print {schemaVersion, tag, commit, path, repo, cached, kept, cacheRepo} as JSON',
    }),
  check(args) {
    if (args.k8s === undefined) fail('usage', { where: 'fetch', detail: 'say which release to fetch: --k8s TAG' });
    checkCacheArgs(args, true);
  },
  options(from) {
    const release = acquireOptions(from);
    return { release: { ...release, checkout: release.keep }, json: from.boolean('json') };
  },
  async handler(opts, io) {
    const tree = await acquireTree(opts.release, io);
    if (opts.json) {
      const doc = {
        schemaVersion: FETCH_SCHEMA_VERSION,
        tag: tree.tag,
        commit: tree.commit,
        path: tree.root || null,
        repo: tree.repo,
        cached: tree.cached,
        kept: tree.kept,
        cacheRepo: tree.cacheRepo,
      };
      io.stdout.write(JSON.stringify(doc, null, 2) + '\n');
    } else {
      const from = tree.cached ? 'from the cache' : 'fetched';
      io.stderr.write(`kpatch: ${tree.tag} is commit ${tree.commit} (${from}, ${tree.cacheRepo})\n`);
      if (tree.root) io.stdout.write(tree.root + '\n');
    }
    return EXIT.ok;
  },
};
