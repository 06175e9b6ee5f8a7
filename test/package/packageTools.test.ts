/**
 * Without the packaging tools on PATH, `kpatch package` and `kpatch build
 * --package` say which programs and Debian packages are missing, before any
 * work and with nothing written (the host check the build's local runner
 * has for make's tools, here for rpmbuild and dpkg-deb).
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kpatch } from '../helpers/cli.js';
import { compareSnapshots, snapshotDir } from '../helpers/fsSnapshot.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'kpatch-package-tools-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A PATH with git, tar and dpkg-deb but no rpm tools (so only the RPM side is missing). */
function pathWithout(): string {
  const bin = path.join(tmp, 'bin');
  mkdirSync(bin, { recursive: true });
  for (const tool of ['git', 'tar', 'dpkg-deb']) symlinkSync(`/usr/bin/${tool}`, path.join(bin, tool));
  return bin;
}

describe('packaging tools missing', () => {
  const PATH = pathWithout();
  const env = { CI: '1', PATH, KPATCH_CACHE_DIR: path.join(tmp, 'cache'), HOME: tmp };

  it('kpatch package names rpmbuild, rpm2cpio and cpio with their Debian packages; nothing is written', () => {
    const dir = path.join(tmp, 'folder');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'manifest.json'), '{}\n');
    const before = snapshotDir(tmp);
    const r = kpatch(['package', dir, '--format', 'rpm,deb'], { env });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('error[package_tools_missing]');
    expect(r.stderr).toMatch(/rpmbuild\s+\(Debian: rpm\)/);
    expect(r.stderr).toMatch(/cpio\s+\(Debian: cpio\)/);
    expect(r.stderr).toContain('apt-get install rpm cpio');
    expect(r.stderr).not.toMatch(/dpkg-deb\s+\(Debian/);
    expect(compareSnapshots(tmp, before, snapshotDir(tmp))).toEqual([]);
  });

  it('--format deb alone needs none of them', () => {
    const r = kpatch(['package', path.join(tmp, 'no-such-folder'), '--format', 'deb'], { env });
    expect(r.stderr).toContain('error[artifact_dir_missing]');
  });

  it('kpatch build --package refuses before fetching anything', () => {
    const out = path.join(tmp, 'out');
    const r = kpatch(['build', '--k8s', 'v1.12.4', '--repo', 'file:///nonexistent/kubernetes.git', '--out', out, '--package', 'rpm'], {
      env,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error[package_tools_missing]');
    expect(r.stderr).not.toMatch(/repo_|fetch/);
  });
});
