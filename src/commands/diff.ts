/** `kpatch diff`: print the fix as a unified diff that `git apply` accepts; writes nothing. */
import type { Command } from '../cli.js';
import { EXIT } from '../errors.js';
import { nothingToDo, prepareRewrite, withModeOption } from './prepareRewrite.js';
import { checkSourceArgs, openSource, withSourceOptions } from './sourceOptions.js';

export const diffCommand: Command = {
  command: 'diff',
  describe: 'print the change a patch would make, as a git-style diff (nothing is written)',
  builder: (y) => withModeOption(withSourceOptions(y)),
  check: checkSourceArgs,
  async handler(args, io) {
    const source = await openSource(args, io);
    try {
      const { report, changes } = await prepareRewrite(source.root, String(args.mode));
      // jsdiff is loaded only by the commands that render a diff (start-up time, see bench-scan).
      const { renderDiff } = await import('../engine/diff.js');
      if (changes.length === 0) io.stderr.write(`kpatch: ${nothingToDo(report)}\n`);
      io.stdout.write(renderDiff(changes));
      return EXIT.ok;
    } finally {
      await source.release();
    }
  },
};
