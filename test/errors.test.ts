/**
 * The error catalogue is the single list of what users can see: every entry
 * has a hint and a documented exit code, and the README's table lists every id.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERRORS, EXIT, KpatchError } from '../src/errors.js';
import { REPO_ROOT } from './helpers/cli.js';

describe('error catalogue', () => {
  // The README's table, and the error tables of the feature pages under docs/ (docs/provenance.md).
  const docs = path.join(REPO_ROOT, 'docs');
  const readme = [readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8'), ...(existsSync(docs) ? readdirSync(docs).filter((f) => f.endsWith('.md')).map((f) => readFileSync(path.join(docs, f), 'utf8')) : [])].join('\n');

  it.each(Object.entries(ERRORS))('%s has a title, a hint, a documented exit code and a README row', (id, spec) => {
    expect(spec.title.length).toBeGreaterThan(3);
    expect(spec.hint.length).toBeGreaterThan(10);
    expect(Object.values(EXIT)).toContain(spec.exit);
    expect(readme).toMatch(new RegExp(`\\|\\s*\`${id}\`\\s*\\|\\s*${spec.exit}\\s*\\|`));
  });

  it('renders what, where and what to do', () => {
    const text = new KpatchError('dirty_files', { where: 'vendor/x.go', detail: 'no file was changed' }).render();
    expect(text).toContain('error[dirty_files]');
    expect(text).toContain('vendor/x.go');
    expect(text).toContain('hint: commit or stash');
  });
});
