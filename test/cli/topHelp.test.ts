/**
 * `kpatch --help` lists every command from commands/summaries.ts without
 * loading the command modules; the list must still be the commands kpatch
 * runs, each with its own usage string and summary.
 */
import { describe, expect, it } from 'vitest';
import { run } from '../../src/cli.js';
import { COMMANDS } from '../../src/commands/index.js';
import { SUMMARIES } from '../../src/commands/summaries.js';
import { captureIo } from '../../src/io.js';

describe('kpatch --help', () => {
  it('lists every command kpatch runs, in order, with the usage and summary its module declares', async () => {
    expect(Object.keys(SUMMARIES)).toEqual(Object.keys(COMMANDS));
    const io = captureIo();
    expect(await run(['--help'], io)).toBe(0);
    const listed = [...io.out().matchAll(/^ {2}kpatch (\w+)/gm)].map((m) => m[1]);
    expect(listed).toEqual(Object.keys(COMMANDS));
    const flat = io.out().replace(/\s+/g, ' ');
    for (const [name, load] of Object.entries(COMMANDS)) {
      const cmd = await load();
      expect(flat).toContain(`kpatch ${cmd.command} ${cmd.describe}`);
      expect(SUMMARIES[name as keyof typeof SUMMARIES]).toEqual({ command: cmd.command, describe: cmd.describe });
    }
  });
});
