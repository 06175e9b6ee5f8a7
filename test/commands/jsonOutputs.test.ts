/**
 * Output for machines: every command has `--json`, documented by a versioned
 * schema in schemas/ (and named in docs/json.md), and what each command prints
 * is valid against it. build (manifest), verify, diff --write/--check, matrix
 * and config are validated in their own test files; this file covers the rest
 * and checks that no command is left without a schema.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { kpatch, REPO_ROOT } from '../helpers/cli.js';
import { expectValidJson, SCHEMA_DIR } from '../helpers/jsonSchema.js';
import { makeStandinRemote, materializeStandin, STANDIN_MEMORY_GO, type StandinRemote } from '../helpers/standin-repo.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'kpatch-json-'));
const env = { CI: '1', KPATCH_CACHE_DIR: path.join(tmp, 'cache'), HOME: tmp };
let remote: StandinRemote;

beforeAll(() => {
  remote = makeStandinRemote(path.join(tmp, 'remote'), { tags: ['v1.12.4', 'v1.21.2'] });
});

describe('--json', () => {
  it('every command has --json and a schema file, and docs/json.md names the schema', () => {
    const readme = readFileSync(path.join(REPO_ROOT, 'docs/json.md'), 'utf8');
    const schemas = readdirSync(SCHEMA_DIR);
    // The commands as users see them, from the real --help.
    const names = [...kpatch(['--help']).stdout.matchAll(/^  kpatch (\w+)/gm)].map((m) => m[1]);
    expect(names).toEqual(expect.arrayContaining(['build', 'verify', 'fetch', 'scan', 'diff', 'patch', 'doctor', 'matrix', 'config']));
    for (const name of names) {
      const help = kpatch([name, '--help']);
      expect(help.stdout, name).toMatch(/--json\b/);
      expect(schemas, name).toContain(`${name}.schema.json`);
      expect(readme, name).toContain(`schemas/${name}.schema.json`);
      const schema = JSON.parse(readFileSync(path.join(SCHEMA_DIR, `${name}.schema.json`), 'utf8'));
      expect(JSON.stringify(schema), `${name} schema pins schemaVersion`).toContain('"schemaVersion":{"const":1}');
    }
  });

  it('scan', () => {
    const r = kpatch(['scan', '--k8s', 'v1.12.4', '--repo', remote.url, '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const doc = expectValidJson('scan.schema.json', r.stdout);
    expect(doc.sites[0]).toMatchObject({ file: STANDIN_MEMORY_GO, status: 'unguarded' });
  });

  it('fetch', () => {
    const r = kpatch(['fetch', '--k8s', 'v1.12.4', '--repo', remote.url, '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const doc = expectValidJson('fetch.schema.json', r.stdout);
    expect(doc).toMatchObject({ schemaVersion: 1, tag: 'v1.12.4', commit: remote.commits['v1.12.4'], kept: true });
  });

  it('diff (plain)', () => {
    const r = kpatch(['diff', '--k8s', 'v1.12.4', '--repo', remote.url, '--mode', 'remove', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const doc = expectValidJson('diff.schema.json', r.stdout);
    expect(doc).toMatchObject({ mode: 'remove', verdict: 'affected', files: [STANDIN_MEMORY_GO] });
    expect(doc.diff).toContain(`+++ b/${STANDIN_MEMORY_GO}`);
  });

  it('diff --write / --check on a release that needs no patch: nothing written, up to date, a stale file is drift', () => {
    const dir = path.join(tmp, 'reviewed');
    const w = kpatch(['diff', '--k8s', 'v1.21.2', '--repo', remote.url, '--write', dir, '--json'], { env });
    expect(w.code, w.stderr).toBe(0);
    expect(expectValidJson('diff.schema.json', w.stdout)).toMatchObject({ verdict: 'not-affected', written: null, removed: null });
    const c = kpatch(['diff', '--k8s', 'v1.21.2', '--repo', remote.url, '--check', dir], { env });
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toContain('v1.21.2 needs no patch and none is committed: up to date');
    const stale = path.join(dir, 'v1.21.2', '0001-kmem-accounting-guard.patch');
    mkdirSync(path.dirname(stale), { recursive: true });
    writeFileSync(stale, 'an old patch\n');
    const s = kpatch(['diff', '--k8s', 'v1.21.2', '--repo', remote.url, '--check', dir, '--json'], { env });
    expect(s.code).toBe(1);
    expect(expectValidJson('diff.schema.json', s.stdout).check.status).toBe('stale');
    const again = kpatch(['diff', '--k8s', 'v1.21.2', '--repo', remote.url, '--write', dir, '--json'], { env });
    expect(expectValidJson('diff.schema.json', again.stdout).removed).toBe(stale);
    expect(existsSync(stale)).toBe(false);
  });

  it('patch, and patch on a tree that needs nothing', () => {
    const tree = path.join(tmp, 'tree');
    materializeStandin('v1.12.4', tree);
    const r = kpatch(['patch', '--src', tree, '--allow-dirty', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(expectValidJson('patch.schema.json', r.stdout)).toMatchObject({
      verdictBefore: 'affected',
      files: [STANDIN_MEMORY_GO],
      mode: 'guard',
    });
    const again = kpatch(['patch', '--src', tree, '--allow-dirty', '--json'], { env });
    expect(expectValidJson('patch.schema.json', again.stdout)).toMatchObject({ verdictBefore: 'patched', files: [] });
  });

  it('build of a release that needs nothing', () => {
    const r = kpatch(['build', '--k8s', 'v1.21.2', '--repo', remote.url, '--runner', 'local', '--out', path.join(tmp, 'out'), '--json'], {
      env,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(expectValidJson('build.schema.json', r.stdout)).toMatchObject({ built: false, verdict: 'not-affected' });
  });

  it("doctor, on this machine's own /", () => {
    const r = kpatch(['doctor', '--json'], { env });
    expect([0, 1]).toContain(r.code);
    expect(expectValidJson('doctor.schema.json', r.stdout).exitCode).toBe(r.code);
  });
});
