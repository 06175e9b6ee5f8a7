/**
 * diff.ts: the patch text a reviewer reads and `git apply` accepts, checked
 * with real git on a real folder.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderDiff } from '../../src/engine/diff.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'kpatch-engine-diff-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const BEFORE = 'package widgets\n\nimport "fmt"\n\nfunc Start(n int) error {\n\tfmt.Println(n)\n\tStartWidgetCounter(n)\n\treturn nil\n}\n';
const AFTER = BEFORE.replace('\tStartWidgetCounter(n)\n', '\t// widget counter dropped\n');

describe('renderDiff', () => {
  it('renders a git-style patch: fixed a/ b/ prefixes, hunk with the enclosing func line as context', () => {
    expect(renderDiff([{ path: 'widgets/a.go', before: BEFORE, after: AFTER }])).toBe(
      [
        'diff --git a/widgets/a.go b/widgets/a.go',
        '--- a/widgets/a.go',
        '+++ b/widgets/a.go',
        '@@ -4,6 +4,6 @@ import "fmt"',
        ' ',
        ' func Start(n int) error {',
        ' \tfmt.Println(n)',
        '-\tStartWidgetCounter(n)',
        '+\t// widget counter dropped',
        ' \treturn nil',
        ' }',
        '',
      ].join('\n'),
    );
  });

  it('sorts files by path, leaves out unchanged ones, and is empty when nothing changed', () => {
    const d = renderDiff([
      { path: 'widgets/z.go', before: BEFORE, after: AFTER },
      { path: 'widgets/same.go', before: BEFORE, after: BEFORE },
      { path: 'widgets/a.go', before: BEFORE, after: AFTER },
    ]);
    expect([...d.matchAll(/^diff --git a\/(\S+)/gm)].map((m) => m[1])).toEqual(['widgets/a.go', 'widgets/z.go']);
    expect(renderDiff([{ path: 'widgets/same.go', before: BEFORE, after: BEFORE }])).toBe('');
  });

  it('git apply accepts it (CRLF content included) and produces the new text', () => {
    const crlfBefore = BEFORE.replace(/\n/g, '\r\n');
    const crlfAfter = AFTER.replace(/\n/g, '\r\n');
    const dir = path.join(tmp, 'apply');
    mkdirSync(path.join(dir, 'widgets'), { recursive: true });
    writeFileSync(path.join(dir, 'widgets/a.go'), BEFORE);
    writeFileSync(path.join(dir, 'widgets/b.go'), crlfBefore);
    execFileSync('git', ['init', '-q'], { cwd: dir });
    const patch = renderDiff([
      { path: 'widgets/a.go', before: BEFORE, after: AFTER },
      { path: 'widgets/b.go', before: crlfBefore, after: crlfAfter },
    ]);
    execFileSync('git', ['-c', 'core.autocrlf=false', 'apply', '-'], { cwd: dir, input: patch });
    expect(readFileSync(path.join(dir, 'widgets/a.go'), 'utf8')).toBe(AFTER);
    expect(readFileSync(path.join(dir, 'widgets/b.go'), 'utf8')).toBe(crlfAfter);
  });

  it('refuses a path a git patch could carry only quoted (unsafe_name)', () => {
    expect(() => renderDiff([{ path: 'widgets/a\tb.go', before: BEFORE, after: AFTER }])).toThrow(
      expect.objectContaining({ id: 'unsafe_name' }),
    );
  });
});
