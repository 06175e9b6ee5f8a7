/**
 * patch and diff keep the user's files (issue 14, section 2), with real git
 * and real files through the real executable:
 *   - `diff --write` / `--check` make the reviewed patch from the tag's own
 *     content: a checkout's uncommitted edits never enter the "v1.12.4" patch,
 *     and a checkout patched already neither loses its reviewed patch as
 *     "stale" nor fails --check;
 *   - `patch` keeps a target's permission bits (through any umask) and owner,
 *     and refuses a hard-linked target;
 *   - a target inside a git submodule with uncommitted edits is refused;
 *   - a target that changes after kpatch read it is never replaced;
 *   - `patch --mode remove` on a guard-patched tree says the modes differ.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, linkSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFilesAtomically } from '../../src/engine/writeFiles.js';
import { kpatch } from '../helpers/cli.js';
import { materializeStandin, STANDIN_MEMORY_GO } from '../helpers/standin-repo.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'kpatch-keep-'));
const env = { CI: '1', KPATCH_CACHE_DIR: path.join(tmp, 'cache'), HOME: tmp, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
const IS_ROOT = process.getuid?.() === 0;
const PATCH_NAME = path.join('v1.12.4', '0001-kmem-accounting-guard.patch');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function git(cwd: string, args: string[]): string {
  return execFileSync(
    'git',
    [
      '-c',
      'user.name=t',
      '-c',
      'user.email=t@kpatch.invalid',
      '-c',
      'commit.gpgSign=false',
      '-c',
      'tag.gpgSign=false',
      '-c',
      'protocol.file.allow=always',
      ...args,
    ],
    {
      cwd,
      encoding: 'utf8',
      stdio: 'pipe',
      env: {
        ...process.env,
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_CONFIG_GLOBAL: '/dev/null',
        GIT_AUTHOR_DATE: '2018-12-03T18:00:00Z',
        GIT_COMMITTER_DATE: '2018-12-03T18:00:00Z',
      },
    },
  );
}

let n = 0;
/** A git checkout of the stand-in v1.12.4, committed and tagged. */
function checkout(): string {
  const dir = path.join(tmp, `tree-${++n}`);
  materializeStandin('v1.12.4', dir);
  git(dir, ['init', '-q']);
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-qm', 'v1.12.4']);
  git(dir, ['tag', '-a', 'v1.12.4', '-m', 'v1.12.4']);
  return dir;
}

/** The reviewed patch a clean checkout gives: the reference bytes. */
function cleanPatch(): string {
  const out = path.join(tmp, `clean-${++n}`);
  const r = kpatch(['diff', '--src', checkout(), '--write', out], { env });
  expect(r.code, r.stderr).toBe(0);
  return readFileSync(path.join(out, PATCH_NAME), 'utf8');
}

