/**
 * `kpatch verify DIR` on a real artifact folder (a guard build of the
 * stand-in v1.12.4 with the local runner), then on copies of it with one
 * thing changed each: what a CI gate must catch, each failure on one line
 * naming the file that differs.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kpatch } from '../helpers/cli.js';
import { makeStandinRemote, STANDIN_MEMORY_GO } from '../helpers/standin-repo.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'kpatch-verify-'));
const env = { CI: '1', KPATCH_CACHE_DIR: path.join(tmp, 'cache'), HOME: path.join(tmp, 'home') };
const fresh = path.join(tmp, 'fresh');
const PATCH = 'patches/0001-kmem-accounting-guard.patch';
const KUBELET = 'linux-amd64/kubelet';
let copies = 0;
let remoteUrl = '';

beforeAll(() => {
  mkdirSync(env.HOME, { recursive: true });
  const remote = makeStandinRemote(tmp);
  remoteUrl = remote.url;
  const r = kpatch(['build', '--k8s', 'v1.12.4', '--repo', remote.url, '--runner', 'local', '--out', fresh], { env });
  if (r.code !== 0) throw new Error(`build failed: ${r.stderr}`);
  // A kubelet build: minutes, not the default 2, on a loaded two-core machine.
}, 600_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A copy of the fresh folder to spoil. */
function copy(): string {
  const dir = path.join(tmp, `copy-${++copies}`);
  cpSync(fresh, dir, { recursive: true });
  return dir;
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const verify = (dir: string) => kpatch(['verify', dir], { env });
const failLines = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('FAIL'));

/** Makes the folder's own records agree with its files again, so only the deeper checks can notice. */
function resign(dir: string): void {
  const m = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  const was = m.patch.sha256;
  m.patch.sha256 = sha(path.join(dir, m.patch.path));
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m, null, 2) + '\n');
  // provenance.json and sbom.spdx.json record the patch's sha256 too (issue 16): rewritten alike.
  for (const f of ['provenance.json', 'sbom.spdx.json'])
    writeFileSync(path.join(dir, f), readFileSync(path.join(dir, f), 'utf8').replaceAll(was, m.patch.sha256));
  const sums = readFileSync(path.join(dir, 'SHA256SUMS'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('  ')[1])
    .map((f) => `${sha(path.join(dir, f))}  ${f}`);
  writeFileSync(path.join(dir, 'SHA256SUMS'), sums.join('\n') + '\n');
}

