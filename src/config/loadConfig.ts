/**
 * Reads the settings file of the working folder: `kpatch.config.json`, or
 * the `kpatch` key of `package.json`. Only the working folder is read (no
 * search upwards): a build's settings should not change with the folder a
 * release engineer happens to stand in, and CI runs from the checkout root.
 * Unknown keys and wrong types are errors, so a typo never goes unnoticed.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fail, KpatchError } from '../errors.js';
import type { Io } from '../io.js';
import { readBounded, UnsafeFile } from '../readBounded.js';
import { PLATFORM_PATTERN, SETTING_KEYS, type SettingKey } from './settings.js';

/** The name of kpatch's own settings file. */
export const CONFIG_FILE = 'kpatch.config.json';

/** The largest settings file (or package.json) kpatch reads: a real one is a few hundred bytes, a large package.json some KB. */
export const MAX_SETTINGS_BYTES = 4 << 20;

/** What the file set, and where it was read from. */
export interface LoadedConfig {
  /** `kpatch.config.json`, `package.json#kpatch`, or undefined when neither is there. */
  origin?: string;
  /** Absolute path of the file read. */
  file?: string;
  values: Partial<Record<SettingKey, string | string[]>>;
}

/** Loads the working folder's settings; an empty result when there are none. */
export async function loadConfig(io: Io): Promise<LoadedConfig> {
  const own = path.join(io.cwd, CONFIG_FILE);
  const pkg = path.join(io.cwd, 'package.json');
  const ownText = await readIfThere(own, io.signal);
  const pkgText = await readIfThere(pkg, io.signal);
  const pkgValue = pkgText === undefined ? undefined : (parse(pkgText, pkg) as Record<string, unknown> | null)?.kpatch;
  if (ownText !== undefined && pkgValue !== undefined) {
    fail('config_invalid', {
      where: io.cwd,
      detail: `both ${CONFIG_FILE} and the "kpatch" key of package.json are here; kpatch will not guess which one you meant`,
      hint: `keep one of them (${CONFIG_FILE} is the one kpatch config documents)`,
    });
  }
  if (ownText !== undefined) return { origin: CONFIG_FILE, file: own, values: validate(parse(ownText, own), own, io.cwd) };
  if (pkgValue !== undefined)
    return { origin: 'package.json#kpatch', file: pkg, values: validate(pkgValue, `${pkg} ("kpatch" key)`, io.cwd) };
  return { values: {} };
}

/**
 * The file's text, or undefined when there is none. A working folder that
 * cannot be searched (no x permission) has no settings file as far as kpatch
 * can tell, and must not stop a command that works elsewhere; a file that
 * exists but cannot be read is an error, and so is one that is not a regular
 * file (a FIFO would hang every command, a link to /dev/zero never ends) or
 * is larger than MAX_SETTINGS_BYTES (readBounded.ts).
 */
async function readIfThere(file: string, signal?: AbortSignal): Promise<string | undefined> {
  try {
    return (await readBounded(file, { maxBytes: MAX_SETTINGS_BYTES, signal })).toString('utf8');
  } catch (e) {
    if (e instanceof UnsafeFile)
      fail('config_invalid', {
        where: file,
        detail: `it ${e.reason}`,
        hint: `make ${path.basename(file)} a regular file holding JSON, or remove it`,
      });
    if (e instanceof KpatchError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    if ((code === 'EACCES' || code === 'EPERM') && !(await stat(file).catch(() => undefined))) return undefined;
    fail('config_invalid', { where: file, detail: (e as Error).message });
  }
}

function parse(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    fail('config_invalid', { where, detail: `not valid JSON: ${(e as Error).message}` });
  }
}

/** Checks every key and value; returns the values with cacheDir made absolute. */
function validate(raw: unknown, where: string, base: string): LoadedConfig['values'] {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    fail('config_invalid', { where, detail: 'the settings must be a JSON object, e.g. {"mode": "guard", "platforms": ["linux/amd64"]}' });
  }
  const out: LoadedConfig['values'] = {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (key === '$schema') continue; // lets editors validate the file against schemas/kpatch.config.schema.json
    if (!(SETTING_KEYS as readonly string[]).includes(key)) {
      problems.push(`unknown setting "${key}" (known: ${SETTING_KEYS.join(', ')})`);
      continue;
    }
    if (key === 'platforms') {
      if (!Array.isArray(value) || value.length === 0 || !value.every((p) => typeof p === 'string' && PLATFORM_PATTERN.test(p))) {
        problems.push('"platforms" must be a non-empty list of os/arch strings, e.g. ["linux/amd64", "linux/arm64"]');
        continue;
      }
      out.platforms = value as string[];
      continue;
    }
    if (typeof value !== 'string' || value.trim() === '') {
      problems.push(`"${key}" must be a non-empty string`);
      continue;
    }
    // A relative cache folder means the same place whichever command reads the file.
    out[key as SettingKey] = key === 'cacheDir' ? path.resolve(base, value) : value;
  }
  if (out.image !== undefined && out.registry !== undefined) {
    problems.push('"image" names the whole reference and "registry" a mirror of kube-cross: set one of them');
  }
  if (problems.length) fail('config_invalid', { where, detail: problems.join('\n') });
  return out;
}
