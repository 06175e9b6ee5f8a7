/**
 * Golden cases of the kmem-accounting recipe, each run through the real CLI:
 * scan's findings, each mode's diff (byte for byte), the patched files, that
 * the diff applies with `git apply`, that a second patch changes nothing, and
 * that the patched tree is gofmt-clean, vets, builds and behaves (the probe
 * test writes memory.kmem.limit_in_bytes only when it should).
 *
 * Set KPATCH_UPDATE_GOLDEN=1 to (re)write the `<mode>.diff` sections after
 * reviewing a deliberate change of output.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kpatch } from './helpers/cli.js';
import { go, gofmtList, goLayout } from './helpers/goTree.js';
import { caseNames, CASES_DIR, loadGoldenCase, SCAFFOLD_DIR, scaffoldFiles, scaffoldRequests } from './helpers/goldenCase.js';
import { formatTxtar, parseTxtar, type Txtar } from './helpers/txtar.js';

const UPDATE = process.env.KPATCH_UPDATE_GOLDEN === '1';
const names = caseNames();

interface Case {
  file: string;
  archive: Txtar;
  crlf: boolean;
  modes: string[];
  section(name: string): string | undefined;
  /** tree/ files with the shared scaffold overlaid, relative to the tree root, with line endings applied. */
  tree: Map<string, string>;
}

function loadCase(name: string): Case {
  const g = loadGoldenCase(name);
  const eol = (s: string) => (g.crlf ? s.replace(/\r?\n/g, '\r\n') : s);
  const section = (n: string) => g.archive.files.find((f) => f.name === n)?.data;
  const tree = new Map([...g.tree].map(([rel, data]) => [rel, eol(data)]));
  return {
    file: g.file,
    archive: g.archive,
    crlf: g.crlf,
    modes: g.modes,
    section: (n) => (n.startsWith('guard/') || n.startsWith('remove/') ? mapEol(section(n), eol) : section(n)),
    tree,
  };
}

function mapEol(s: string | undefined, eol: (s: string) => string): string | undefined {
  return s === undefined ? undefined : eol(s);
}

// Every case's trees go under one folder, removed when the file's tests end
// (a run used to leave ~600 folders in /tmp).
const TMP = mkdtempSync(path.join(os.tmpdir(), 'kpatch-golden-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

/** Writes the tree into a fresh git repository (so patch's dirty check sees a clean tree). */
function materialize(c: Case): string {
  const dir = mkdtempSync(path.join(TMP, 'case-'));
  for (const [rel, data] of c.tree) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), data);
  }
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'pipe', encoding: 'utf8' });
  git('init', '-q');
  git('-c', 'core.autocrlf=false', 'add', '-A');
  git('-c', 'user.name=kpatch-test', '-c', 'user.email=test@kpatch.invalid', 'commit', '-qm', 'fixture');
  return dir;
}

function readTree(dir: string, c: Case): Map<string, string> {
  return new Map([...c.tree.keys()].map((rel) => [rel, readFileSync(path.join(dir, rel), 'utf8')]));
}

function probeDirs(c: Case): string[] {
  return [...c.tree.keys()].filter((p) => p.endsWith('/kpatch_probe_test.go')).map((p) => path.posix.dirname(p));
}

/**
 * Checks that the files kpatch changed are gofmt-clean (unchanged files are
 * the fixture's business: a +build-only file from 2018 is not clean for Go
 * 1.17+), then compiles the tree and runs its probe tests.
 */
function checkGo(dir: string, c: Case, probeMode: string, changed: string[] = []): void {
  if (!c.crlf) {
    const unformatted = gofmtList(dir).map((f) => path.relative(dir, f));
    expect(
      unformatted.filter((f) => changed.includes(f)),
      'gofmt -l on patched files',
    ).toEqual([]);
  }
  const layout = goLayout(dir, probeDirs(c));
  go(layout, ['vet', ...layout.patterns]);
  for (const pkg of layout.probePackages) {
    go(layout, ['test', '-count=1', '-run', 'TestKpatchProbe', pkg], { KPATCH_PROBE_MODE: probeMode });
  }
}

