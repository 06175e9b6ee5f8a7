/**
 * The flag catalogue: every flag more than one command takes, declared once
 * with one help text. Commands compose these; nothing here loads the library
 * (only the recipe's data), so a command's start-up pays for its flags only.
 */
import type { Argv } from 'yargs';
import { DEFAULT_RECIPE } from '../recipes.js';

/**
 * Declares `--mode` with the recipe's editing modes. `build` also offers the
 * recipe's build tag (no source change) and `auto` (the tag when the tree has
 * it, else the default edit); diff and patch only edit source.
 */
export function withModeOption(y: Argv, opts: { build?: boolean } = {}): Argv {
  const tag = opts.build ? DEFAULT_RECIPE.buildTag?.name : undefined;
  return y.option('mode', {
    type: 'string',
    choices: [...DEFAULT_RECIPE.modes, ...(tag ? [tag, 'auto'] : [])],
    default: DEFAULT_RECIPE.defaultMode,
    describe:
      'guard: restore the KernelMemory != 0 test; remove: delete the call' +
      (tag ? `; ${tag}: no source change, build with -tags=${tag} (Kubernetes 1.14 to 1.21.1); auto: ${tag} when the tree supports it, else ${DEFAULT_RECIPE.defaultMode}` : ''),
  });
}

