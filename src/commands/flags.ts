/**
 * The flag catalogue: every flag more than one command takes, declared once
 * with one help text. A command composes the entries it takes
 * (`withFlags(y, ['repo', 'platform'])`); `--mode` is built from the recipe
 * the command passes in. Imports only plain data (config/settings.ts) and
 * types, so a command's start-up pays for nothing it does not run.
 */
import type { Argv, Options } from 'yargs';
import { DEFAULT_PLATFORM, RUNNER_CHOICES } from '../config/settings.js';
import type { RecipeFacts } from '../engine/recipe.js';
import { fail } from '../errors.js';
import { fixChoices, fixMode, parseFix, type EditFix, type Fix, type FixScope } from '../rewrite/fix.js';
import type { OptionSource } from './optionSource.js';

/** The shared flags, by name. */
export const FLAGS = {
  platform: { type: 'string', default: DEFAULT_PLATFORM, describe: 'comma-separated os/arch list, e.g. linux/amd64,linux/arm64' },
  runner: {
    type: 'string',
    choices: [...RUNNER_CHOICES],
    default: 'auto',
    describe: 'where make runs: a container engine, or the host Go',
  },
  repo: { type: 'string', requiresArg: true, describe: 'git URL or local path of the Kubernetes repository or a mirror' },
  registry: {
    type: 'string',
    requiresArg: true,
    describe: 'registry HOST/PATH that mirrors kube-cross (for runc: mirrors docker.io/library, where golang lives) (air-gapped builds)',
  },
  image: {
    type: 'string',
    requiresArg: true,
    describe: 'build image reference (overrides the kube-cross image of the tree, or for runc the golang image of its Dockerfile)',
  },
  'cache-dir': {
    type: 'string',
    requiresArg: true,
    describe: 'tag cache folder [default: $KPATCH_CACHE_DIR, else $XDG_CACHE_HOME/kpatch, else ~/.cache/kpatch]',
  },
  timeout: { type: 'number', requiresArg: true, describe: 'seconds the remote may send nothing before the fetch is stopped' },
} satisfies Record<string, Options>;

/** A catalogue flag's name. */
export type FlagName = keyof typeof FLAGS;

/**
 * Declares catalogue flags on `y`. `tweak` adjusts an entry for one command
 * where its meaning differs (a default, or the help's `[default: ...]`),
 * keeping the rest of the declaration shared.
 */
export function withFlags(y: Argv, names: readonly FlagName[], tweak: Partial<Record<FlagName, Options>> = {}): Argv {
  return names.reduce((acc, n) => acc.option(n, { ...FLAGS[n], ...tweak[n] }), y);
}

/**
 * `--mode` for a command of `scope`: the recipe's editing modes (diff,
 * patch), plus its build tag and `auto` (build, matrix, config), each with
 * the recipe's own words.
 */
export function modeFlag(recipe: Pick<RecipeFacts, 'modes' | 'defaultMode' | 'modeHelp' | 'buildTag'>, scope: FixScope): Options {
  const tag = scope === 'build' ? recipe.buildTag : undefined;
  return {
    type: 'string',
    choices: [...fixChoices(recipe, scope)],
    default: recipe.defaultMode,
    describe:
      recipe.modes.map((m) => `${m}: ${recipe.modeHelp[m]}`).join('; ') +
      (tag ? `; ${tag.name}: ${tag.help}; auto: ${tag.name} when the tree supports it, else ${recipe.defaultMode}` : ''),
  };
}

/** Declares `--mode` (see modeFlag). */
export function withModeOption(y: Argv, recipe: Parameters<typeof modeFlag>[0], scope: FixScope): Argv {
  return y.option('mode', modeFlag(recipe, scope));
}

/**
 * The Fix `--mode` (or the settings file's `mode`) names: the one place a
 * mode word becomes a Fix. yargs and the settings layer have checked the word
 * against the same list (fixChoices), so a miss here is kpatch's own bug.
 */
export function fixFrom(from: OptionSource, recipe: Pick<RecipeFacts, 'modes' | 'buildTag'>, scope: FixScope): Fix {
  const mode = from.setting('mode');
  const fix = mode === undefined ? undefined : parseFix(recipe, scope, mode);
  return fix ?? fail('internal', { detail: `--mode ${String(mode)} passed the checks but names no fix` });
}

/** The edit a source command (diff, patch) makes: fixFrom in the `source` scope, which takes edits only. */
export function editFrom(from: OptionSource, recipe: Pick<RecipeFacts, 'modes' | 'buildTag'>): EditFix {
  const fix = fixFrom(from, recipe, 'source');
  return fix.kind === 'edit' ? fix : fail('internal', { detail: `--mode ${fixMode(fix)} is not an edit` });
}
