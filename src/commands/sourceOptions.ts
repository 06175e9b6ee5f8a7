/**
 * The flags that say which tree a command works on (`--src DIR`, or a release
 * fetched through the cache with `--k8s TAG` or `--runc TAG`), and how to
 * open that tree.
 */
import type { Argv } from 'yargs';
import type { Args } from './command.js';
import { fail } from '../errors.js';
import type { ResolvedSettings } from '../config/applySettings.js';
import type { Io } from '../io.js';
import { openSource as openTree, type SourceSpec, type SourceTree } from '../source/openSource.js';
import { acquireOptionsFromArgs, checkCacheArgs, withCacheOptions } from './cacheOptions.js';

/**
 * Declares `--src`, `--k8s TAG` with the tag cache's flags
 * (cacheOptions.ts), and `--runc TAG`: a runc release from
 * opencontainers/runc (or --repo), fetched through the same cache.
 */
export function withSourceOptions(y: Argv): Argv {
  return withCacheOptions(y, false)
    .option('runc', {
      type: 'string',
      requiresArg: true,
      describe: 'runc release to work on, fetched through the cache (v1.0.0-rc5, v1.0.0-rc92, v1.1.4)',
    })
    .option('src', {
      type: 'string',
      describe: 'root of a Kubernetes or runc checkout to work on',
      requiresArg: true,
    });
}

/**
 * Checks the source flags' combination; throws a usage error. `cacheWithSrc`:
 * the command uses the cache with `--src` too (build keeps its private copy,
 * logs and build caches there), so `--cache-dir` is taken with `--src`.
 */
export function checkSourceArgs(args: Args, opts: { cacheWithSrc?: boolean } = {}): void {
  const given = (['src', 'k8s', 'runc'] as const).filter((f) => args[f] !== undefined);
  if (!given.length) {
    fail('usage', { detail: 'say which tree to work on: --src DIR or --k8s TAG (--runc TAG for a runc release)' });
  }
  if (given.length > 1) {
    fail('usage', {
      where: `--${given.join(' and --')}`,
      detail: 'give one of them: --src for a checkout you have, --k8s or --runc for a release from the cache',
    });
  }
  if (typeof args.src === 'string' && args.src.trim() === '') {
    // `--src "$DIR"` with DIR unset: taking it for the current folder could patch the wrong tree.
    fail('usage', { where: '--src ""', detail: 'the path is empty (an unset variable?); name the tree, e.g. --src .' });
  }
  if (opts.cacheWithSrc && args.src !== undefined && args['cache-dir'] !== undefined) {
    if (typeof args['cache-dir'] !== 'string' || args['cache-dir'].trim() === '')
      fail('usage', { where: '--cache-dir', detail: 'give one folder, once' });
    // The other cache flags still only apply to a release from the cache.
    checkCacheArgs({ ...args, 'cache-dir': undefined }, false);
    return;
  }
  checkCacheArgs(args, false);
}

/** Which tree the flags name, for the library's openSource. Call checkSourceArgs first. */
export function sourceSpec(args: Args, settings: ResolvedSettings): SourceSpec {
  return args.k8s !== undefined || args.runc !== undefined
    ? { release: acquireOptionsFromArgs(args, settings) }
    : { src: String(args.src) };
}

/** Opens the tree the flags (and the settings file's repo) name. */
export async function openSource(args: Args, io: Io, settings: ResolvedSettings): Promise<SourceTree> {
  return openTree(sourceSpec(args, settings), io);
}
