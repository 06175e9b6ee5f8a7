/**
 * The programs packaging and package checks run, from Debian's archive
 * (scripts/install-deps.sh installs them), checked before any work starts so
 * that a missing rpmbuild is one clear error, not a failure halfway.
 */
import { fail } from '../errors.js';
import { findExecutable } from '../pipeline/runners/findExecutable.js';
import type { PackageFormat } from './layout.js';

/** One program, its Debian package, and what it is for. */
interface Tool {
  program: string;
  debian: string;
  why: string;
}

/** What making packages of each format runs. */
const MAKE_TOOLS: Record<PackageFormat, Tool[]> = {
  rpm: [{ program: 'rpmbuild', debian: 'rpm', why: 'builds the RPM' }],
  deb: [{ program: 'dpkg-deb', debian: 'dpkg', why: 'builds the DEB' }],
};

/** What reading packages of each format runs (kpatch verify, and packaging's own check of what it made). */
const READ_TOOLS: Record<PackageFormat, Tool[]> = {
  rpm: [
    { program: 'rpm', debian: 'rpm', why: 'reads the RPM header (rpm -qp)' },
    { program: 'rpm2cpio', debian: 'rpm', why: 'reads the RPM payload' },
    { program: 'cpio', debian: 'cpio', why: 'takes the binary out of the payload' },
  ],
  deb: [
    { program: 'dpkg-deb', debian: 'dpkg', why: 'reads the DEB (dpkg-deb --field, --fsys-tarfile)' },
    { program: 'tar', debian: 'tar', why: 'takes the binary out of the DEB data' },
  ],
};

/** The programs reading `format` packages needs that are not on PATH. */
export function missingReadTools(format: PackageFormat, env: Record<string, string | undefined>): string[] {
  return READ_TOOLS[format].filter((t) => !findExecutable(t.program, env)).map((t) => `${t.program} (Debian: ${t.debian})`);
}

/**
 * Throws `package_tools_missing` naming every program that making (and then
 * reading back) packages of `formats` runs and PATH lacks, with the Debian
 * packages to install.
 */
export function checkPackageTools(formats: readonly PackageFormat[], env: Record<string, string | undefined>): void {
  const tools = formats.flatMap((f) => [...MAKE_TOOLS[f], ...READ_TOOLS[f]]);
  const missing = tools.filter((t, i) => tools.findIndex((x) => x.program === t.program) === i && !findExecutable(t.program, env));
  if (!missing.length) return;
  const width = Math.max(...missing.map((t) => t.program.length));
  fail('package_tools_missing', {
    where: formats.join(','),
    detail: [
      'packaging runs these and they are not on PATH:',
      ...missing.map((t) => `  ${t.program.padEnd(width)}  (Debian: ${t.debian}) ${t.why}`),
      `Debian/Ubuntu: apt-get install ${[...new Set(missing.map((t) => t.debian))].join(' ')}`,
    ].join('\n'),
  });
}
