/**
 * Questions a release engineer asks of a package, answered by the package
 * managers' own tools (rpm, dpkg, dpkg-deb, rpm2cpio, cpio, tar), never by
 * kpatch's code: what a package says, what it holds, the sha256 of a file in
 * it, and how two versions sort.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';

/** `rpm -qp --queryformat FORMAT FILE`. */
export function rpmQuery(file: string, format: string): string {
  return execFileSync('rpm', ['-qp', '--nosignature', '--queryformat', format, file], { encoding: 'utf8' });
}

/** `rpm -qp FLAG FILE` lines (`--requires`, `--configfiles`, `--scripts`, `-l`...). */
export function rpmLines(file: string, flag: string): string[] {
  return execFileSync('rpm', ['-qp', '--nosignature', flag, file], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

/** One control field of a DEB (`dpkg-deb --field`). */
export function debField(file: string, field: string): string {
  return execFileSync('dpkg-deb', ['--field', file, field], { encoding: 'utf8' }).trim();
}

/** A control member of a DEB (`conffiles`, `postinst`...), via `dpkg-deb --ctrl-tarfile | tar`; '' when absent. */
export function debControlMember(file: string, member: string): string {
  const tar = execFileSync('dpkg-deb', ['--ctrl-tarfile', file]);
  const r = spawnSync('tar', ['-xOf', '-', `./${member}`], { input: tar });
  return r.status === 0 ? r.stdout.toString('utf8') : '';
}

/** The sha256 of the file at `installPath` inside a package, taken out with rpm2cpio | cpio or dpkg-deb --fsys-tarfile | tar. */
export function packagedSha256(file: string, installPath: string): string {
  const out = file.endsWith('.rpm')
    ? spawnSync('cpio', ['-i', '--quiet', '--to-stdout', `.${installPath}`], {
        input: execFileSync('rpm2cpio', [file], { maxBuffer: 1 << 30 }),
        maxBuffer: 1 << 30,
      })
    : spawnSync('tar', ['-xOf', '-', `.${installPath}`], {
        input: execFileSync('dpkg-deb', ['--fsys-tarfile', file], { maxBuffer: 1 << 30 }),
        maxBuffer: 1 << 30,
      });
  if (out.status !== 0 || !out.stdout.length) throw new Error(`${installPath} not in ${file}: ${out.stderr}`);
  return createHash('sha256').update(out.stdout).digest('hex');
}

/** rpm's own comparison of two `version-release` strings (rpmvercmp through rpm's Lua, field by field): -1, 0 or 1. */
export function rpmCompare(a: string, b: string): number {
  const [av, ar] = split(a);
  const [bv, br] = split(b);
  const lua = `%{lua: local v = rpm.vercmp("${av}", "${bv}"); if v == 0 then v = rpm.vercmp("${ar}", "${br}") end; print(v)}`;
  return Number(execFileSync('rpm', ['--eval', lua], { encoding: 'utf8' }).trim());
}

function split(evr: string): [string, string] {
  if (!/^[0-9A-Za-z.~+_-]+$/.test(evr)) throw new Error(`not a version: ${evr}`);
  const i = evr.lastIndexOf('-');
  return [evr.slice(0, i), evr.slice(i + 1)];
}

/** `dpkg --compare-versions A OP B`. */
export function dpkgCompare(a: string, op: 'lt' | 'gt' | 'eq', b: string): boolean {
  return spawnSync('dpkg', ['--compare-versions', a, op, b]).status === 0;
}
