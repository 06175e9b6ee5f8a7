/**
 * The rpmbuild spec of a layout. Only what rpmbuild needs to pack files that
 * are already laid out (by makePackage.ts, under `%{kpatch_root}`): no
 * sources, no build, and none of the post-install processing that would
 * change the binary (strip, build-id links, debuginfo), so the file in the
 * package is byte for byte the folder's verified binary.
 */
import type { PackageLayout, PackagedFile } from './layout.js';

const octal = (mode: number) => mode.toString(8).padStart(4, '0');

/** One `%files` line. */
function filesLine(f: PackagedFile): string {
  const attr = `%attr(${octal(f.mode)},root,root)`;
  if (f.kind === 'dir') return `%dir ${attr} ${f.path}`;
  if (f.kind === 'config') return `%config(noreplace) ${attr} ${f.path}`;
  return `${attr} ${f.path}`;
}

/** A scriptlet section, or nothing when it has no lines. */
function scriptlet(tag: string, lines: string[]): string[] {
  return lines.length ? ['', tag, ...lines] : [];
}

/** The spec text. `%` in descriptions is doubled so rpm does not expand it. */
export function rpmSpec(l: PackageLayout): string {
  const esc = (s: string) => s.replace(/%/g, '%%');
  return [
    `Name: ${l.name}`,
    `Version: ${l.version}`,
    `Release: ${l.release}`,
    `Summary: ${esc(l.summary)}`,
    `License: ${l.license}`,
    `URL: ${l.url}`,
    // Dependencies are the facts' (kubeletFacts.ts), not what rpm's scanners would read from the binary.
    'AutoReqProv: no',
    ...l.depends.map((d) => `Requires: ${d}`),
    '',
    '%description',
    esc(l.description.join('\n\n')),
    '',
    '%install',
    'mkdir -p %{buildroot}',
    'cp -pR %{kpatch_root}/. %{buildroot}/',
    ...scriptlet('%pre', l.scripts.beforeInstall),
    ...scriptlet('%post', l.scripts.afterInstall),
    ...scriptlet('%preun', l.scripts.beforeRemove),
    ...scriptlet('%postun', l.scripts.afterRemove),
    '',
    '%files',
    '%defattr(-,root,root,-)',
    ...l.files.map(filesLine),
    '',
  ].join('\n');
}

/**
 * The macros every kpatch RPM is built with: what makes it install on rpm
 * 4.11.3 (CentOS/RHEL 7: an xz payload, never zstd; SHA-256 file digests),
 * byte for byte reproducible (SOURCE_DATE_EPOCH as the build time, file
 * times clamped to it, a fixed build host), and the binary untouched (no
 * strip, debuginfo or build-id links).
 */
export const RPM_MACROS: Readonly<Record<string, string>> = {
  _binary_payload: 'w6.xzdio',
  _binary_filedigest_algorithm: '8',
  use_source_date_epoch_as_buildtime: '1',
  clamp_mtime_to_source_date_epoch: '1',
  source_date_epoch_from_changelog: '0',
  _buildhost: 'kpatch.invalid',
  __spec_install_post: '%{nil}',
  __os_install_post: '%{nil}',
  debug_package: '%{nil}',
  _build_id_links: 'none',
  _missing_build_ids_terminate_build: '0',
};
