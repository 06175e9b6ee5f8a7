/**
 * Real runc trees, from Debian's golang-github-opencontainers-runc-dev packages
 * (scripts/real-release.sh): v1.0.0-rc93 (bullseye; an unguarded call, the nokmem
 * variant, the systemd helper guarded by its caller) and 1.1.5 (bookworm; kmem
 * enabling gone). scan, diff and patch run on copies (`--src`), as a user would on a
 * runc checkout; the patched rc93 libcontainer/cgroups/fs and cgroups/systemd packages
 * are compiled with the Go packages Debian compiled rc93 against (bullseye's -dev
 * packages, GOPATH /usr/share/gocode style, GO111MODULE=off), with and without the
 * nokmem tag.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kpatch, REPO_ROOT } from '../helpers/cli.js';
import { NOKMEM_PROOF, realReleases } from '../helpers/realRelease.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'kpatch-real-runc-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const env = { CI: '1' };
const RUNC_IMPORT = 'src/github.com/opencontainers/runc';
const MEMORY = 'libcontainer/cgroups/fs/memory.go';
const V1 = 'libcontainer/cgroups/systemd/v1.go';

/** A copy of a runc tree at GOPATH/src/github.com/opencontainers/runc, committed to git (so `git apply` can check a patch). */
function copyTree(from: string, name: string): { gopath: string; tree: string } {
  const gopath = path.join(tmp, name);
  const tree = path.join(gopath, RUNC_IMPORT);
  mkdirSync(path.dirname(tree), { recursive: true });
  cpSync(from, tree, { recursive: true });
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@kpatch.invalid', ...args], { cwd: tree, stdio: 'pipe' });
  git('init', '-q');
  git('add', '-A', '-f');
  git('commit', '-q', '-m', 'pristine');
  return { gopath, tree };
}

const status = (tree: string) => execFileSync('git', ['status', '--porcelain'], { cwd: tree, encoding: 'utf8' });

describe('runc v1.0.0-rc93 (Debian bullseye), a runc tree', () => {
  let tree: string;
  let gopath: string;
  beforeAll(() => {
    ({ tree, gopath } = copyTree(realReleases().runcRc93, 'rc93'));
  });

  it('scan: affected, the unguarded fs call, the systemd helper guarded by its caller, the nokmem variant', () => {
    const r = kpatch(['scan', '--src', tree, '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ verdict: 'affected', nokmem: true, nokmemFiles: ['libcontainer/cgroups/fs/kmem_disabled.go'] });
    expect(s.sites).toEqual([
      expect.objectContaining({ file: MEMORY, function: '(*MemoryGroup).Apply', status: 'unguarded' }),
      expect.objectContaining({ file: V1, function: 'enableKmem', status: 'guarded-by-caller' }),
    ]);
    // The nokmem variant carries the string the nokmem proof looks for.
    expect(readFileSync(path.join(tree, 'libcontainer/cgroups/fs/kmem_disabled.go'), 'utf8')).toContain(NOKMEM_PROOF);
  });

  it('diff: a patch that git apply --check takes on the pristine tree, changing nothing on disk', () => {
    for (const mode of ['guard', 'remove']) {
      const r = kpatch(['diff', '--src', tree, '--mode', mode], { env });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`+++ b/${MEMORY}`);
      expect(r.stdout).not.toContain(V1);
      const file = path.join(tmp, `rc93-${mode}.patch`);
      writeFileSync(file, r.stdout);
      execFileSync('git', ['apply', '--check', file], { cwd: tree, stdio: 'pipe' });
    }
    expect(status(tree)).toBe('');
  });

  it('patch --mode guard: memory.go only, then scan says patched, and a second patch changes nothing', () => {
    const r = kpatch(['patch', '--src', tree, '--mode', 'guard'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(status(tree)).toBe(` M ${MEMORY}\n`);
    expect(readFileSync(path.join(tree, MEMORY), 'utf8')).toContain('if d.config.KernelMemory != 0 {');
    const s = JSON.parse(kpatch(['scan', '--src', tree, '--json'], { env }).stdout);
    expect(s.verdict).toBe('patched');
    expect(s.sites.map((x: { status: string }) => x.status)).toEqual(['patched', 'guarded-by-caller']);
    const before = readFileSync(path.join(tree, MEMORY));
    const again = kpatch(['patch', '--src', tree, '--mode', 'guard'], { env });
    expect(again.code, again.stderr).toBe(0);
    expect(readFileSync(path.join(tree, MEMORY)).equals(before)).toBe(true);
  });

  it('the patched fs and systemd packages compile against bullseye Go packages, with and without the nokmem tag', () => {
    const deps = execFileSync(path.join(REPO_ROOT, 'scripts/real-release.sh'), ['runc-rc93-gopath'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim();
    const pkgs = ['./libcontainer/cgroups/fs', './libcontainer/cgroups/systemd'];
    for (const tags of ['', 'nokmem']) {
      const r = spawnSync('go', ['build', ...(tags ? ['-tags', tags] : []), ...pkgs], {
        cwd: tree,
        env: { ...process.env, GO111MODULE: 'off', GOPATH: `${gopath}:${deps}`, GOCACHE: path.join(tmp, 'gocache'), GOFLAGS: '' },
        encoding: 'utf8',
      });
      expect(r.status, `go build -tags '${tags}' ${pkgs.join(' ')}:\n${r.stderr}`).toBe(0);
    }
  });
});

describe('runc 1.1.5 (Debian bookworm), a runc tree without the call', () => {
  let tree: string;
  beforeAll(() => {
    ({ tree } = copyTree(realReleases().runc115, 'runc-1.1.5'));
  });

  it('scan, diff and patch: not-affected, exit 0, nothing changed', () => {
    const s = kpatch(['scan', '--src', tree, '--json'], { env });
    expect(s.code, s.stderr).toBe(0);
    expect(JSON.parse(s.stdout)).toMatchObject({ verdict: 'not-affected', sites: [] });
    const d = kpatch(['diff', '--src', tree], { env });
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toBe('');
    expect(d.stderr).toMatch(/not affected/);
    const p = kpatch(['patch', '--src', tree, '--mode', 'guard'], { env });
    expect(p.code, p.stderr).toBe(0);
    expect(status(tree)).toBe('');
    // --fail-on affected: the CI gate passes on this tree.
    expect(kpatch(['scan', '--src', tree, '--fail-on', 'affected'], { env }).code).toBe(0);
  });
});
