/**
 * The error catalogue is the single list of what users can see: every entry
 * has a hint and a documented exit code (docs/errors.md, generated from it, is
 * checked in errorsDoc.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { ERRORS, EXIT, KpatchError } from '../src/errors.js';

describe('error catalogue', () => {
  it.each(Object.entries(ERRORS))('%s has a title, a hint, a documented exit code', (_id, spec) => {
    expect(spec.title.length).toBeGreaterThan(3);
    expect(spec.hint.length).toBeGreaterThan(10);
    expect(Object.values(EXIT)).toContain(spec.exit);
  });

  it('renders what, where and what to do', () => {
    const text = new KpatchError('dirty_files', { where: 'vendor/x.go', detail: 'no file was changed' }).render();
    expect(text).toContain('error[dirty_files]');
    expect(text).toContain('vendor/x.go');
    expect(text).toContain('hint: commit or stash');
  });
});
