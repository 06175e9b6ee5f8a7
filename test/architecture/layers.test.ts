/**
 * The layers of issue 15, checked by dependency-cruiser with the rules in
 * .dependency-cruiser.cjs: no import cycle (type-only imports count), no
 * library file importing the CLI, an engine that imports only itself, the
 * error catalogue and io. `npm run lint:deps` runs the same rules; this test
 * puts them in the fast suite too, and prints every broken rule as a list.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/cli.js';

const DEPCRUISE = path.join(REPO_ROOT, 'node_modules', '.bin', 'depcruise');

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
  cycle?: { name: string }[];
}

/** Runs depcruise with the repository's rules in `cwd`; one readable line per broken rule. */
async function brokenRules(cwd: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)(
    DEPCRUISE,
    ['src', 'patches', '--config', path.join(REPO_ROOT, '.dependency-cruiser.cjs'), '--output-type', 'json'],
    { cwd, maxBuffer: 64 << 20 },
  ).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' })); // exit 1 = violations: read them
  const result = JSON.parse(stdout) as { summary: { violations: (Violation & { rule: { severity: string } })[] } };
  return result.summary.violations
    .filter((v) => v.rule.severity !== 'ignore')
    .map((v) => `${v.rule.name}: ${v.cycle ? [v.from, ...v.cycle.map((c) => c.name)].join(' -> ') : `${v.from} -> ${v.to}`}`);
}

describe('layers (dependency-cruiser)', () => {
  it('src/ breaks no layering rule', async () => {
    const broken = await brokenRules(REPO_ROOT);
    expect(broken, `broken dependency rules:\n${broken.join('\n')}`).toEqual([]);
  });

  it('a library file importing the CLI, an engine file importing the library, and a cycle are each named', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kpatch-layers-'));
    cpSync(path.join(REPO_ROOT, 'tsconfig.json'), path.join(dir, 'tsconfig.json'));
    for (const d of ['src/commands', 'src/engine', 'src/source', 'patches']) mkdirSync(path.join(dir, d), { recursive: true });
    const files: Record<string, string> = {
      'src/cli.ts': "import './commands/index.js';\n",
      'src/commands/index.ts': "import { a } from '../source/a.js';\nexport const c = a;\n",
      'src/source/a.ts': "import type { C } from '../commands/command.js';\nexport const a = 1 as unknown as C;\n",
      'src/commands/command.ts': 'export type C = number;\n',
      'src/engine/walk.ts': "import { a } from '../source/a.js';\nexport const w = a;\n",
      'src/engine/x.ts': "import { y } from './y.js';\nexport const x = y;\n",
      'src/engine/y.ts': "import type { x } from './x.js';\nexport const y: typeof x | 1 = 1;\n",
    };
    for (const [f, text] of Object.entries(files)) writeFileSync(path.join(dir, f), text);
    const broken = await brokenRules(dir);
    expect(broken).toEqual(
      expect.arrayContaining([
        'library-not-to-cli: src/source/a.ts -> src/commands/command.ts',
        'engine-stays-generic: src/engine/walk.ts -> src/source/a.ts',
        expect.stringMatching(/^no-circular: src\/engine\/(x|y)\.ts -> /),
      ]),
    );
  });
});
