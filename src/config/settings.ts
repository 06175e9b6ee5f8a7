/**
 * The settings a team may fix once for repeat use (in `kpatch.config.json`
 * or the `kpatch` key of package.json), the flag each one stands for, and
 * which commands take which. Flags always win over the file; the file wins
 * over kpatch's built-in defaults.
 */
/** A comma-separated flag or setting (or one given as a list), split and trimmed, empty entries dropped. */
export function splitList(v: unknown): string[] {
  const all = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
  return all
    .flatMap((x) => String(x).split(','))
    .map((x) => x.trim())
    .filter(Boolean);
}

/** A platform as Go names it, os/arch (`linux/amd64`): one pattern for flags, the settings file and matrix. */
export const PLATFORM_PATTERN = /^[a-z0-9]+\/[a-z0-9]+$/;

/** The platform built when neither `--platform` nor the settings file names one. */
export const DEFAULT_PLATFORM = 'linux/amd64';

/** Where make may run (`--runner`): a container engine, the host Go, or `auto` (the first that works). */
export const RUNNER_CHOICES = ['auto', 'docker', 'podman', 'local'] as const;

/** A setting's name as written in the config file. */
export type SettingKey = 'repo' | 'registry' | 'image' | 'mode' | 'platforms' | 'cacheDir';

/** Every setting, in the order `kpatch config` prints them. */
export const SETTING_KEYS: readonly SettingKey[] = ['repo', 'registry', 'image', 'mode', 'platforms', 'cacheDir'];

/** The command-line flag each setting stands for. */
export const SETTING_FLAGS: Record<SettingKey, string> = {
  repo: 'repo',
  registry: 'registry',
  image: 'image',
  mode: 'mode',
  platforms: 'platform',
  cacheDir: 'cache-dir',
};

/** Which settings a command takes, and which modes it accepts. */
export interface CommandSettings {
  keys: readonly SettingKey[];
  /** Which modes `mode` may take (modeChoices.ts): source edits only, or a build's too. */
  modes?: 'source' | 'build';
}

/**
 * Settings per command (by the command's first word). Plain data, so reading
 * it costs a command that takes no settings nothing (start-up time). Kept here rather than
 * on each Command so that one table says what the config file can reach.
 * `verify` takes no repo: the manifest names the repository its build used.
 * `matrix` takes no cacheDir: its output runs on other machines.
 */
export const COMMAND_SETTINGS: Record<string, CommandSettings> = {
  build: { keys: SETTING_KEYS, modes: 'build' },
  config: { keys: SETTING_KEYS, modes: 'build' },
  matrix: { keys: ['repo', 'registry', 'image', 'mode', 'platforms'], modes: 'build' },
  diff: { keys: ['repo', 'mode', 'cacheDir'], modes: 'source' },
  patch: { keys: ['repo', 'mode', 'cacheDir'], modes: 'source' },
  scan: { keys: ['repo', 'cacheDir'] },
  fetch: { keys: ['repo', 'cacheDir'] },
  verify: { keys: ['cacheDir'] },
};