describe('kpatch verify', () => {
  it('passes on a fresh artifact folder: checksums, manifest, the patch on the pristine tag, patched file hashes', () => {
    const r = kpatch(['verify', fresh, '--repo', remoteUrl], { env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(failLines(r.stdout)).toEqual([]);
    expect(r.stdout).toContain(`ok   ${KUBELET}: sha256`);
    expect(r.stdout).toMatch(new RegExp(`^ok   ${PATCH}: applies to v1\\.12\\.4 \\(`, 'm'));
    expect(r.stdout).toContain(`ok   ${PATCH}: applied to v1.12.4, recipe kmem-accounting finds the tree patched: nothing left to fix`);
    expect(r.stdout).toContain(`ok   ${STANDIN_MEMORY_GO}: patched v1.12.4 gives the sha256 the manifest records as compiled`);
    // No --key: the signature check is a skip, counted apart from the checks that hold.
    expect(r.stdout).toMatch(/: \d+ checks hold, 1 skipped \(SHA256SUMS\.sig: the folder is not signed/);
  });

  it('fails naming the kubelet when one of its bytes is flipped', () => {
    const dir = copy();
    const file = path.join(dir, KUBELET);
    const bytes = readFileSync(file);
    bytes[Math.floor(bytes.length / 2)] ^= 0xff;
    writeFileSync(file, bytes);
    const r = verify(dir);
    expect(r.code).toBe(1);
    expect(failLines(r.stdout)).toEqual([
      expect.stringMatching(
        new RegExp(`^FAIL ${KUBELET}: sha256 is \\w+…, but SHA256SUMS says \\w+… and manifest.json says \\w+…: the file was changed$`),
      ),
    ]);
    expect(r.stderr).toContain('error[artifacts_mismatch]');
    expect(r.stderr).toContain(`about: ${KUBELET}`);
  });

  it('fails naming SHA256SUMS when a hash in it was edited', () => {
    const dir = copy();
    const sums = path.join(dir, 'SHA256SUMS');
    const text = readFileSync(sums, 'utf8');
    const line = text.split('\n').find((l) => l.endsWith(`  ${KUBELET}`))!;
    writeFileSync(sums, text.replace(line, `${'0'.repeat(64)}  ${KUBELET}`));
    const r = verify(dir);
    expect(r.code).toBe(1);
    expect(failLines(r.stdout)).toEqual([
      `FAIL SHA256SUMS: says 0000000000000000… for ${KUBELET}, but the file is ${sha(path.join(dir, KUBELET)).slice(0, 16)}…, as manifest.json records: SHA256SUMS was changed`,
    ]);
  });

  it('fails naming manifest.json when it was edited', () => {
    const dir = copy();
    const file = path.join(dir, 'manifest.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"versionString": "v1.12.4+kpatch.guard"', '"versionString": "v1.12.4"'));
    const r = verify(dir);
    expect(r.code).toBe(1);
    expect(failLines(r.stdout)).toEqual([
      expect.stringMatching(/^FAIL manifest\.json: sha256 is \w+…, but SHA256SUMS says \w+…: the file was changed$/),
    ]);
  });

  it('fails naming the patch when it no longer applies to the pristine tag, even with the records rewritten to match', () => {
    const dir = copy();
    const file = path.join(dir, PATCH);
    // A context line the pristine memory.go does not have.
    const text = readFileSync(file, 'utf8');
    const spoiled = text.replace(/^ (\t+)if err := os\.MkdirAll\(path, 0755\)/m, ' $1if err := os.MkdirAll(path, 0700)');
    expect(spoiled).not.toBe(text);
    writeFileSync(file, spoiled);
    resign(dir);
    const r = verify(dir);
    expect(r.code).toBe(1);
    expect(failLines(r.stdout)).toEqual([
      expect.stringMatching(
        new RegExp(`^FAIL ${PATCH}: does not apply to v1\\.12\\.4 \\(\\w+\\): patch failed: ${STANDIN_MEMORY_GO}:\\d+$`),
      ),
    ]);
  });

  it('fails naming the source file when the patch applies but yields other code than was compiled (code the recipe finds unfixed)', () => {
    const dir = copy();
    const file = path.join(dir, PATCH);
    const text = readFileSync(file, 'utf8');
    const spoiled = text.replace('+\t\t\tif d.config.KernelMemory != 0 {', '+\t\t\tif d.config.KernelMemory != 1 {');
    expect(spoiled).not.toBe(text);
    writeFileSync(file, spoiled);
    resign(dir);
    const r = verify(dir);
    expect(r.code).toBe(1);
    expect(failLines(r.stdout)).toEqual([
      // `KernelMemory != 1` is no guard: the recipe reads the patched tag as still affected.
      expect.stringMatching(
        new RegExp(`^FAIL ${PATCH}: applied to v1\\.12\\.4, the tree is still affected \\(${STANDIN_MEMORY_GO}:\\d+ unguarded\\)`),
      ),
      expect.stringMatching(
        new RegExp(`^FAIL ${STANDIN_MEMORY_GO}: patched v1\\.12\\.4 gives sha256 \\w+…, but manifest.json records \\w+… as compiled$`),
      ),
    ]);
  });

  it('fails naming the patch when it applies, its records all match, and it leaves the release unfixed', () => {
    const dir = copy();
    const file = path.join(dir, PATCH);
    // A patch that only adds a comment beside the call: it applies, and the manifest records what it yields.
    const clone = path.join(tmp, `clone-${copies}`);
    execFileSync('git', ['clone', '-q', '--branch', 'v1.12.4', remoteUrl, clone], { stdio: 'pipe' });
    const memory = path.join(clone, STANDIN_MEMORY_GO);
    writeFileSync(memory, readFileSync(memory, 'utf8').replace(/^(\s*)if err := EnableKernelMemoryAccounting/m, '$1// reviewed\n$&'));
    writeFileSync(file, execFileSync('git', ['diff'], { cwd: clone, encoding: 'utf8' }));
    const m = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    m.patchedFiles = [{ path: STANDIN_MEMORY_GO, sha256: sha(memory) }];
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m, null, 2) + '\n');
    resign(dir);
    const r = verify(dir);
    expect(r.code).toBe(1);
    expect(failLines(r.stdout)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^FAIL ${PATCH}: applied to v1\\.12\\.4, the tree is still affected \\(${STANDIN_MEMORY_GO}:\\d+ unguarded\\): it is not a fix of recipe kmem-accounting$`,
        ),
      ),
    ]);
    expect(r.stdout).toContain(`ok   ${STANDIN_MEMORY_GO}: patched v1.12.4 gives the sha256 the manifest records as compiled`);
  });

  it('a folder that does not exist is a usage error (exit 2)', () => {
    const r = verify(path.join(tmp, 'nope'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error[artifact_dir_missing]');
  });

  it('sha256sum -c agrees with verify on the fresh folder (the folder is usable without kpatch)', () => {
    execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: fresh, stdio: 'pipe' });
  });
});
