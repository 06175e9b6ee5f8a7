/**
 * compileCheck.ts with the real Go toolchain on a made-up GOPATH-mode tree:
 * a patched package that compiles passes, one that parses but does not
 * type-check is refused (unsupported_shape, with the compiler's words), one
 * whose unpatched package does not compile either is skipped and says why,
 * and no Go on PATH is skipped too. The tree on disk is never changed: the
 * patched text reaches the compiler through `go build -overlay`.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileCheck } from '../../src/engine/compileCheck.js';
import { KpatchError } from '../../src/errors.js';
import { makeGoFile } from '../../src/engine/sourceFile.js';
import type { PlannedChange } from '../../src/engine/rewrite.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'kpatch-engine-compile-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SOURCE =
  'package widgets\n\n// StartWidgetCounter is made up.\nfunc StartWidgetCounter(n int) error { return nil }\n\nfunc Start(n int) error {\n\treturn StartWidgetCounter(n)\n}\n';
// The Go build cache of the test run (shared with test/helpers/goTree.ts), so only the first check compiles cold.
const env = { ...process.env, GOCACHE: path.join(os.tmpdir(), 'kpatch-test-gocache') };

let n = 0;
/** A tree with a go.mod naming its import path and one package widgets/ holding `text`. */
function treeWith(text: string): { root: string; change: (after: string) => PlannedChange[]; files: ReturnType<typeof makeGoFile>[] } {
  const root = path.join(tmp, `t${n++}`);
  mkdirSync(path.join(root, 'widgets'), { recursive: true });
  writeFileSync(path.join(root, 'go.mod'), 'module example.invalid/made-up\n\ngo 1.16\n');
  const abs = path.join(root, 'widgets/w.go');
  writeFileSync(abs, text);
  const files = [makeGoFile('widgets/w.go', abs, text)];
  return { root, files, change: (after) => [{ path: 'widgets/w.go', abs, before: text, after }] };
}

describe('compileCheck', () => {
  it('passes a patched package that compiles, naming the package, and leaves the file on disk as it was', async () => {
    const t = treeWith(SOURCE);
    const r = await compileCheck(
      t.root,
      t.files,
      t.change(SOURCE.replace('\treturn StartWidgetCounter(n)\n', '\t_ = n\n\treturn nil\n')),
      env,
    );
    expect(r.status).toBe('passed');
    expect(r.detail).toContain('./widgets');
    expect(readFileSync(path.join(t.root, 'widgets/w.go'), 'utf8')).toBe(SOURCE);
  });

  it("refuses a rewrite that parses but does not type-check (unsupported_shape with the compiler's message)", async () => {
    const t = treeWith(SOURCE);
    const broken = SOURCE.replace('\treturn StartWidgetCounter(n)\n', '\tunused := n\n\treturn nil\n');
    const err = await compileCheck(t.root, t.files, t.change(broken), env).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(KpatchError);
    expect((err as KpatchError).id).toBe('unsupported_shape');
    expect((err as KpatchError).render()).toMatch(/declared (and|but) not used/);
  });

  it('skips, and says why, when the unpatched package does not compile here either', async () => {
    const bad = SOURCE.replace('return nil }', 'return missingThing }');
    const t = treeWith(bad);
    const r = await compileCheck(t.root, t.files, t.change(bad.replace('\treturn StartWidgetCounter(n)\n', '\treturn nil\n')), env);
    expect(r.status).toBe('skipped');
    expect(r.detail).toMatch(/unpatched package does not compile/);
  });

  it('skips with "no Go toolchain" when go is not on PATH', async () => {
    const t = treeWith(SOURCE);
    const r = await compileCheck(t.root, t.files, t.change(SOURCE.replace('n)\n}', 'n) // x\n}')), {
      ...env,
      PATH: path.join(tmp, 'empty-bin'),
    });
    expect(r).toMatchObject({ status: 'skipped' });
    expect(r.detail).toMatch(/no Go toolchain/);
  });

  it('nothing to check when nothing changed', async () => {
    const t = treeWith(SOURCE);
    expect(await compileCheck(t.root, t.files, [], env)).toEqual({ status: 'passed', detail: 'nothing changed' });
  });
});
