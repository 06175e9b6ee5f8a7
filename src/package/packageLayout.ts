/**
 * The layout of one package made from an artifact folder: the era facts of
 * its target (kubeletFacts.ts; runc below), the version scheme
 * (versionScheme.ts), the architecture (arch.ts) and the scripts
 * (scriptlets.ts), put together for one format and one platform.
 */
import { fail } from '../errors.js';
import type { Manifest } from '../manifest/manifest.js';
import { packageArch } from './arch.js';
import { KUBELET_MINORS, KUBELET_PATH, kubeletDepends, kubeletFacts, kubeletFiles, type KubeVersion } from './kubeletFacts.js';
import { noScripts, type PackageFormat, type PackageLayout } from './layout.js';
import { debSystemdParts, rebootSentinelParts } from './scriptlets.js';
import { kpatchRelease, officialRelease, upstreamVersion } from './versionScheme.js';

/** The choices a packaging run makes (flags of `kpatch package` and `build --package`). */
export interface PackageChoices {
  /** `--rebuild N`: the kpatch rebuild number (default 1). */
  rebuild: number;
  /** `--base-release N`: the official release to build on, when the facts' is not the one the nodes have. */
  baseRelease?: number;
  /** Whether the scripts ask for a reboot (`--no-reboot-sentinel` turns it off). */
  rebootSentinel: boolean;
  /** DEB Maintainer (`--maintainer`). */
  maintainer: string;
}

/**
 * runc's packages: no Kubernetes-official one ever existed; nodes got runc
 * from their distribution (CentOS/Fedora `runc`: `/usr/bin/runc`;
 * Debian/Ubuntu `runc`: `/usr/sbin/runc`) or inside Docker's `containerd.io`
 * (`/usr/bin/runc`). kpatch's own runc package takes the distributions'
 * name and path; to replace the exact package a node runs, repackage it
 * (`kpatch package --from`).
 */
export const RUNC_PATHS: Record<PackageFormat, string> = { rpm: '/usr/bin/runc', deb: '/usr/sbin/runc' };

/** The UTC day of a manifest's SOURCE_DATE_EPOCH (the tag's commit): the day the official package would have been made. */
export function packagingDay(m: Manifest): string {
  if (m.sourceDateEpoch === undefined)
    fail('package_unsupported', {
      where: 'manifest.json',
      detail: 'it records no sourceDateEpoch (the tag commit time) to date the package and its files by',
    });
  return new Date(m.sourceDateEpoch * 1000).toISOString().slice(0, 10);
}

function kubeVersion(tag: string): KubeVersion {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(tag);
  const v = m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) } : undefined;
  if (!v || v.major !== 1 || v.minor < KUBELET_MINORS.first || v.minor > KUBELET_MINORS.last)
    fail('package_unsupported', {
      where: tag,
      detail: `kubelet packages are laid out as the official ones of Kubernetes 1.${KUBELET_MINORS.first} to 1.${KUBELET_MINORS.last}, the releases the fix is for`,
    });
  return v;
}

/** The layout of the `format` package of the folder's `platform` binary. */
export function packageLayout(format: PackageFormat, m: Manifest, platform: string, c: PackageChoices): PackageLayout {
  const tag = m.source.tag;
  if (!tag)
    fail('package_unsupported', { where: 'manifest.json', detail: 'it names no release tag (source.tag) to version the package by' });
  const arch = packageArch(format, platform);
  const target = m.target ?? 'kubelet';
  const version = upstreamVersion(tag);
  const base = (n: number) => officialRelease(format, c.baseRelease ?? n);
  const note = `Built by kpatch ${m.kpatchVersion} from ${target === 'runc' ? 'runc' : 'Kubernetes'} ${tag} with the kmem-accounting fix (mode ${m.mode}): the ${target} no longer switches kernel-memory accounting on for every memory cgroup, which leaks memory cgroup IDs on CentOS/RHEL 7 kernels.`;
  if (target === 'kubelet') {
    const facts = kubeletFacts(format, kubeVersion(tag), packagingDay(m));
    const scripts = noScripts();
    if (c.rebootSentinel) Object.assign(scripts, rebootSentinelParts('kubelet', KUBELET_PATH));
    if (format === 'deb') {
      // The official DEB's postinst made the manifests folder; its systemd scripts came from debhelper.
      const systemd = debSystemdParts('kubelet.service');
      scripts.afterInstall = [...scripts.afterInstall, 'mkdir -p /etc/kubernetes/manifests', ...systemd.afterInstall];
      scripts.beforeRemove = systemd.beforeRemove;
      scripts.afterRemove = systemd.afterRemove;
    }
    return {
      format,
      name: 'kubelet',
      version,
      release: kpatchRelease(format, { base: base(facts.baseRelease), rebuild: c.rebuild, mode: m.mode }),
      arch,
      summary: format === 'rpm' ? 'Container cluster management' : 'Kubernetes Node Agent',
      description: ['The node agent of Kubernetes, the container cluster manager.', note],
      license: 'ASL 2.0',
      url: 'https://kubernetes.io',
      maintainer: c.maintainer,
      depends: kubeletDepends(format, facts),
      files: kubeletFiles(facts),
      binaryPath: KUBELET_PATH,
      scripts,
      facts: facts.rows,
    };
  }
  const scripts = noScripts();
  if (c.rebootSentinel) Object.assign(scripts, rebootSentinelParts('runc', RUNC_PATHS[format]));
  // runc is built with cgo (and with libseccomp for the seccomp tag): it needs the C library, and libseccomp when tagged.
  const seccomp = (m.buildtags ?? '').split(/\s+/).includes('seccomp');
  const depends = format === 'rpm' ? ['glibc', ...(seccomp ? ['libseccomp'] : [])] : ['libc6', ...(seccomp ? ['libseccomp2'] : [])];
  return {
    format,
    name: 'runc',
    version,
    release: kpatchRelease(format, { base: base(0), rebuild: c.rebuild, mode: m.mode }),
    arch,
    summary: 'CLI for running Open Container Initiative containers',
    description: ['runc spawns and runs containers according to the OCI runtime specification.', note],
    license: 'ASL 2.0',
    url: 'https://github.com/opencontainers/runc',
    maintainer: c.maintainer,
    depends,
    files: [{ path: RUNC_PATHS[format], mode: 0o755, kind: 'binary' }],
    binaryPath: RUNC_PATHS[format],
    scripts,
    facts: [`runc ${format}: the distributions' runc package (${RUNC_PATHS[format]})`],
  };
}
