/**
 * The flags that say which tree a command works on (`--src DIR`, or a release
 * fetched through the cache with `--k8s TAG` or `--runc TAG`), and the typed
 * SourceSpec they resolve to (opened by the library's source/openSource.ts).
 */
import type { Argv } from 'yargs';
import { fail } from '../errors.js';
import type { SourceSpec } from '../source/openSource.js';
import type { Args, OptionSource } from './optionSource.js';
import { acquireOptions, checkCacheArgs, withCacheOptions } from './cacheOptions.js';

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

/**
 * Which tree the flags name (with the settings file's repo and cache folder),
 * as the library's openSource takes it: the source part of a command's typed
 * options. checkSourceArgs has made sure exactly one of them is given.
 */
export function sourceFrom(from: OptionSource): SourceSpec {
  return from.string('k8s') !== undefined || from.string('runc') !== undefined
    ? { release: acquireOptions(from) }
    : { src: from.required('src') };
}

/** How the user named the tree (`--src DIR`, `--k8s TAG`, `--runc TAG`), for hints that repeat the command. */
export function sourceFlag(spec: SourceSpec): string {
  if ('src' in spec) return `--src ${spec.src}`;
  return `--${spec.release.tagKind === 'runc' ? 'runc' : 'k8s'} ${spec.release.tag}`;
}
