/**
 * PATH lookup without a shell: tells "not installed" apart from "installed
 * but not working", which need different messages.
 */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

/**
 * The absolute path of the first executable file named `name` in the
 * folders of `env.PATH`, or undefined. A `name` with a slash is checked as
 * given.
 */
export function findExecutable(name: string, env: Record<string, string | undefined>): string | undefined {
  const candidates = name.includes('/')
    ? [name]
    : (env.PATH ?? '')
        .split(path.delimiter)
        .filter((dir) => dir !== '') // an empty entry means the current folder: never trust it
        .map((dir) => path.join(dir, name));
  for (const file of candidates) {
    try {
      if (!statSync(file).isFile()) continue;
      accessSync(file, constants.X_OK);
      return path.resolve(file);
    } catch {
      // Missing or not executable: try the next folder.
    }
  }
  return undefined;
}
