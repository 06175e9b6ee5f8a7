/**
 * Go's architecture names in each package manager's words, as the official
 * Kubernetes packages used them (the RPM repository's `x86_64`, `aarch64`,
 * `armhfp`, `ppc64le`, `s390x`; the DEB pool's `amd64`, `arm64`, `armhf`,
 * `ppc64el`, `s390x`).
 */
import { fail } from '../errors.js';
import type { PackageFormat } from './layout.js';

const ARCHES: Record<string, Record<PackageFormat, string>> = {
  amd64: { rpm: 'x86_64', deb: 'amd64' },
  arm64: { rpm: 'aarch64', deb: 'arm64' },
  arm: { rpm: 'armhfp', deb: 'armhf' },
  ppc64le: { rpm: 'ppc64le', deb: 'ppc64el' },
  s390x: { rpm: 's390x', deb: 's390x' },
};

/** The package architecture of a build platform (`linux/amd64` → `x86_64` / `amd64`); `package_unsupported` for any other. */
export function packageArch(format: PackageFormat, platform: string): string {
  const [os, goArch] = platform.split('/');
  const arch = os === 'linux' ? ARCHES[goArch]?.[format] : undefined;
  if (!arch)
    fail('package_unsupported', {
      where: platform,
      detail: `no ${format.toUpperCase()} architecture for it: packages are made for linux/${Object.keys(ARCHES).join(', linux/')}`,
    });
  return arch;
}

/** The Go platform of a package architecture (`x86_64` → `linux/amd64`), or undefined. */
export function platformOfArch(format: PackageFormat, arch: string): string | undefined {
  const goArch = Object.entries(ARCHES).find(([, a]) => a[format] === arch)?.[0];
  return goArch ? `linux/${goArch}` : undefined;
}
