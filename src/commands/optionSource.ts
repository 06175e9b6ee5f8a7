/**
 * The one reader of a command's parsed flags. cli.ts builds an OptionSource
 * from yargs' arguments and the settings layer (config/applySettings.ts),
 * and hands it to the command's `options` function, which turns it into the
 * command's typed options once; handlers and the library only ever see that
 * typed object.
 *
 * Precedence, as `kpatch config` shows it: a typed flag wins over
 * `KPATCH_CACHE_DIR` (cache folder only), which wins over the settings file,
 * which wins over the default yargs filled in.
 */
import { applySettings, effectiveValue, type ResolvedSettings, type SettingsLayer } from '../config/applySettings.js';
import { SETTING_FLAGS, splitList, type SettingKey } from '../config/settings.js';
import { fail } from '../errors.js';
import type { Io } from '../io.js';

/** Parsed arguments as yargs hands them over. */
export type Args = Record<string, unknown> & { _: (string | number)[] };

/** yargs' parsed flags merged with the settings layer: what a command's `options` function reads. */
export class OptionSource {
  /**
   * @param args yargs' arguments (flags as typed, or yargs' defaults); never changed.
   * @param layer what the settings file and the environment say (applySettings).
   */
  constructor(
    private readonly args: Readonly<Args>,
    private readonly layer: SettingsLayer,
    private readonly env: Io['env'],
  ) {}

  /** Reads the settings file for the command `name` (by its first word) and wraps `args`. */
  static async read(name: string, args: Args, argv: readonly string[], io: Io): Promise<OptionSource> {
    return new OptionSource(args, await applySettings(name, argv, io), io.env);
  }

  /** A string flag (or positional) as typed, else its yargs default; undefined when neither. */
  string(flag: string): string | undefined {
    const v = this.args[flag];
    return v === undefined || v === null ? undefined : String(v);
  }

  /** A string flag the command's checks made sure of; an internal error if it is missing. */
  required(flag: string): string {
    return this.string(flag) ?? fail('internal', { detail: `--${flag} passed the checks but has no value` });
  }

  /** A boolean flag (false when absent). */
  boolean(flag: string): boolean {
    return Boolean(this.args[flag]);
  }

  /** A number flag (the command's checks refused anything but a finite number). */
  number(flag: string): number | undefined {
    const v = this.args[flag];
    return typeof v === 'number' ? v : undefined;
  }

  /** A comma-separated flag as a list. */
  list(flag: string): string[] {
    return splitList(this.args[flag]);
  }

  /** Whether `flag` was typed on the command line (not a default, not the settings file). */
  typed(flag: string): boolean {
    return this.layer.typed.has(flag);
  }

  /**
   * The value of a setting the command takes: the typed flag, else the
   * settings file's value (a list joined with commas, as a flag would give
   * it), else yargs' default. `KPATCH_CACHE_DIR` is not a value here: the
   * cache folder's resolver reads the environment itself, so an env origin
   * leaves the value undefined.
   */
  setting(key: SettingKey): string | undefined {
    const s = this.layer.settings[key];
    // Only the file's values are taken here; the layer holds the environment's too, for its origin.
    if (s?.value !== undefined && s.origin !== 'env KPATCH_CACHE_DIR') return Array.isArray(s.value) ? s.value.join(',') : s.value;
    return this.string(SETTING_FLAGS[key]);
  }

  /** A list setting (platforms) as a list. */
  settingList(key: SettingKey): string[] {
    return splitList(this.setting(key));
  }

  /** Every setting the command takes, with its effective value and where it came from. */
  settings(): ResolvedSettings {
    const resolved: ResolvedSettings = { file: this.layer.file, settings: {} };
    for (const [key, s] of Object.entries(this.layer.settings) as [SettingKey, NonNullable<SettingsLayer['settings'][SettingKey]>][]) {
      resolved.settings[key] = { value: effectiveValue(key, this.setting(key), s.origin, this.env), origin: s.origin };
    }
    return resolved;
  }
}
