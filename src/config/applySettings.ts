/**
 * Reads the settings file for a command and says, for every setting the
 * command takes, where its value comes from (flag, `KPATCH_CACHE_DIR`, the
 * file, default); `kpatch config` prints that. It changes nothing: the
 * command's resolver (src/commands/optionSource.ts) merges it with the parsed
 * flags into the command's typed options. Runs after the command's own checks,
 * so those only ever judge what was typed.
 *
 * Whether a flag was typed is read from argv itself: yargs hands over its
 * defaults and the typed values alike, and its defaults must lose to the file
 * while typed flags must win.
 */
import { fail } from '../errors.js';
import type { Io } from '../io.js';
import { CONFIG_FILE, loadConfig } from './loadConfig.js';
import { COMMAND_SETTINGS, SETTING_FLAGS, splitList, type SettingKey } from './settings.js';

/** Where an effective value came from. */
export type SettingOrigin = 'flag' | 'env KPATCH_CACHE_DIR' | typeof CONFIG_FILE | 'package.json#kpatch' | 'default';

/** One setting's effective value and origin. */
export interface EffectiveSetting {
  /** `null` when unset (the built-in behaviour applies). */
  value: string | string[] | null;
  origin: SettingOrigin;
}

/** What a command resolved: the effective value and origin of every setting it takes (what `kpatch config` prints). */
export interface ResolvedSettings {
  /** Absolute path of the settings file read, or null. */
  file: string | null;
  settings: Partial<Record<SettingKey, EffectiveSetting>>;
}

/** Where `key`'s value came from; `default` for a setting the command does not take. */
export function originOf(resolved: ResolvedSettings, key: SettingKey): SettingOrigin {
  return resolved.settings[key]?.origin ?? 'default';
}

/**
 * Whether `key` was typed as a flag (or the command takes no settings, so
 * whatever it has was typed): a value from the settings file may mean
 * something else for another target (the file's repo and registry are
 * Kubernetes', not runc's).
 */
export function typedOrUnresolved(resolved: ResolvedSettings, key: SettingKey): boolean {
  const origin = resolved.settings[key]?.origin;
  return origin === undefined || origin === 'flag';
}

/** `"repo" in /path/kpatch.config.json` when `key` came from the settings file, for messages; else undefined. */
export function settingSource(resolved: ResolvedSettings, key: SettingKey): string | undefined {
  const origin = resolved.settings[key]?.origin;
  if (!origin || origin === 'default' || origin === 'flag') return undefined;
  return `"${key}" in ${resolved.file ?? origin}`;
}

/** The flags typed on the command line, as kebab-case names, up to a bare `--`. */
export function typedFlags(argv: readonly string[]): Set<string> {
  const typed = new Set<string>();
  for (const token of argv) {
    if (token === '--') break;
    if (!token.startsWith('--')) continue;
    const name = token.slice(2).split('=')[0].replace(/^no-/, '');
    typed.add(name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`));
  }
  return typed;
}

/** What the settings layer says of one setting: its origin, and its value when that is not a flag or a default. */
export interface SettingSourceValue {
  origin: SettingOrigin;
  /** The file's value (origin: the file) or the environment's (origin: env); undefined for a flag or a default, which yargs holds. */
  value?: string | string[];
}

/** What the settings file and the environment say for one command, before the flags are merged in. */
export interface SettingsLayer {
  /** Absolute path of the settings file read, or null. */
  file: string | null;
  /** The flags typed on the command line (kebab-case names). */
  typed: ReadonlySet<string>;
  /** Every setting the command takes; empty for a command that takes none. */
  settings: Partial<Record<SettingKey, SettingSourceValue>>;
}

/**
 * Reads the settings file for the command `name` and says, for every setting
 * it takes, where its value comes from: a typed flag, `KPATCH_CACHE_DIR`, the
 * file, or the default. Changes nothing: the command's option resolver
 * (src/commands/optionSource.ts) merges this with the parsed flags.
 */
export async function applySettings(name: string, argv: readonly string[], io: Io): Promise<SettingsLayer> {
  const typed = typedFlags(argv);
  const spec = COMMAND_SETTINGS[name];
  if (!spec) return { file: null, typed, settings: {} };
  const config = await loadConfig(io);
  const layer: SettingsLayer = { file: config.file ?? null, typed, settings: {} };
  // --image and --registry exclude each other: a typed one silences the file's other one.
  const silenced = new Set<SettingKey>();
  if (typed.has('image')) silenced.add('registry');
  if (typed.has('registry')) silenced.add('image');

  for (const key of spec.keys) {
    const flag = SETTING_FLAGS[key];
    const fromFile = silenced.has(key) ? undefined : config.values[key];
    if (typed.has(flag)) layer.settings[key] = { origin: 'flag' };
    else if (key === 'cacheDir' && io.env.KPATCH_CACHE_DIR)
      layer.settings[key] = { origin: 'env KPATCH_CACHE_DIR', value: io.env.KPATCH_CACHE_DIR };
    else if (fromFile !== undefined) {
      if (key === 'mode') await checkMode(String(fromFile), name, spec.modes ?? 'source', config.file ?? CONFIG_FILE);
      layer.settings[key] = { origin: config.origin as SettingOrigin, value: fromFile };
    } else layer.settings[key] = { origin: 'default' };
  }
  return layer;
}

/**
 * A setting's effective value as `kpatch config` shows it, from its origin
 * and the value the command resolved (`arg`): the environment's value for
 * `env KPATCH_CACHE_DIR`, a list for platforms, null when unset.
 */
export function effectiveValue(key: SettingKey, arg: unknown, origin: SettingOrigin, env: Io['env']): string | string[] | null {
  if (origin === 'env KPATCH_CACHE_DIR') return env.KPATCH_CACHE_DIR ?? null;
  if (arg === undefined || arg === null) return null;
  if (key === 'platforms') return splitList(arg);
  return String(arg);
}

async function checkMode(mode: string, name: string, kind: 'source' | 'build', file: string): Promise<void> {
  const { buildModes, sourceModes } = await import('./modeChoices.js');
  const accepted = kind === 'build' ? buildModes() : sourceModes();
  if (accepted.includes(mode)) return;
  if (buildModes().includes(mode)) {
    fail('usage', {
      where: `mode "${mode}" from ${file}`,
      detail: `kpatch ${name} takes --mode ${accepted.join(' or ')}; "${mode}" only applies to kpatch build`,
      hint: `pass --mode ${accepted[0]} (flags override the settings file)`,
    });
  }
  fail('config_invalid', { where: file, detail: `"mode" must be one of ${buildModes().join(', ')}, not "${mode}"` });
}
