/**
 * The start-up saving of src/yargsLite.ts (yargs without its help renderer,
 * docs/fleet-matrix.md "Start-up cost") rests on yargs' internal layout: the
 * installed yargs must give the lite flavour, and it must parse and refuse
 * exactly as the full yargs does.
 */
import { describe, expect, it } from 'vitest';
import { loadYargs } from '../../src/yargsLite.js';

type Outcome = { err?: string; args?: Record<string, unknown> };

async function parseWith(withHelp: boolean, argv: string[]): Promise<Outcome> {
  const yargs = await loadYargs(withHelp);
  const y = yargs(argv)
    .strict()
    .exitProcess(false)
    .showHelpOnFail(false)
    .option('platform', { type: 'string', default: 'linux/amd64' })
    .option('mode', { type: 'string', choices: ['guard', 'remove'] })
    .option('json', { type: 'boolean', default: false });
  return new Promise((resolve) => {
    y.parse(argv, {}, (err, args) =>
      resolve(err ? { err: err.message } : { args: { platform: args.platform, mode: args.mode, json: args.json } }),
    );
  });
}

describe('yargsLite', () => {
  it('the installed yargs loads without its help renderer', async () => {
    const mod = await import('../../src/yargsLite.js');
    await mod.loadYargs(false);
    expect(mod.loadedFlavour).toBe('lite');
  });

  it.each([[['--mode', 'guard', '--json']], [['--mode', 'nope']], [['--no-such-flag']], [['--platform', 'linux/arm64', 'extra']]])(
    'parses %j as the full yargs does',
    async (argv) => {
      expect(await parseWith(false, argv)).toEqual(await parseWith(true, argv));
    },
  );
});
