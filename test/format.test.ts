/**
 * The formatter is checked in CI: every file Prettier covers (see
 * .prettierignore for what it leaves alone, and why) must be formatted as
 * .prettierrc.json says. The failure lists the files and the command that
 * fixes them.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/cli.js';

describe('formatting', () => {
  it('every file Prettier covers is formatted (else run `npm run format`)', () => {
    const bin = path.join(REPO_ROOT, 'node_modules/prettier/bin/prettier.cjs');
    const r = spawnSync(process.execPath, [bin, '--list-different', '.'], { cwd: REPO_ROOT, encoding: 'utf8' });
    const unformatted = r.stdout.split('\n').filter(Boolean);
    expect(unformatted, `not formatted; run \`npm run format\` and commit:\n${unformatted.join('\n')}`).toEqual([]);
    expect(r.status, r.stderr).toBe(0);
  }, 600_000);
});
