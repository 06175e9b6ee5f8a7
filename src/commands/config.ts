/**
 * `kpatch config`: the settings a command would run with here, and where each
 * came from (a flag, the environment, the settings file, or kpatch's
 * default). Takes the same flags, so `kpatch config --mode remove` shows a
 * flag overriding the file.
 */
import type { Command } from './command.js';
import { SUMMARIES } from './summaries.js';
import { EXIT } from '../errors.js';
import type { Io } from '../io.js';
import { withFlags, withModeOption } from './flags.js';
import { SETTING_FLAGS, SETTING_KEYS } from '../config/settings.js';
import type { ResolvedSettings } from '../config/applySettings.js';
import { DEFAULT_RECIPE_FACTS } from '../recipeFacts.js';
import { DEFAULT_REPO, resolveCacheDir } from '../source/cacheLayout.js';

/** Version of the `config --json` document. */
export const CONFIG_SCHEMA_VERSION = 1;

/** What an unset setting means, for people. */
const UNSET: Record<string, string> = {
  registry: "(registry.k8s.io, then the release era's own kube-cross registry)",
  image: "(the tree's kube-cross image)",
};

/** What `kpatch config` runs with: every setting's effective value and origin, and the output form. */
export interface ConfigOptions {
  resolved: ResolvedSettings;
  json: boolean;
}

/** The `kpatch config` command: flags, checks and handler (see the module comment and docs/commands/). */
export const configCommand: Command<ConfigOptions> = {
  ...SUMMARIES.config,
  builder: (y) =>
    withFlags(withModeOption(y, DEFAULT_RECIPE_FACTS, 'build'), ['repo', 'registry', 'image', 'platform', 'cache-dir']).option('json', {
      type: 'boolean',
      default: false,
      describe: 'print the settings as JSON (schemaVersion 1)',
    }),
  options: (from) => ({ resolved: from.settings(), json: from.boolean('json') }),
  async handler({ resolved, json }, io) {
    // Unset settings get the value kpatch would really use, so the output answers "what happens if I run it here".
    const settings = Object.fromEntries(
      SETTING_KEYS.map((k) => {
        const s = resolved.settings[k] ?? { value: null, origin: 'default' as const };
        if (s.value === null && k === 'repo') return [k, { value: DEFAULT_REPO, origin: s.origin }];
        if (s.value === null && k === 'cacheDir') return [k, { value: resolveCacheDir(undefined, io), origin: s.origin }];
        if (k === 'cacheDir' && typeof s.value === 'string') return [k, { value: resolveCacheDir(s.value, io), origin: s.origin }];
        return [k, s];
      }),
    );
    if (json) {
      io.stdout.write(JSON.stringify({ schemaVersion: CONFIG_SCHEMA_VERSION, cwd: io.cwd, file: resolved.file, settings }, null, 2) + '\n');
      return EXIT.ok;
    }
    printSettings(io, resolved.file, settings);
    return EXIT.ok;
  },
};

function printSettings(io: Io, file: string | null, settings: Record<string, { value: string | string[] | null; origin: string }>): void {
  const w = (s: string) => io.stdout.write(s + '\n');
  w(`settings file: ${file ?? `none (no kpatch.config.json or "kpatch" key in package.json in ${io.cwd})`}`);
  const rows = SETTING_KEYS.map((k) => {
    const s = settings[k];
    const value = s.value === null ? (UNSET[k] ?? '(unset)') : Array.isArray(s.value) ? s.value.join(',') : s.value;
    return [k, value, s.origin === 'flag' ? `flag --${SETTING_FLAGS[k]}` : s.origin];
  });
  const width = [0, 1].map((i) => Math.max(...rows.map((r) => r[i].length)));
  w(`${'setting'.padEnd(width[0])}  ${'value'.padEnd(width[1])}  from`);
  for (const [k, v, o] of rows) w(`${k.padEnd(width[0])}  ${v.padEnd(width[1])}  ${o}`);
}
