/**
 * src/quickArgs.ts parses plain command lines without yargs. Its promise is
 * that a command never notices which parser ran: for every command and lines
 * of every shape, it gives exactly yargs' arguments object or steps aside.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Options } from 'yargs';
import { parseWithYargs, run } from '../../src/cli.js';
import { COMMANDS } from '../../src/commands/index.js';
import type { Command } from '../../src/commands/command.js';
import { captureIo } from '../../src/io.js';
import { quickArgs } from '../../src/commands/quickArgs.js';
import { makeFakeNode, removeFakeNode } from '../helpers/fakeNode.js';

/** The options a command declares, read by running its builder against a recorder. */
function declared(cmd: Command): Map<string, Options> {
  const options = new Map<string, Options>();
  const y: Record<string, unknown> = new Proxy(
    {},
    {
      get: (_t, key) => (key === 'option' || key === 'positional' ? (n: string, o: Options) => (options.set(n, o), y) : () => y),
    },
  );
  cmd.builder(y as never);
  return options;
}

/** Lines of every shape for `name`: each flag alone, negated, with `=`, repeated, wrong, and all together. */
function lines(name: string, cmd: Command): string[][] {
  const positional = [...cmd.command.matchAll(/<([\w-]+)>/g)].map(() => 'some/dir');
  const out: string[][] = [[name, ...positional], [name], [name, ...positional, 'extra'], [name, ...positional, '--no-such-flag']];
  const all: string[] = [name, ...positional];
  for (const [flag, o] of declared(cmd)) {
    if (cmd.command.includes(`<${flag}>`)) continue;
    const base = [name, ...positional];
    if (o.type === 'boolean') {
      out.push([...base, `--${flag}`], [...base, `--no-${flag}`], [...base, `--${flag}`, `--${flag}`], [...base, `--${flag}=false`]);
      all.push(`--${flag}`);
      continue;
    }
    const value = o.choices ? String((o.choices as unknown[]).at(-1)) : o.type === 'number' ? '42' : 'a/b';
    out.push(
      [...base, `--${flag}`, value],
      [...base, `--${flag}=${value}`],
      [...base, `--${flag}`],
      [...base, `--${flag}=`],
      [...base, `--${flag}`, value, `--${flag}`, value],
      [...base, `--${flag}`, '-x'],
      [...base, `--${flag}`, o.type === 'number' ? 'ten' : 'not-a-choice'],
      [...base, `--no-${flag}`],
      [...base, '-h'],
      [...base, '--', `--${flag}`],
    );
    all.push(`--${flag}`, value);
  }
  out.push(all);
  return out;
}

const withoutScript = (a: Record<string, unknown> | undefined) => a && { ...a, $0: undefined };

// First: it checks that yargs was never loaded in this file's process.
describe('kpatch doctor --format npd', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'kpatch-quick-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('runs without loading yargs (the node-problem-detector probe pays for no parser library)', async () => {
    const root = makeFakeNode({ mode: 'v1', kernel: '3.10.0-1160.el7.x86_64', cgroups: { kubepods: 'on' } });
    try {
      const io = captureIo();
      const code = await run(['doctor', '--root', root, '--format', 'npd'], io);
      expect(code).toBe(1);
      expect(io.out()).toMatch(/^kmem /);
      const { loadedFlavour } = await import('../../src/yargsLite.js');
      expect(loadedFlavour).toBeUndefined();
      // A line it does not take still goes through yargs, with yargs' message.
      const bad = captureIo();
      expect(await run(['doctor', '--root', root, '--format', 'xml'], bad)).toBe(2);
      expect(bad.err()).toMatch(/Invalid values:[\s\S]*format/);
      expect((await import('../../src/yargsLite.js')).loadedFlavour).toBe('lite');
    } finally {
      removeFakeNode(root);
    }
  });
});

describe('quickArgs', () => {
  for (const [name, load] of Object.entries(COMMANDS)) {
    it(`${name}: every line it takes gives yargs' arguments, and every line yargs refuses is left to yargs`, async () => {
      const cmd = await load();
      let quick = 0;
      for (const line of lines(name, cmd)) {
        const mine = quickArgs(cmd, name, line.slice(1));
        const theirs = await parseWithYargs(line, [name], false);
        if (!mine) continue;
        quick++;
        expect(theirs.err?.message, `yargs refuses ${line.join(' ')}`).toBeUndefined();
        expect(withoutScript(mine), line.join(' ')).toEqual(withoutScript(theirs.chosen?.args));
      }
      // The plain lines (the command alone, each flag once, all flags) are taken quickly.
      expect(quick).toBeGreaterThan(declared(cmd).size);
    });
  }
});
