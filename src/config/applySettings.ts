/**
 * Fills a command's arguments from the settings file, for every setting the
 * user did not give as a flag, and records where each effective value came
 * from (`kpatch config` prints that). Runs after the command's own checks,
 * so those only ever judge what was typed.
 *
 * Whether a flag was typed is read from argv itself: yargs hands over its
 * defaults and the typed values alike, and its defaults must lose to the file
 * while typed flags must win.
 */
import { fail } from '../errors.js';
import type { Io } from '../io.js';
import { CONFIG_FILE, loadConfig } from './loadConfig.js';
import { COMMAND_SETTINGS, SETTING_FLAGS, type SettingKey } from './settings.js';

/** Where an effective value came from. */
export type SettingOrigin = 'flag' | 'env KPATCH_CACHE_DIR' | typeof CONFIG_FILE | 'package.json#kpatch' | 'default';

/** One setting's effective value and origin. */
export interface EffectiveSetting {
  /** `null` when unset (the built-in behaviour applies). */
  value: string | string[] | null;
  origin: SettingOrigin;
}

/** What applySettings resolved: the value and origin of every setting the command takes. */
export interface ResolvedSettings {
  /** Absolute path of the settings file read, or null. */
  file: string | null;
  settings: Partial<Record<SettingKey, EffectiveSetting>>;
}

/** The resolution of a command that takes no settings. */
export const NO_SETTINGS: ResolvedSettings = { file: null, settings: {} };

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

/**
 * Fills the settings file's values into `args` for the command `name`, where
 * no flag was typed, and returns where every setting came from (handed to the
 * command's handler). NO_SETTINGS for commands that take none.
 */
export async function applySettings(
  name: string,
  args: Record<string, unknown>,
  argv: readonly string[],
  io: Io,
): Promise<ResolvedSettings> {
  const spec = COMMAND_SETTINGS[name];
  if (!spec) return NO_SETTINGS;
  const config = await loadConfig(io);
  const typed = typedFlags(argv);
  const resolved: ResolvedSettings = { file: config.file ?? null, settings: {} };
  // --image and --registry exclude each other: a typed one silences the file's other one.
  const silenced = new Set<SettingKey>();
  if (typed.has('image')) silenced.add('registry');
  if (typed.has('registry')) silenced.add('image');

  for (const key of spec.keys) {
    const flag = SETTING_FLAGS[key];
    const fromFile = silenced.has(key) ? undefined : config.values[key];
    let origin: SettingOrigin = 'default';
    if (typed.has(flag)) origin = 'flag';
    else if (key === 'cacheDir' && io.env.KPATCH_CACHE_DIR) origin = 'env KPATCH_CACHE_DIR';
    else if (fromFile !== undefined) {
      origin = config.origin as SettingOrigin;
      if (key === 'mode') await checkMode(String(fromFile), name, spec.modes ?? 'source', config.file ?? CONFIG_FILE);
      args[flag] = Array.isArray(fromFile) ? fromFile.join(',') : fromFile;
      // yargs keeps a camelCase twin of every dashed flag; keep them equal.
      const camel = flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
      if (camel !== flag) args[camel] = args[flag];
    }
    resolved.settings[key] = { value: effectiveValue(key, args[flag], origin, io), origin };
  }
  return resolved;
}

function effectiveValue(key: SettingKey, arg: unknown, origin: SettingOrigin, io: Io): string | string[] | null {
  if (origin === 'env KPATCH_CACHE_DIR') return io.env.KPATCH_CACHE_DIR ?? null;
  if (arg === undefined || arg === null) return null;
  if (key === 'platforms')
    return String(arg)
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
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
