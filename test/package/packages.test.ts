/**
 * `kpatch package` and `kpatch build --package` on real stand-in builds
 * (v1.12.4, guard, local runner, linux/amd64 and linux/arm64), checked the
 * way a release engineer checks a package: with rpm, rpm2cpio/cpio,
 * dpkg-deb and tar, never with kpatch's own reader. Nothing here installs a
 * package (the install, upgrade and rollback proofs are the repository
 * tests'): names, headers, file lists and modes, dependencies, scripts, the
 * binary inside byte for byte, rpm 4.11.3's rpmlib() features, version
 * ordering by rpm and dpkg themselves, two runs bit-identical, the records,
 * verify (and its tamper checks), and bad input refused with nothing written.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kpatch } from '../helpers/cli.js';
import { compareSnapshots, snapshotDir } from '../helpers/fsSnapshot.js';
import { expectValidJson, schemaErrors } from '../helpers/jsonSchema.js';
import { debControlMember, debField, dpkgCompare, packagedSha256, rpmCompare, rpmLines, rpmQuery } from '../helpers/packageQueries.js';
import { makeStandinRemote, type StandinRemote } from '../helpers/standin-repo.js';
import { RPM_4_11_3_FEATURES } from '../../src/package/rpmlib.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'kpatch-packages-'));
const env = { CI: '1', KPATCH_CACHE_DIR: path.join(tmp, 'cache'), HOME: path.join(tmp, 'home') };
const plain = path.join(tmp, 'plain');
const packaged = path.join(tmp, 'packaged');
const RPM = 'packages/kubelet-1.12.4-0.kpatch1.guard.x86_64.rpm';
const RPM_ARM = 'packages/kubelet-1.12.4-0.kpatch1.guard.aarch64.rpm';
const DEB = 'packages/kubelet_1.12.4-00+kpatch1.guard_amd64.deb';
const DEB_ARM = 'packages/kubelet_1.12.4-00+kpatch1.guard_arm64.deb';
let remote: StandinRemote;
let copies = 0;

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const json = (dir: string, name: string) => JSON.parse(readFileSync(path.join(dir, name), 'utf8'));
const failLines = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('FAIL'));
const artifactSha = (dir: string, p: string) => json(dir, 'manifest.json').artifacts.find((a: { path: string }) => a.path === p).sha256;

function copy(from: string): string {
  const dir = path.join(tmp, `copy-${++copies}`);
  cpSync(from, dir, { recursive: true });
  return dir;
}

beforeAll(() => {
  mkdirSync(env.HOME, { recursive: true });
  remote = makeStandinRemote(tmp, { tags: ['v1.12.4'] });
  const b = kpatch(
    ['build', '--k8s', 'v1.12.4', '--repo', remote.url, '--runner', 'local', '--platform', 'linux/amd64,linux/arm64', '--out', plain],
    { env },
  );
  if (b.code !== 0) throw new Error(`build failed: ${b.stderr}`);
  const p = kpatch(['package', plain, '--out', packaged], { env });
  if (p.code !== 0) throw new Error(`package failed: ${p.stderr}`);
  // A kubelet build: minutes on a loaded two-core machine.
}, 900_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('kpatch package DIR --out NEW', () => {
  it('writes one RPM and one DEB per platform, named as rpm and dpkg name them, and leaves DIR as it was', () => {
    expect(readdirSync(path.join(packaged, 'packages')).sort()).toEqual([RPM_ARM, RPM, DEB, DEB_ARM].map((p) => path.basename(p)).sort());
    expect(existsSync(path.join(plain, 'packages'))).toBe(false);
    const m = json(packaged, 'manifest.json');
    expect(m.packages).toHaveLength(4);
    expect(m.packages.find((p: { path: string }) => p.path === RPM)).toEqual({
      path: RPM,
      format: 'rpm',
      name: 'kubelet',
      version: '1.12.4',
      release: '0.kpatch1.guard',
      arch: 'x86_64',
      sha256: sha(path.join(packaged, RPM)),
      binary: { installPath: '/usr/bin/kubelet', artifact: 'linux-amd64/kubelet' },
    });
    expect(m.packages.find((p: { path: string }) => p.path === DEB_ARM)).toMatchObject({ arch: 'arm64', release: '00+kpatch1.guard' });
    expect(schemaErrors('build.schema.json', m)).toEqual([]);
  });

  it('every record lists each package once: SHA256SUMS (sha256sum -c), provenance subjects, the SBOM', () => {
    execFileSync('sha256sum', ['-c', '--quiet', 'SHA256SUMS'], { cwd: packaged });
    const sums = readFileSync(path.join(packaged, 'SHA256SUMS'), 'utf8');
    const prov = json(packaged, 'provenance.json');
    const sbom = json(packaged, 'sbom.spdx.json');
    for (const p of [RPM, RPM_ARM, DEB, DEB_ARM]) {
      const h = sha(path.join(packaged, p));
      expect(sums.split('\n').filter((l) => l.endsWith(`  ${p}`))).toEqual([`${h}  ${p}`]);
      expect(prov.subject.filter((s: { name: string }) => s.name === p)).toEqual([{ name: p, digest: { sha256: h } }]);
      const entries = sbom.packages.filter((x: { packageFileName?: string }) => x.packageFileName === p);
      expect(entries).toHaveLength(1);
      expect(entries[0].checksums).toEqual([{ algorithm: 'SHA256', checksumValue: h }]);
    }
    expect(schemaErrors('provenance.schema.json', prov)).toEqual([]);
    expect(schemaErrors('spdx-2.3.schema.json', sbom)).toEqual([]);
  });

  it('the RPM: header, dependencies of the 1.12.4 package, files and modes, config file, scripts, the binary byte for byte', () => {
    const file = path.join(packaged, RPM);
    const m = json(packaged, 'manifest.json');
    expect(rpmQuery(file, '%{NAME}|%{VERSION}|%{RELEASE}|%{ARCH}|%{LICENSE}|%{BUILDTIME}|%{PAYLOADCOMPRESSOR}|%{FILEDIGESTALGO}')).toBe(
      `kubelet|1.12.4|0.kpatch1.guard|x86_64|ASL 2.0|${m.sourceDateEpoch}|xz|8`,
    );
    // v1.12.4 (tagged 2018-12-03): conntrack (2018-11-28) and kubernetes-cni pinned at 0.6.0 (1.9 and later, since 2017-12-12).
    expect(rpmLines(file, '--requires').filter((r) => !r.startsWith('rpmlib(') && r !== '/bin/sh')).toEqual([
      'conntrack',
      'ebtables',
      'ethtool',
      'iproute',
      'iptables >= 1.4.21',
      'kubernetes-cni = 0.6.0',
      'socat',
      'util-linux',
    ]);
    // The unit where the official package had it before March 2019; the environment file since 1.11.
    expect(rpmQuery(file, '[%{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILENAMES}\n]').trim().split('\n')).toEqual([
      'drwxr-xr-x root:root /etc/kubernetes/manifests',
      '-rw-r--r-- root:root /etc/sysconfig/kubelet',
      '-rw-r--r-- root:root /etc/systemd/system/kubelet.service',
      '-rwxr-xr-x root:root /usr/bin/kubelet',
    ]);
    expect(rpmLines(file, '--configfiles')).toEqual(['/etc/sysconfig/kubelet']);
    expect(rpmQuery(file, '[%{FILEFLAGS:fflags} %{FILENAMES}\n]')).toMatch(/^cn \/etc\/sysconfig\/kubelet$/m);
    expect(rpmLines(file, '--scripts').join('\n')).toMatch(/reboot-required/);
    expect(packagedSha256(file, '/usr/bin/kubelet')).toBe(artifactSha(packaged, 'linux-amd64/kubelet'));
    expect(packagedSha256(path.join(packaged, RPM_ARM), '/usr/bin/kubelet')).toBe(artifactSha(packaged, 'linux-arm64/kubelet'));
    expect(rpmQuery(path.join(packaged, RPM_ARM), '%{ARCH}')).toBe('aarch64');
  });

  it('every RPM requires only rpmlib() features rpm 4.11.3 provides (its lib/rpmds.c), in versions it has', () => {
    for (const p of [RPM, RPM_ARM]) {
      const features = rpmLines(path.join(packaged, p), '--requires').filter((r) => r.startsWith('rpmlib('));
      expect(features.length, p).toBeGreaterThan(0);
      for (const f of features) {
        const [, name, version] = /^(rpmlib\([^)]+\)) <= (\S+)$/.exec(f) ?? [];
        expect(RPM_4_11_3_FEATURES[name], `${p}: ${f}`).toBeDefined();
        // rpm itself compares: what 4.11.3 provides must not be older than what the package asks for.
        expect(rpmCompare(`${RPM_4_11_3_FEATURES[name]}`, `${version}`), `${p}: ${f}`).toBeGreaterThanOrEqual(0);
      }
      expect(features.join(' ')).not.toMatch(/Zstd|Rich|Caret|LargeFiles/);
    }
  });

  it('the DEB: control fields, conffile, files and modes, xz members, scripts, the binary byte for byte', () => {
    const file = path.join(packaged, DEB);
    expect(['Package', 'Version', 'Architecture'].map((f) => debField(file, f))).toEqual(['kubelet', '1.12.4-00+kpatch1.guard', 'amd64']);
    expect(debField(file, 'Depends')).toBe(
      'iptables (>= 1.4.21), kubernetes-cni (= 0.6.0), iproute2, socat, util-linux, mount, ebtables, ethtool, conntrack, init-system-helpers (>= 1.18~)',
    );
    expect(debControlMember(file, 'conffiles')).toBe('/etc/default/kubelet\n');
    const listing = execFileSync('dpkg-deb', ['--contents', file], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/))
      .filter((f) => !f[0].startsWith('d'))
      .map((f) => `${f[0]} ${f[1]} ${f[5]}`);
    expect(listing).toEqual([
      '-rw-r--r-- root/root ./etc/default/kubelet',
      '-rw-r--r-- root/root ./lib/systemd/system/kubelet.service',
      '-rwxr-xr-x root/root ./usr/bin/kubelet',
    ]);
    // Ubuntu 16.04's and Debian 9's dpkg (1.18) read xz members.
    expect(execFileSync('ar', ['t', file], { encoding: 'utf8' }).trim().split('\n')).toEqual([
      'debian-binary',
      'control.tar.xz',
      'data.tar.xz',
    ]);
    const postinst = debControlMember(file, 'postinst');
    expect(postinst).toMatch(/mkdir -p \/etc\/kubernetes\/manifests/);
    expect(postinst).toMatch(/reboot-required\.pkgs/);
    execFileSync('sh', ['-n', '-c', postinst]);
    expect(packagedSha256(file, '/usr/bin/kubelet')).toBe(artifactSha(packaged, 'linux-amd64/kubelet'));
    expect(packagedSha256(path.join(packaged, DEB_ARM), '/usr/bin/kubelet')).toBe(artifactSha(packaged, 'linux-arm64/kubelet'));
  });

  it('two runs on the same folder give bit-identical packages', () => {
    const again = path.join(tmp, 'again');
    const r = kpatch(['package', plain, '--out', again], { env });
    expect(r.code, r.stderr).toBe(0);
    for (const p of [RPM, RPM_ARM, DEB, DEB_ARM]) expect(sha(path.join(again, p)), p).toBe(sha(path.join(packaged, p)));
  });

  it('kpatch verify opens every package and ties it to the verified binary', () => {
    const r = kpatch(['verify', packaged], { env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    for (const p of [RPM, RPM_ARM, DEB, DEB_ARM])
      expect(r.stdout).toMatch(new RegExp(`^ok   ${p.replace(/[.+]/g, '\\$&')}: .*byte for byte linux-`, 'm'));
    expect(r.stdout).toMatch(/installs on rpm 4\.11\.3/);
  });

  it('--json prints the packages as schemas/package.schema.json says', () => {
    const out = path.join(tmp, 'json-out');
    const r = kpatch(['package', plain, '--out', out, '--format', 'deb', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const doc = expectValidJson('package.schema.json', r.stdout);
    expect(doc.packages.map((p: { path: string }) => p.path)).toEqual([DEB, DEB_ARM]);
  });
});

describe('package versions sort where the package managers put them', () => {
  it('after the official package, before the next upstream patch release, and a rebuild after the first build (rpm)', () => {
    expect(rpmCompare('1.12.4-0', '1.12.4-0.kpatch1.guard')).toBe(-1);
    expect(rpmCompare('1.12.4-0.kpatch1.guard', '1.12.5-0')).toBe(-1);
    expect(rpmCompare('1.12.4-0.kpatch1.guard', '1.12.4-0.kpatch2.guard')).toBe(-1);
    expect(rpmCompare('1.12.4-0.kpatch9.guard', '1.12.4-0.kpatch10.guard')).toBe(-1);
    // The republished 1.18.4 (release 1) is built on: ours sorts after it.
    expect(rpmCompare('1.18.4-1', '1.18.4-1.kpatch1.guard')).toBe(-1);
    expect(rpmCompare('1.18.4-1.kpatch1.guard', '1.18.5-0')).toBe(-1);
  });

  it('the same with dpkg --compare-versions', () => {
    expect(dpkgCompare('1.12.4-00', 'lt', '1.12.4-00+kpatch1.guard')).toBe(true);
    expect(dpkgCompare('1.12.4-00+kpatch1.guard', 'lt', '1.12.5-00')).toBe(true);
    expect(dpkgCompare('1.12.4-00+kpatch1.guard', 'lt', '1.12.4-00+kpatch2.guard')).toBe(true);
    expect(dpkgCompare('1.12.4-00+kpatch9.guard', 'lt', '1.12.4-00+kpatch10.guard')).toBe(true);
    expect(dpkgCompare('1.18.4-01', 'lt', '1.18.4-01+kpatch1.guard')).toBe(true);
    expect(dpkgCompare('1.18.4-01+kpatch1.guard', 'lt', '1.18.5-00')).toBe(true);
  });

  it('--rebuild 2 writes a package both managers sort after the first', () => {
    const out = path.join(tmp, 'rebuild2');
    const r = kpatch(['package', packaged, '--out', out, '--rebuild', '2'], { env });
    expect(r.code, r.stderr).toBe(0);
    const rel = rpmQuery(path.join(out, 'packages/kubelet-1.12.4-0.kpatch2.guard.x86_64.rpm'), '%{VERSION}-%{RELEASE}');
    expect(rpmCompare(rpmQuery(path.join(packaged, RPM), '%{VERSION}-%{RELEASE}'), rel)).toBe(-1);
    const v = debField(path.join(out, 'packages/kubelet_1.12.4-00+kpatch2.guard_amd64.deb'), 'Version');
    expect(dpkgCompare(debField(path.join(packaged, DEB), 'Version'), 'lt', v)).toBe(true);
    // The older packages are replaced, not kept beside.
    expect(readdirSync(path.join(out, 'packages')).filter((f) => f.includes('kpatch1'))).toEqual([]);
  });
});

/** Makes the folder's records agree with a replaced package file, so only verify's look inside can notice. */
function resync(dir: string, pkg: string, oldSha: string): void {
  const now = sha(path.join(dir, pkg));
  for (const f of ['manifest.json', 'provenance.json', 'sbom.spdx.json'])
    writeFileSync(path.join(dir, f), readFileSync(path.join(dir, f), 'utf8').replaceAll(oldSha, now));
  const lines = readFileSync(path.join(dir, 'SHA256SUMS'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('  ')[1])
    .map((f) => `${sha(path.join(dir, f))}  ${f}`);
  writeFileSync(path.join(dir, 'SHA256SUMS'), lines.join('\n') + '\n');
}

describe('kpatch verify on a package carrying another binary', () => {
  it('a DEB rebuilt with the arm64 kubelet in it fails on that package, with its records in order', () => {
    const dir = copy(packaged);
    const file = path.join(dir, DEB);
    const was = sha(file);
    const unpacked = path.join(tmp, `deb-${copies}`);
    execFileSync('dpkg-deb', ['-R', file, unpacked]);
    cpSync(path.join(dir, 'linux-arm64/kubelet'), path.join(unpacked, 'usr/bin/kubelet'));
    execFileSync('dpkg-deb', ['--root-owner-group', '-b', unpacked, file], { stdio: 'pipe' });
    resync(dir, DEB, was);
    const r = kpatch(['verify', dir], { env });
    expect(r.code).toBe(1);
    expect(failLines(r.stdout)).toEqual([
      expect.stringMatching(
        /^FAIL packages\/kubelet_1\.12\.4-00\+kpatch1\.guard_amd64\.deb: its \/usr\/bin\/kubelet .* is not linux-amd64\/kubelet .*another binary$/,
      ),
    ]);
  });

  it('an RPM built by rpmbuild with the arm64 kubelet in it fails the same way', () => {
    const dir = copy(packaged);
    const file = path.join(dir, RPM);
    const was = sha(file);
    const work = path.join(tmp, `rpm-${copies}`);
    const root = path.join(work, 'root');
    for (const d of ['usr/bin', 'etc/sysconfig', 'etc/systemd/system', 'etc/kubernetes/manifests'])
      mkdirSync(path.join(root, d), { recursive: true });
    cpSync(path.join(dir, 'linux-arm64/kubelet'), path.join(root, 'usr/bin/kubelet'));
    writeFileSync(path.join(root, 'etc/sysconfig/kubelet'), 'KUBELET_EXTRA_ARGS=\n');
    writeFileSync(path.join(root, 'etc/systemd/system/kubelet.service'), '[Service]\n');
    const spec = [
      'Name: kubelet',
      'Version: 1.12.4',
      'Release: 0.kpatch1.guard',
      'Summary: tampered',
      'License: ASL 2.0',
      'AutoReqProv: no',
      '%description',
      'tampered',
      '%install',
      `cp -pR ${root}/. %{buildroot}/`,
      '%files',
      '%attr(0755,root,root) /usr/bin/kubelet',
      '%config(noreplace) %attr(0644,root,root) /etc/sysconfig/kubelet',
      '%attr(0644,root,root) /etc/systemd/system/kubelet.service',
      '%dir %attr(0755,root,root) /etc/kubernetes/manifests',
      '',
    ].join('\n');
    writeFileSync(path.join(work, 'k.spec'), spec);
    const defs = [
      '_topdir ' + path.join(work, 'top'),
      '__os_install_post %{nil}',
      'debug_package %{nil}',
      '_build_id_links none',
      '_binary_payload w2.xzdio',
    ];
    execFileSync('rpmbuild', ['-bb', '--quiet', '--target', 'x86_64', ...defs.flatMap((d) => ['--define', d]), path.join(work, 'k.spec')], {
      stdio: 'pipe',
      env: { ...process.env, HOME: work },
    });
    cpSync(path.join(work, 'top/RPMS/x86_64/kubelet-1.12.4-0.kpatch1.guard.x86_64.rpm'), file);
    resync(dir, RPM, was);
    const r = kpatch(['verify', dir], { env });
    expect(r.code).toBe(1);
    expect(failLines(r.stdout)).toEqual([
      expect.stringMatching(/^FAIL packages\/kubelet-1\.12\.4-0\.kpatch1\.guard\.x86_64\.rpm: its \/usr\/bin\/kubelet .*another binary$/),
    ]);
  });

  it('a package with an extra binary beside the right one fails on its file list', () => {
    const dir = copy(packaged);
    const file = path.join(dir, DEB);
    const was = sha(file);
    const unpacked = path.join(tmp, `deb-extra-${copies}`);
    execFileSync('dpkg-deb', ['-R', file, unpacked]);
    cpSync(path.join(dir, 'linux-amd64/kubelet'), path.join(unpacked, 'usr/bin/kubelet-old'));
    execFileSync('dpkg-deb', ['--root-owner-group', '-b', unpacked, file], { stdio: 'pipe' });
    resync(dir, DEB, was);
    const r = kpatch(['verify', dir], { env });
    expect(r.code).toBe(1);
    expect(failLines(r.stdout)).toEqual([
      expect.stringMatching(/amd64\.deb: its files differ from the layout kpatch makes for it: unexpected \/usr\/bin\/kubelet-old 0755$/),
    ]);
  });
});

describe('kpatch package: bad input is refused and nothing is written', () => {
  /** Runs `kpatch package ...args` and checks the exit code, the error id and that `dir` is unchanged. */
  function refused(dir: string, args: string[], code: number, id: string): string {
    const before = snapshotDir(dir);
    const parent = snapshotDir(path.dirname(dir));
    const r = kpatch(['package', ...args], { env });
    expect(r.code, r.stderr).toBe(code);
    expect(r.stderr).toContain(`error[${id}]`);
    expect(r.stdout).toBe('');
    expect(compareSnapshots(dir, before, snapshotDir(dir))).toEqual([]);
    // No temporary folder left beside it either.
    expect(compareSnapshots(path.dirname(dir), parent, snapshotDir(path.dirname(dir)))).toEqual([]);
    return r.stderr;
  }

  it('a format that does not exist, a repeated one, a bad --rebuild', () => {
    const dir = copy(plain);
    expect(refused(dir, [dir, '--format', 'rpm,zip'], 2, 'usage')).toMatch(/"zip" is not a package format/);
    refused(dir, [dir, '--format', 'deb,deb'], 2, 'usage');
    refused(dir, [dir, '--rebuild', '0'], 2, 'usage');
  });

  it('no such folder; a folder kpatch did not write', () => {
    refused(path.join(tmp, 'home'), [path.join(tmp, 'nothing-here')], 2, 'artifact_dir_missing');
    const other = path.join(tmp, 'not-ours');
    mkdirSync(other);
    writeFileSync(path.join(other, 'manifest.json'), '{"hello": 1}\n');
    refused(other, [other], 2, 'artifact_dir_invalid');
  });

  it('a folder whose kubelet is missing or changed: its records no longer hold', () => {
    const dir = copy(plain);
    rmSync(path.join(dir, 'linux-amd64/kubelet'));
    expect(refused(dir, [dir], 1, 'artifacts_mismatch')).toMatch(/linux-amd64\/kubelet: missing/);
    const dir2 = copy(plain);
    writeFileSync(path.join(dir2, 'linux-arm64/kubelet'), 'not the kubelet');
    refused(dir2, [dir2], 1, 'artifacts_mismatch');
  });

  it('--out inside the folder, or an existing --out without --force', () => {
    const dir = copy(plain);
    refused(dir, [dir, '--out', path.join(dir, 'sub')], 2, 'usage');
    const existing = copy(plain);
    refused(existing, [dir, '--out', existing], 1, 'out_exists');
  });

  it('a signed folder without --sign-key; with it, the new sums are signed and verify --key holds', () => {
    const dir = copy(plain);
    const key = path.join(tmp, 'key.pem');
    const pub = path.join(tmp, 'pub.pem');
    execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
    execFileSync('openssl', ['ec', '-in', key, '-pubout', '-out', pub], { stdio: 'pipe' });
    expect(kpatch(['sign', dir, '--sign-key', key], { env }).code).toBe(0);
    refused(dir, [dir, '--format', 'deb'], 2, 'package_signed');
    const r = kpatch(['package', dir, '--format', 'deb', '--sign-key', key], { env });
    expect(r.code, r.stderr).toBe(0);
    const v = kpatch(['verify', dir, '--key', pub], { env });
    expect(v.code, v.stdout).toBe(0);
    expect(v.stdout).toMatch(/^ok   SHA256SUMS\.sig: a valid ECDSA P-256 signature/m);
  });
});

describe('kpatch build --package', () => {
  it('builds and packages in one step; the folder verifies', () => {
    const out = path.join(tmp, 'built');
    const r = kpatch(
      [
        'build',
        '--k8s',
        'v1.12.4',
        '--repo',
        remote.url,
        '--runner',
        'local',
        '--out',
        out,
        '--package',
        'rpm',
        '--no-reboot-sentinel',
        '--json',
      ],
      { env },
    );
    expect(r.code, r.stderr).toBe(0);
    const m = expectValidJson('build.schema.json', r.stdout);
    expect(m.packages.map((p: { path: string }) => p.path)).toEqual([RPM]);
    expect(rpmLines(path.join(out, RPM), '--scripts')).toEqual([]);
    const v = kpatch(['verify', out], { env });
    expect(v.code, v.stdout).toBe(0);
  });

  it('refuses an unknown format before anything is fetched', () => {
    const out = path.join(tmp, 'never');
    const r = kpatch(['build', '--k8s', 'v1.12.4', '--repo', remote.url, '--out', out, '--package', 'msi'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/"msi" is not a package format/);
    expect(existsSync(out)).toBe(false);
  });
});