describe('diff --write and --check work from the tag, not the work tree', () => {
  it('uncommitted edits to a target never enter the reviewed patch', () => {
    const reference = cleanPatch();
    const tree = checkout();
    const file = path.join(tree, STANDIN_MEMORY_GO);
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('func (s *MemoryGroup) Apply(', '// LOCAL EDIT, not in v1.12.4\nfunc (s *MemoryGroup) Apply('),
    );
    const out = path.join(tmp, 'reviewed-dirty');
    const r = kpatch(['diff', '--src', tree, '--write', out], { env });
    expect(r.code, r.stderr).toBe(0);
    const written = readFileSync(path.join(out, PATCH_NAME), 'utf8');
    expect(written).not.toContain('LOCAL EDIT');
    expect(written).toBe(reference);
    expect(r.stderr).toContain(`differ from v1.12.4 (local edits, or a patch applied already): ${STANDIN_MEMORY_GO}`);
    // It applies to the pristine tag, which is what a patch filed under v1.12.4 is for.
    const pristine = path.join(tmp, 'pristine-apply');
    git(tmp, ['clone', '-q', '--branch', 'v1.12.4', tree, pristine]);
    git(pristine, ['apply', '--check', path.join(out, PATCH_NAME)]);
    // And the work tree was only read.
    expect(readFileSync(file, 'utf8')).toContain('LOCAL EDIT');
  });

  it('on a checkout patched by kpatch patch, --write keeps the reviewed patch and --check passes', () => {
    const reference = cleanPatch();
    const tree = checkout();
    const out = path.join(tmp, 'reviewed-patched');
    expect(kpatch(['diff', '--src', tree, '--write', out], { env }).code).toBe(0);
    const p = kpatch(['patch', '--src', tree], { env });
    expect(p.code, p.stderr).toBe(0);

    const check = kpatch(['diff', '--src', tree, '--check', out], { env });
    expect(check.code, check.stderr + check.stdout).toBe(0);
    expect(check.stdout).toContain('up to date');
    expect(check.stderr).not.toContain('--write');

    const again = kpatch(['diff', '--src', tree, '--write', out, '--json'], { env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).not.toContain('stale');
    expect(JSON.parse(again.stdout)).toMatchObject({
      verdict: 'affected',
      removed: null,
      checkout: { differs: [STANDIN_MEMORY_GO], notInTag: [] },
    });
    expect(readFileSync(path.join(out, PATCH_NAME), 'utf8')).toBe(reference);
  });

  it('a target deleted from the checkout is still read from the tag; a new untracked one is left out', () => {
    const reference = cleanPatch();
    const tree = checkout();
    rmSync(path.join(tree, STANDIN_MEMORY_GO));
    writeFileSync(
      path.join(tree, path.dirname(STANDIN_MEMORY_GO), 'extra.go'),
      'package fs\n\nfunc extra(p string) error { return EnableKernelMemoryAccounting(p) }\n',
    );
    const out = path.join(tmp, 'reviewed-deleted');
    const r = kpatch(['diff', '--src', tree, '--write', out], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(path.join(out, PATCH_NAME), 'utf8')).toBe(reference);
    expect(r.stderr).toContain(`left out of the reviewed patch: ${path.dirname(STANDIN_MEMORY_GO)}/extra.go`);
  });

  it('a target in a submodule is read at the commit the tag records for it', () => {
    const reference = cleanPatch();
    const tree = submoduleCheckout();
    const file = path.join(tree, STANDIN_MEMORY_GO);
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('func (s *MemoryGroup) Apply(', '// LOCAL EDIT in the submodule\nfunc (s *MemoryGroup) Apply('),
    );
    const out = path.join(tmp, 'reviewed-sub');
    const r = kpatch(['diff', '--src', tree, '--write', out], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(path.join(out, PATCH_NAME), 'utf8')).toBe(reference);
  });
});

/** A checkout whose vendored runc is a git submodule (committed, tagged v1.12.4). */
function submoduleCheckout(): string {
  const src = checkout();
  const runc = path.join(tmp, `runc-sub-${n}`);
  const vendored = 'vendor/github.com/opencontainers/runc';
  execFileSync('cp', ['-a', path.join(src, vendored), runc]);
  git(runc, ['init', '-q']);
  git(runc, ['add', '-A']);
  git(runc, ['commit', '-qm', 'runc']);
  const tree = path.join(tmp, `super-${n}`);
  materializeStandin('v1.12.4', tree);
  rmSync(path.join(tree, vendored), { recursive: true });
  git(tree, ['init', '-q']);
  git(tree, ['submodule', 'add', '-q', `file://${runc}`, vendored]);
  git(tree, ['add', '-A']);
  git(tree, ['commit', '-qm', 'v1.12.4']);
  git(tree, ['tag', '-a', 'v1.12.4', '-m', 'v1.12.4']);
  return tree;
}

