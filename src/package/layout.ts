/**
 * What one package holds and says, independent of its format: the shape the
 * era facts (kubeletFacts.ts, runcFacts.ts) produce and the spec and control
 * writers (rpmSpec.ts, debControl.ts) turn into rpmbuild and dpkg-deb input.
 */

/** The two package formats kpatch writes. */
export type PackageFormat = 'rpm' | 'deb';

/** Every format, in the order packages are made and listed. */
export const PACKAGE_FORMATS: readonly PackageFormat[] = ['rpm', 'deb'];

/** One entry of the package's file list. */
export interface PackagedFile {
  /** Absolute install path (`/usr/bin/kubelet`). */
  path: string;
  /** Permission bits (`0o755`); owner and group are always root. */
  mode: number;
  /**
   * `binary`: the folder's verified binary; `file`: `content`, replaced on
   * upgrade; `config`: `content`, a file the user's edits survive
   * (`%config(noreplace)`, a dpkg conffile); `dir`: an owned folder.
   */
  kind: 'binary' | 'file' | 'config' | 'dir';
  /** The text of a `file` or `config`. */
  content?: string;
}

/** The maintainer scripts' parts, as POSIX sh, that the writers place in each format's hooks. */
export interface ScriptParts {
  /** Before the files are unpacked (`%pre`, `preinst install|upgrade`). */
  beforeInstall: string[];
  /** After they are (`%post`, `postinst configure`). */
  afterInstall: string[];
  /** Before removal or upgrade (`%preun`, `prerm`). */
  beforeRemove: string[];
  /** After removal (`%postun`, `postrm`). */
  afterRemove: string[];
}

/** Everything a writer needs for one package of one format. */
export interface PackageLayout {
  format: PackageFormat;
  name: string;
  /** Upstream version (`1.12.4`, `1.0.0~rc92`). */
  version: string;
  /** RPM Release or DEB revision (`0.kpatch1.guard`, `00+kpatch1.guard`). */
  release: string;
  /** Architecture in the package manager's words (`x86_64`, `amd64`). */
  arch: string;
  /** One line (RPM Summary; the DEB Description's first line). */
  summary: string;
  /** The longer description, one paragraph per entry. */
  description: string[];
  /** RPM License (DEB packages of this era carried theirs in /usr/share/doc; the field is RPM's). */
  license: string;
  url: string;
  /** DEB Maintainer. */
  maintainer: string;
  /** Dependencies in the format's own syntax (`iptables >= 1.4.21`, `iptables (>= 1.4.21)`). */
  depends: string[];
  files: PackagedFile[];
  /** Where the binary goes (one of `files`, kind `binary`). */
  binaryPath: string;
  scripts: ScriptParts;
  /** The facts this layout follows, for the docs and the manifest (`kubelet rpm: 2019-03-02 ...`). */
  facts: string[];
}

/** The default DEB Maintainer: the packages are kpatch's rebuilds, not the Kubernetes authors'. */
export const DEFAULT_MAINTAINER = 'kpatch <kpatch@kpatch.invalid>';

/** A ScriptParts with nothing in it. */
export function noScripts(): ScriptParts {
  return { beforeInstall: [], afterInstall: [], beforeRemove: [], afterRemove: [] };
}
