/**
 * The checks every real kubelet build must pass, whatever the runner: what a
 * release engineer looks at before rolling a kubelet out.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { kpatch } from './cli.js';
import { MEMORY_GO, manifestOf, NOKMEM_PROOF, SYSTEMD_V1_GO } from './realRelease.js';

/** Path of the linux/amd64 kubelet in a build folder. */
export const kubeletOf = (out: string) => path.join(out, 'linux-amd64/kubelet');

/** sha256 of a file. */
export const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/**
 * Asserts a finished `kpatch build --k8s v1.20.2` folder: the version string, the
 * checksums, `kpatch verify`, the manifest's call sites, and per mode the patch
 * (guard, remove: git apply --check and git am on the pristine tag) or the nokmem proof
 * (the string only the nokmem variant compiles in, and `-tags=nokmem` in the kubelet's
 * Go build info).
 */
export function checkRealBuild(
  out: string,
  mode: 'guard' | 'remove' | 'nokmem',
  runner: 'local' | 'podman',
  repoUrl: string,
  workDir: string,
  env: Record<string, string>,
): void {
  const kubelet = kubeletOf(out);
  expect(execFileSync(kubelet, ['--version'], { encoding: 'utf8' }).trim()).toBe(`Kubernetes v1.20.2+kpatch.${mode}`);
  execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: out, stdio: 'pipe' });

  const m = manifestOf(out);
  expect(m).toMatchObject({ mode, runner, versionString: `v1.20.2+kpatch.${mode}`, source: { tag: 'v1.20.2', repo: repoUrl } });
  const site = (file: string) => m.sites.find((s: { file: string }) => s.file === file);
  expect(site(MEMORY_GO)).toMatchObject({ function: '(*MemoryGroup).Apply', before: { status: 'unguarded' } });
  expect(site(SYSTEMD_V1_GO)).toMatchObject({ function: 'enableKmem', before: { status: 'guarded-by-caller' } });
  if (mode !== 'nokmem') {
    // guard wraps the call (patched); remove deletes it (the manifest says 'removed').
    if (mode === 'guard') expect(site(MEMORY_GO).after).toMatchObject({ status: 'patched' });
    else expect(site(MEMORY_GO).after).toBe('removed');
    expect(site(SYSTEMD_V1_GO).after).toMatchObject({ status: 'guarded-by-caller' });
    expect(m.verification).toMatchObject({ status: 'verified', method: 'source' });
  }

  const v = kpatch(['verify', out, '--repo', repoUrl], { env });
  expect(v.code, `${v.stdout}${v.stderr}`).toBe(0);

  if (mode === 'nokmem') {
    expect(
      existsSync(path.join(out, 'patches')) && execFileSync('ls', [path.join(out, 'patches')], { encoding: 'utf8' }).trim(),
    ).toBeFalsy();
    expect(m.verification).toMatchObject({ status: 'verified', method: 'binary', buildTag: 'nokmem' });
    expect(m.verification.proofStrings).toContain(NOKMEM_PROOF);
    expect(readFileSync(kubelet).includes(Buffer.from(NOKMEM_PROOF)), 'the nokmem variant is compiled into the kubelet').toBe(true);
    const info = execFileSync('go', ['version', '-m', kubelet], { encoding: 'utf8' });
    expect(info).toMatch(/-tags=([^\s]*,)?nokmem\b/);
    return;
  }
  // The unpatched kubelet does not carry the nokmem string: the proof above means something.
  expect(readFileSync(kubelet).includes(Buffer.from(NOKMEM_PROOF))).toBe(false);

  const patch = path.join(out, `patches/0001-kmem-accounting-${mode}.patch`);
  const clone = path.join(workDir, `am-${mode}-${runner}`);
  execFileSync('git', ['clone', '-q', '--branch', 'v1.20.2', repoUrl, clone], { stdio: 'pipe' });
  execFileSync('git', ['apply', '--check', patch], { cwd: clone, stdio: 'pipe' });
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@kpatch.invalid', 'am', '-q', patch], { cwd: clone, stdio: 'pipe' });
  const changed = execFileSync('git', ['diff', '--name-only', 'HEAD~1'], { cwd: clone, encoding: 'utf8' }).trim();
  expect(changed).toBe(MEMORY_GO);
  const memory = readFileSync(path.join(clone, MEMORY_GO), 'utf8');
  if (mode === 'guard') expect(memory).toContain('if d.config.KernelMemory != 0 {');
  else expect(memory).not.toMatch(/^\s*if err := EnableKernelMemoryAccounting\(path\)/m);
}