describe('the shared compile scaffold (cases/_scaffold)', () => {
  it('every scaffold file is taken by some case, and no case keeps its own identical copy of one', () => {
    const shared = scaffoldFiles();
    const taken = new Set<string>();
    const copies: string[] = [];
    for (const name of names) {
      const archive = parseTxtar(readFileSync(path.join(CASES_DIR, name), 'utf8'));
      for (const r of scaffoldRequests(archive.comment)) for (const n of r.names) taken.add(n);
      for (const f of archive.files.filter((x) => x.name.startsWith('tree/'))) {
        const rel = shared.get(path.posix.basename(f.name));
        if (rel && f.name.endsWith(`/${rel}`) && f.data === readFileSync(path.join(SCAFFOLD_DIR, rel), 'utf8'))
          copies.push(`${name}: ${f.name}`);
      }
    }
    expect(
      [...shared.keys()].filter((n) => !taken.has(n)),
      'scaffold files no case takes',
    ).toEqual([]);
    expect(copies, 'tree/ files identical to a scaffold file (take them with a scaffold: line)').toEqual([]);
  });

  it("overlays the named files under each runc root; a case's own file at the same path wins; an unknown name is an error", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kpatch-scaffold-'));
    try {
      mkdirSync(path.join(dir, '_scaffold/libcontainer/fs'), { recursive: true });
      writeFileSync(path.join(dir, '_scaffold/libcontainer/fs/a.go'), 'package fs // shared a\n');
      writeFileSync(path.join(dir, '_scaffold/libcontainer/fs/b.go'), 'package fs // shared b\n');
      const text = (line: string) =>
        `a made-up case\n${line}\nscaffold: . a.go\n-- tree/vendor/r/libcontainer/fs/b.go --\npackage fs // own b\n-- scan.json --\n{}\n`;
      writeFileSync(path.join(dir, 'x.txtar'), text('scaffold: vendor/r a.go b.go'));
      const c = loadGoldenCase('x.txtar', dir);
      expect(Object.fromEntries(c.tree)).toEqual({
        'libcontainer/fs/a.go': 'package fs // shared a\n',
        'vendor/r/libcontainer/fs/a.go': 'package fs // shared a\n',
        'vendor/r/libcontainer/fs/b.go': 'package fs // own b\n',
      });
      expect(c.fromScaffold.sort()).toEqual(['libcontainer/fs/a.go', 'vendor/r/libcontainer/fs/a.go']);
      writeFileSync(path.join(dir, 'y.txtar'), text('scaffold: vendor/r c.go'));
      expect(() => loadGoldenCase('y.txtar', dir)).toThrow(/scaffold file c\.go does not exist/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.each(names)('golden case %s', (name) => {
  const c = loadCase(name);

  it('scan reports the expected sites and verdict', () => {
    const dir = materialize(c);
    const scanError = c.section('scan.error');
    const r = kpatch(['scan', '--src', dir, '--json']);
    if (scanError !== undefined) {
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(scanError.trim());
      return;
    }
    expect(r.code, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout);
    const want = JSON.parse(c.section('scan.json') ?? 'null');
    expect(want, 'case has a scan.json section').not.toBeNull();
    expect({
      verdict: got.verdict,
      nokmem: got.nokmem,
      sites: got.sites.map((s: Record<string, unknown>) => ({
        file: s.file,
        line: s.line,
        column: s.column,
        function: s.function,
        status: s.status,
      })),
    }).toEqual({ verdict: want.verdict, nokmem: want.nokmem, sites: want.sites });
    if (c.section('scan.json') && probeDirs(c).length > 0 && !c.section('guard.error')) checkGo(dir, c, 'none');
  });

  for (const mode of c.modes) {
    it(`${mode}: diff, patch, idempotence, compile and behaviour`, () => {
      const dir = materialize(c);
      const before = readTree(dir, c);
      const expectedError = c.section(`${mode}.error`);
      const diff = kpatch(['diff', '--src', dir, '--mode', mode]);
      if (expectedError !== undefined) {
        for (const r of [diff, kpatch(['patch', '--src', dir, '--mode', mode])]) {
          expect(r.code, r.stderr).toBe(1);
          expect(r.stderr).toContain(expectedError.trim());
        }
        expect(readTree(dir, c), 'a refused patch changes nothing').toEqual(before);
        return;
      }
      expect(diff.code, diff.stderr).toBe(0);
      expect(readTree(dir, c), 'diff writes nothing').toEqual(before);

      const outputs = new Map(
        [...c.tree.keys()].flatMap((rel) => {
          const want = c.section(`${mode}/${rel}`);
          return want === undefined ? [] : [[rel, want] as const];
        }),
      );
      if (diff.stdout) {
        execFileSync('git', ['apply', '--check', '-'], { cwd: dir, input: diff.stdout });
      } else {
        expect(outputs.size, 'an empty diff means no expected outputs').toBe(0);
      }

      const patch = kpatch(['patch', '--src', dir, '--mode', mode]);
      expect(patch.code, patch.stderr).toBe(0);
      const after = readTree(dir, c);
      for (const [rel, text] of after) {
        expect(text, `${mode} result of ${rel}`).toBe(outputs.get(rel) ?? before.get(rel));
      }

      const again = kpatch(['patch', '--src', dir, '--mode', mode, '--allow-dirty']);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toMatch(/already patched|not affected/);
      expect(readTree(dir, c), 'a second patch changes nothing').toEqual(after);

      if (probeDirs(c).length > 0 || outputs.size > 0) checkGo(dir, c, outputs.size > 0 ? mode : 'none', [...outputs.keys()]);
      checkDiffGolden(c, mode, diff.stdout);
    });
  }
});

/** Compares a diff with the case's `<mode>.diff` section, or writes it when updating. */
function checkDiffGolden(c: Case, mode: string, actual: string): void {
  // CRLF cases keep their golden diff with LF endings so the case file stays
  // plain text; the real output must still carry CRLF on the content lines.
  if (c.crlf && actual) expect(actual).toContain('\r\n');
  const normalized = c.crlf ? actual.replace(/\r\n/g, '\n') : actual;
  const name = `${mode}.diff`;
  if (UPDATE) {
    const files = c.archive.files.filter((f) => f.name !== name);
    files.push({ name, data: normalized });
    c.archive.files = files;
    writeFileSync(c.file, formatTxtar(c.archive));
    return;
  }
  const want = c.section(name);
  expect(want, `${path.basename(c.file)} has no ${name} section; review the output and run with KPATCH_UPDATE_GOLDEN=1`).toBeDefined();
  expect(normalized).toBe(want);
}
