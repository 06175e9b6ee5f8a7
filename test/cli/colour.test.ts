/**
 * Colour only for people: `kpatch diff` colours its diff, and errors their
 * `error[id]` tag, on a real terminal (a pseudo-terminal from util-linux
 * `script`), never when NO_COLOR is set or TERM is dumb, and never into a pipe.
 * The coloured diff, stripped of its codes, is the plain diff byte for byte.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, kpatch } from '../helpers/cli.js';
import { materializeStandin } from '../helpers/standin-repo.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'kpatch-colour-'));
const tree = path.join(tmp, 'tree');
const ESC = '\u001b[';

/** Runs kpatch with stdout and stderr on a pseudo-terminal; returns what the terminal showed. */
function onTerminal(args: string[], env: Record<string, string | undefined> = {}): { code: number; screen: string } {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  // `script` takes one shell command line; every word is quoted here.
  const line = [process.execPath, BIN, ...args].map(quote).join(' ');
  const base: Record<string, string | undefined> = { ...process.env, TERM: 'xterm-256color', ...env };
  if (!('NO_COLOR' in env)) delete base.NO_COLOR;
  const r = spawnSync('script', ['-qefc', line, '/dev/null'], { env: base as NodeJS.ProcessEnv, encoding: 'utf8' });
  if (r.error) throw r.error;
  return { code: r.status ?? 1, screen: r.stdout.replace(/\r\n/g, '\n') };
}

const strip = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '');

beforeAll(() => {
  materializeStandin('v1.12.4', tree);
});

describe('colour', () => {
  it('kpatch diff colours removed, added and hunk lines on a terminal, and nothing else changes', () => {
    const t = onTerminal(['diff', '--src', tree]);
    expect(t.code, t.screen).toBe(0);
    expect(t.screen).toContain(`${ESC}1mdiff --git a/`);
    expect(t.screen).toMatch(/\u001b\[36m@@ -\d+,\d+ \+\d+,\d+ @@/);
    expect(t.screen).toMatch(/\u001b\[31m-\t+if err := EnableKernelMemoryAccounting\(path\)/);
    expect(t.screen).toMatch(/\u001b\[32m\+\t+if d\.config\.KernelMemory != 0 \{/);
    const plain = kpatch(['diff', '--src', tree], { env: { NO_COLOR: undefined } });
    expect(plain.stdout).not.toContain(ESC); // a pipe: no colour even without NO_COLOR
    expect(strip(t.screen)).toBe(plain.stdout);
  });

  it('never with NO_COLOR set, or on a dumb terminal', () => {
    for (const env of [{ NO_COLOR: '1' }, { TERM: 'dumb' }]) {
      const t = onTerminal(['diff', '--src', tree], env);
      expect(t.code).toBe(0);
      expect(t.screen).toContain('+\t\t\tif d.config.KernelMemory != 0 {');
      expect(t.screen, JSON.stringify(env)).not.toContain(ESC);
    }
  });

  it('an error tag is coloured on a terminal only', () => {
    const t = onTerminal(['scan', '--src', path.join(tmp, 'nope')]);
    expect(t.code).toBe(2);
    expect(t.screen).toContain(`${ESC}1;31mkpatch: error[src_missing]${ESC}0m: source folder not found`);
    const piped = kpatch(['scan', '--src', path.join(tmp, 'nope')], { env: { NO_COLOR: undefined } });
    expect(piped.stderr).toMatch(/^kpatch: error\[src_missing\]: source folder not found/);
  });

  it('--json output never carries colour, even on a terminal', () => {
    const t = onTerminal(['diff', '--src', tree, '--json']);
    expect(t.code).toBe(0);
    expect(t.screen).not.toContain(ESC);
    expect(JSON.parse(t.screen).diff).toContain('+\t\t\tif d.config.KernelMemory != 0 {');
  });
});
