/**
 * The command-line flags of the tag cache (`--k8s TAG [--repo URL]
 * [--cache-dir DIR] [--keep] [--timeout SECONDS]`), shared by `kpatch fetch`
 * and every command that takes `--src` (through sourceOptions.ts).
 */
import type { Argv } from 'yargs';
import { fail } from '../errors.js';
import { settingSource, typedOrUnresolved } from '../config/applySettings.js';
import type { Args, OptionSource } from './optionSource.js';
import { FLAGS, withFlags } from './flags.js';
import type { AcquireOptions } from '../source/acquireTree.js';
import { DEFAULT_TIMEOUT_SECONDS, validateTag, type TagKind } from '../source/releaseTag.js';
import { DEFAULT_REPO, DEFAULT_RUNC_REPO } from '../source/cacheLayout.js';

/** Declares the cache flags. `keepDefault` is true for `kpatch fetch`, whose point is the tree it prints. */
export function withCacheOptions(y: Argv, keepDefault: boolean): Argv {
  const withRelease = y.option('k8s', {
    type: 'string',
    requiresArg: true,
    describe: 'Kubernetes release to work on, fetched through the cache (v1.12.4, 1.12.4, v1.13.0-rc.1)',
  });
  return withFlags(withRelease, ['repo', 'cache-dir'], {
    repo: { describe: `${FLAGS.repo.describe} [default: ${DEFAULT_REPO}; with --runc: ${DEFAULT_RUNC_REPO}]` },
  })
    .option('keep', {
      type: 'boolean',
      default: keepDefault,
      describe: keepDefault
        ? 'leave the work tree in place and print its path (--no-keep: only fill the cache)'
        : 'leave the work tree of --k8s in place when the command ends',
    })
    .option('timeout', { ...FLAGS.timeout, describe: `${FLAGS.timeout.describe} [default: ${DEFAULT_TIMEOUT_SECONDS}]` });
}

/**
 * Checks the cache flags when `--k8s` (or `--runc`) is given: the tag (usage
 * error `tag_invalid`, in that project's grammar, before any git process or
 * file exists) and the timeout. Without either, the other cache flags are
 * usage errors.
 */
export function checkCacheArgs(args: Args, keepDefault: boolean): void {
  const release = releaseArg(args);
  if (release === undefined) {
    const stray = ['repo', 'cache-dir', 'timeout'].filter((f) => args[f] !== undefined);
    if (args.keep !== undefined && args.keep !== keepDefault) stray.push('keep');
    if (stray.length) {
      fail('usage', {
        where: `--${stray[0]}`,
        detail: `--${stray.join(', --')} only apply to --k8s TAG${'runc' in args ? ' or --runc TAG' : ''}`,
      });
    }
    return;
  }
  validateTag(release.tag, release.kind);
  if (args.repo !== undefined && typeof args.repo !== 'string') fail('usage', { where: '--repo', detail: 'give it once' });
  if (args['cache-dir'] !== undefined && typeof args['cache-dir'] !== 'string') {
    fail('usage', { where: '--cache-dir', detail: 'give it once' });
  }
  checkTimeout(args);
}

/** Refuses a `--timeout` that is not a positive number of seconds (fetch, scan, build, verify: all that fetch). */
export function checkTimeout(args: Args): void {
  const t = args.timeout;
  if (t === undefined || (typeof t === 'number' && Number.isFinite(t) && t > 0)) return;
  // yargs turns a word into NaN: say what is wrong rather than echo "NaN".
  if (Number.isNaN(t)) fail('usage', { where: '--timeout', detail: 'not a number: give the seconds, e.g. --timeout 600' });
  fail('usage', { where: `--timeout ${String(t)}`, detail: 'must be a positive number of seconds' });
}

/**
 * The release flag given, if any: `--k8s TAG` (Kubernetes' tag grammar) or
 * `--runc TAG` (runc's, declared by the commands that build or read runc).
 */
export function releaseArg(args: Args): { flag: 'k8s' | 'runc'; kind: TagKind; tag: unknown } | undefined {
  if (args.k8s !== undefined) return { flag: 'k8s', kind: 'kubernetes', tag: args.k8s };
  if (args.runc !== undefined) return { flag: 'runc', kind: 'runc', tag: args.runc };
  return undefined;
}

/**
 * The acquireTree options the flags (and the settings file) ask for; the
 * cache part of a command's typed options. The settings file's `repo` names
 * the Kubernetes repository (or its mirror), which holds no runc tag, so
 * `--runc` only takes a typed --repo.
 */
export function acquireOptions(from: OptionSource): AcquireOptions {
  const k8s = from.string('k8s');
  const kind: TagKind | undefined = k8s !== undefined ? 'kubernetes' : from.string('runc') !== undefined ? 'runc' : undefined;
  const settings = from.settings();
  const typed = typedOrUnresolved(settings, 'repo');
  return {
    tag: String(k8s ?? from.string('runc')),
    tagKind: kind,
    repo: kind === 'runc' && !typed ? undefined : from.setting('repo'),
    repoFrom: typed ? undefined : settingSource(settings, 'repo'),
    cacheDir: from.setting('cacheDir'),
    keep: from.boolean('keep'),
    timeoutSeconds: from.number('timeout'),
  };
}
