/**
 * runc's packages, from a real stand-in runc build (v1.0.0-rc92, nokmem, the
 * local runner): the distributions' name and path (RPM /usr/bin/runc, DEB
 * /usr/sbin/runc), a Version from the tag with `~` before the pre-release,
 * libseccomp for the seccomp tag, the binary byte for byte; verify ties them
 * to the verified runc.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kpatch } from '../helpers/cli.js';
import { debField, dpkgCompare, packagedSha256, rpmCompare, rpmLines, rpmQuery } from '../helpers/packageQueries.js';
import { makeRuncStandinRemote } from '../helpers/runc-standin-repo.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'kpatch-runc-packages-'));
const env = { CI: '1', KPATCH_CACHE_DIR: path.join(tmp, 'cache'), HOME: path.join(tmp, 'home'), GOFLAGS: undefined };
const out = path.join(tmp, 'out');
const RPM = 'packages/runc-1.0.0~rc92-0.kpatch1.nokmem.x86_64.rpm';
const DEB = 'packages/runc_1.0.0~rc92-00+kpatch1.nokmem_amd64.deb';

beforeAll(() => {
  mkdirSync(env.HOME, { recursive: true });
  const remote = makeRuncStandinRemote(tmp);
  const r = kpatch(
    [
      'build',
      '--runc',
      'v1.0.0-rc92',
      '--repo',
      remote.url,
      '--runner',
      'local',
      '--mode',
      'nokmem',
      '--buildtags',
      'apparmor',
      '--out',
      out,
      '--package',
      'rpm,deb',
    ],
    { env },
  );
  if (r.code !== 0) throw new Error(`build failed: ${r.stderr}`);
}, 900_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('runc packages', () => {
  it("take the distributions' name and path, a pre-release Version with ~, and carry the verified runc", () => {
    const m = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(m.packages.map((p: { path: string }) => p.path)).toEqual([DEB, RPM].sort());
    const runcSha = m.artifacts[0].sha256;
    expect(rpmQuery(path.join(out, RPM), '%{NAME}|%{VERSION}|%{RELEASE}|%{ARCH}')).toBe('runc|1.0.0~rc92|0.kpatch1.nokmem|x86_64');
    expect(rpmQuery(path.join(out, RPM), '[%{FILEMODES:perms} %{FILENAMES}\n]').trim()).toBe('-rwxr-xr-x /usr/bin/runc');
    // --buildtags apparmor: no seccomp tag, so no libseccomp.
    expect(rpmLines(path.join(out, RPM), '--requires').filter((r) => !r.startsWith('rpmlib(') && r !== '/bin/sh')).toEqual(['glibc']);
    expect(packagedSha256(path.join(out, RPM), '/usr/bin/runc')).toBe(runcSha);
    expect(debField(path.join(out, DEB), 'Version')).toBe('1.0.0~rc92-00+kpatch1.nokmem');
    expect(debField(path.join(out, DEB), 'Depends')).toBe('libc6');
    expect(packagedSha256(path.join(out, DEB), '/usr/sbin/runc')).toBe(runcSha);
  });

  it('the pre-release sorts before the release in both managers', () => {
    expect(rpmCompare('1.0.0~rc92-0.kpatch1.nokmem', '1.0.0-0')).toBe(-1);
    expect(dpkgCompare('1.0.0~rc92-00+kpatch1.nokmem', 'lt', '1.0.0-00')).toBe(true);
  });

  it('kpatch verify ties both packages to the verified runc', () => {
    const r = kpatch(['verify', out], { env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ok   packages\/runc_.*byte for byte linux-amd64\/runc/m);
    expect(r.stdout).toMatch(/^ok   packages\/runc-.*byte for byte linux-amd64\/runc/m);
  });
});
