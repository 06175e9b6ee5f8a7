/**
 * docs/errors.md is generated from the error catalogue (scripts/gen-errors-doc.mjs):
 * a new or changed error that was not regenerated fails here, and the failure
 * names the command that fixes it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERRORS, EXIT } from '../src/errors.js';
// @ts-expect-error: a plain .mjs script without type declarations
import { ERRORS_DOC, REGENERATE, renderErrorsDoc } from '../scripts/gen-errors-doc.mjs';
import { REPO_ROOT } from './helpers/cli.js';

const SCRIPT = path.join(REPO_ROOT, 'scripts/gen-errors-doc.mjs');
const check = (file?: string) =>
  spawnSync(process.execPath, [SCRIPT, '--check', ...(file ? ['--file', file] : [])], { cwd: REPO_ROOT, encoding: 'utf8' });

describe('docs/errors.md', () => {
  const page = readFileSync(ERRORS_DOC, 'utf8');

  it('is exactly what the generator writes from src/errors.ts (else run `npm run docs:errors`)', () => {
    expect(page, `docs/errors.md is stale: run \`${REGENERATE}\``).toBe(renderErrorsDoc({ ERRORS, EXIT }));
  });

  it.each(Object.entries(ERRORS))('lists %s with its exit code, title and hint, under an anchor of its id', (id, spec) => {
    expect(page).toContain(`| [\`${id}\`](#${id}) | ${spec.exit} |`);
    expect(page).toContain(`\n### ${id}\n\nExit ${spec.exit}: ${spec.title}.`);
    expect(page).toContain(spec.hint);
  });

  it('`--check` passes on the committed page and fails on a stale one, naming the command to run', () => {
    const ok = check();
    expect(ok.status, ok.stderr).toBe(0);
    const stale = path.join(mkdtempSync(path.join(os.tmpdir(), 'kpatch-errdoc-')), 'errors.md');
    writeFileSync(stale, page.replace(/^\| \[`dirty_files`\].*\n/m, ''));
    const r = check(stale);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('is not what src/errors.ts generates');
    expect(r.stderr).toContain('npm run docs:errors');
  });

  it('every doc link in the catalogue points at a page that exists', () => {
    for (const [id, spec] of Object.entries(ERRORS)) {
      for (const [, rel] of spec.hint.matchAll(/\b(docs\/[\w/.-]+\.md)\b/g)) {
        expect(() => readFileSync(path.join(REPO_ROOT, rel)), `${id}: ${rel}`).not.toThrow();
      }
      expect(spec.hint, id).not.toMatch(/README, "(Configuration|Exit codes)/);
    }
  });
});