describe('patch keeps what the file carried besides its text', () => {
  it('keeps the permission bits exactly (0666 stays 0666 under umask 022) and the owner', () => {
    const tree = checkout();
    const file = path.join(tree, STANDIN_MEMORY_GO);
    chmodSync(file, 0o666);
    if (IS_ROOT) chownSync(file, 1234, 2345);
    const old = process.umask(0o022);
    try {
      const r = kpatch(['patch', '--src', tree, '--allow-dirty'], { env });
      expect(r.code, r.stderr).toBe(0);
    } finally {
      process.umask(old);
    }
    const st = statSync(file);
    expect(readFileSync(file, 'utf8')).toContain('KernelMemory != 0');
    expect((st.mode & 0o7777).toString(8)).toBe('666');
    if (IS_ROOT) expect([st.uid, st.gid]).toEqual([1234, 2345]);
  });

  it('refuses a hard-linked target and changes neither name', () => {
    const tree = checkout();
    const file = path.join(tree, STANDIN_MEMORY_GO);
    const other = path.join(tmp, `memory-copy-${n}.go`);
    linkSync(file, other);
    const before = readFileSync(file, 'utf8');
    const r = kpatch(['patch', '--src', tree], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error[hard_linked]: target file has other hard links: ${STANDIN_MEMORY_GO}`);
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(statSync(file).ino).toBe(statSync(other).ino);
  });
});

describe('the dirty check asks the repository that owns the file', () => {
  it('refuses a target with uncommitted edits inside a submodule, patches it with --allow-dirty', () => {
    const tree = submoduleCheckout();
    const file = path.join(tree, STANDIN_MEMORY_GO);
    appendFileSync(file, '// a local edit in the submodule\n');
    const before = readFileSync(file, 'utf8');
    const r = kpatch(['patch', '--src', tree], { env });
    expect(r.code, r.stdout).toBe(1);
    expect(r.stderr).toContain(`error[dirty_files]: target files have uncommitted changes: ${STANDIN_MEMORY_GO}`);
    expect(readFileSync(file, 'utf8')).toBe(before);
    const forced = kpatch(['patch', '--src', tree, '--allow-dirty'], { env });
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('// a local edit in the submodule');
  });

  it('a clean submodule is patched without --allow-dirty', () => {
    const tree = submoduleCheckout();
    const r = kpatch(['patch', '--src', tree], { env });
    expect(r.code, r.stderr).toBe(0);
  });
});

describe('a target that changes after it was read is never replaced', () => {
  it('writeFilesAtomically refuses when a line was appended meanwhile, and leaves no temporary file', async () => {
    const dir = mkdtempSync(path.join(tmp, 'race-'));
    const file = path.join(dir, 'memory.go');
    writeFileSync(file, 'package fs\n');
    appendFileSync(file, '// appended by someone else\n');
    await expect(
      writeFilesAtomically([{ abs: file, path: 'memory.go', before: 'package fs\n', after: 'package fs // patched\n' }]),
    ).rejects.toMatchObject({ id: 'target_changed' });
    expect(readFileSync(file, 'utf8')).toBe('package fs\n// appended by someone else\n');
    expect(execFileSync('ls', ['-A', dir], { encoding: 'utf8' }).trim()).toBe('memory.go');
  });
});

describe('patch --mode on a tree patched in another mode', () => {
  it('says the modes differ and how to switch (exit 1, nothing changed)', () => {
    const tree = checkout();
    expect(kpatch(['patch', '--src', tree, '--mode', 'guard'], { env }).code).toBe(0);
    git(tree, ['commit', '-qam', 'guard-patched']);
    const file = path.join(tree, STANDIN_MEMORY_GO);
    const before = readFileSync(file, 'utf8');
    const r = kpatch(['patch', '--src', tree, '--mode', 'remove'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`error[mode_mismatch]: tree is already patched in another mode: ${STANDIN_MEMORY_GO}:`);
    expect(r.stderr).toContain('--mode remove was asked');
    expect(r.stderr).toContain(`checkout -- ${STANDIN_MEMORY_GO}, then run kpatch patch --mode remove again`);
    expect(readFileSync(file, 'utf8')).toBe(before);
    // The same mode again is still a quiet no-op.
    const same = kpatch(['patch', '--src', tree, '--mode', 'guard'], { env });
    expect(same.code).toBe(0);
    expect(same.stdout).toContain('already patched');
  });
});
