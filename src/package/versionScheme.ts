/**
 * The version a kpatch package carries. The Version stays upstream's
 * (`1.12.4`), so the package upgrades the official one of the same release
 * and is itself upgraded by the next upstream patch release; the release
 * part starts with the official package's (RPM `0`, DEB `00`) and adds
 * `kpatch<N>.<mode>`, which sorts after it in both package managers:
 *
 * | format | official | kpatch | next upstream patch |
 * |---|---|---|---|
 * | RPM | `1.12.4-0` | `1.12.4-0.kpatch1.guard` | `1.12.5-0` |
 * | DEB | `1.12.4-00` | `1.12.4-00+kpatch1.guard` | `1.12.5-00` |
 *
 * rpm compares the release segment by segment (`0` = `0`, then the side with
 * segments left is newer); dpkg compares `00` = `00`, then `+` after nothing.
 * `N` is the rebuild number (`--rebuild`, default 1): a rebuild of the same
 * release and mode with `--rebuild 2` upgrades the first. The tests check
 * every ordering with `rpm`'s own comparison and `dpkg --compare-versions`.
 */
import { fail } from '../errors.js';
import type { PackageFormat } from './layout.js';

/** The upstream version of a release tag in the package managers' syntax: `v1.12.4` → `1.12.4`, `v1.0.0-rc92` → `1.0.0~rc92`. */
export function upstreamVersion(tag: string): string {
  const m = /^v?(\d+\.\d+\.\d+)(?:-([0-9A-Za-z.]+))?$/.exec(tag);
  if (!m) fail('package_unsupported', { where: tag, detail: 'not a release tag of the form v1.12.4 or v1.0.0-rc92' });
  // `~` sorts before the empty string in both rpm (>= 4.10) and dpkg, as a pre-release must.
  return m[2] ? `${m[1]}~${m[2]}` : m[1];
}

/** The official package's release of a base number: RPM `0`, DEB `00` (DEB revisions were two digits). */
export function officialRelease(format: PackageFormat, base: number): string {
  return format === 'rpm' ? String(base) : String(base).padStart(2, '0');
}

/** What makes a kpatch release: the official one it builds on, the rebuild number and the mode. */
export interface ReleaseParts {
  /** The official package's release or revision (`0`, `00`, `1`, `01`, or a `--from` package's own). */
  base: string;
  /** The rebuild number, 1 and up. */
  rebuild: number;
  /** The mode the binary was built with (`guard`, `remove`, `nokmem`). */
  mode: string;
}

/** `0.kpatch1.guard` (RPM) or `00+kpatch1.guard` (DEB). */
export function kpatchRelease(format: PackageFormat, p: ReleaseParts): string {
  if (!Number.isInteger(p.rebuild) || p.rebuild < 1)
    fail('usage', { where: `--rebuild ${p.rebuild}`, detail: 'a whole number, 1 or more' });
  // Both formats take [A-Za-z0-9.+~] in a release; a mode is a plain word.
  if (!/^[a-z0-9]+$/.test(p.mode)) fail('internal', { detail: `mode ${JSON.stringify(p.mode)} cannot go into a package release` });
  if (!/^[A-Za-z0-9.+~_]+$/.test(p.base))
    fail('package_unsupported', { where: p.base, detail: 'not a release a package version can carry' });
  return format === 'rpm' ? `${p.base}.kpatch${p.rebuild}.${p.mode}` : `${p.base}+kpatch${p.rebuild}.${p.mode}`;
}

/** The file name the package managers give a package: `kubelet-1.12.4-0.kpatch1.guard.x86_64.rpm`, `kubelet_1.12.4-00+kpatch1.guard_amd64.deb`. */
export function packageFileName(format: PackageFormat, name: string, version: string, release: string, arch: string): string {
  return format === 'rpm' ? `${name}-${version}-${release}.${arch}.rpm` : `${name}_${version}-${release}_${arch}.deb`;
}
