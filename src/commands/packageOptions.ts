/**
 * The packaging flags, declared once for the two commands that package:
 * `kpatch package DIR --format ...` and `kpatch build --package ...` (the
 * list flag is named differently in each; everything else is shared).
 */
import type { Argv } from 'yargs';
import { fail } from '../errors.js';
import { DEFAULT_MAINTAINER } from '../package/layout.js';
import type { Args, OptionSource } from './optionSource.js';

/** The formats a list flag may name. */
const FORMATS = ['rpm', 'deb'];

/** What the packaging flags resolve to. */
export interface PackagingOptions {
  /** The formats asked for, in the order given, each once. */
  formats: string[];
  rebuild: number;
  baseRelease?: number;
  rebootSentinel: boolean;
  maintainer: string;
}

/** Declares the packaging flags; `list` is `format` (kpatch package, default rpm,deb) or `package` (build, no default: no packages). */
export function packagingFlags(y: Argv, list: 'format' | 'package'): Argv {
  return y
    .option(list, {
      type: 'string',
      requiresArg: true,
      ...(list === 'format' ? { default: 'rpm,deb' } : {}),
      describe: `package formats, comma-separated: rpm, deb${list === 'package' ? ' (written to packages/ in --out; see kpatch package)' : ''}`,
    })
    .option('rebuild', {
      type: 'number',
      default: 1,
      describe: 'rebuild number N in the release (0.kpatchN.<mode>): raise it to upgrade your own earlier package',
    })
    .option('base-release', {
      type: 'number',
      requiresArg: true,
      describe: "the official package's release to sort after (default: what the era facts say, 0 or 1)",
    })
    .option('reboot-sentinel', {
      type: 'boolean',
      default: true,
      describe: 'the packages create /var/run/reboot-required when they replace an unfixed binary (--no-reboot-sentinel: never)',
    })
    .option('maintainer', { type: 'string', requiresArg: true, describe: `DEB Maintainer field [default: ${DEFAULT_MAINTAINER}]` });
}

/** The formats in a list value; a usage error for an unknown or repeated one. */
function parseFormats(value: string, flag: string): string[] {
  const out: string[] = [];
  for (const f of value.split(',').map((x) => x.trim())) {
    if (!FORMATS.includes(f))
      fail('usage', {
        where: `--${flag} ${value}`,
        detail: `${JSON.stringify(f)} is not a package format kpatch makes: give ${FORMATS.join(', ')} or both (comma-separated)`,
      });
    if (out.includes(f)) fail('usage', { where: `--${flag} ${value}`, detail: `${f} is named twice` });
    out.push(f);
  }
  return out;
}

/** The checks and the resolver of the packaging flags. */
export const packagingFrom = {
  /** Checks the flags as typed (before anything runs). */
  check(args: Args, list: 'format' | 'package'): void {
    if (typeof args[list] === 'string') parseFormats(args[list], list);
    for (const f of ['rebuild', 'base-release']) {
      const v = args[f];
      if (v === undefined) continue;
      const min = f === 'rebuild' ? 1 : 0;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > 99)
        fail('usage', { where: `--${f} ${String(v)}`, detail: `a whole number from ${min} to 99` });
    }
    if (args.maintainer !== undefined && (typeof args.maintainer !== 'string' || !/^[^\n<>]+ <[^\s<>]+@[^\s<>]+>$/.test(args.maintainer)))
      fail('usage', { where: '--maintainer', detail: 'give "Name <email>", once' });
  },
  /** The resolved options; `formats` is empty when `list` was not given (build without --package). */
  options(from: OptionSource, list: 'format' | 'package'): PackagingOptions {
    const value = from.string(list);
    return {
      formats: value === undefined ? [] : parseFormats(value, list),
      rebuild: from.number('rebuild') ?? 1,
      baseRelease: from.number('base-release'),
      rebootSentinel: from.boolean('reboot-sentinel'),
      maintainer: from.string('maintainer') ?? DEFAULT_MAINTAINER,
    };
  },
};
