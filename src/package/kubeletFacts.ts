/**
 * The legacy official kubelet packages (yum.kubernetes.io, apt.kubernetes.io;
 * gone since March 2024), as facts: which file went where with which mode,
 * what the package depended on, what its scripts did. Written from the
 * definitions in the kubernetes/release repository's history (`rpm/`,
 * `debian/`, later `build/rpms`, `build/debs` and `packages/`), which the
 * release managers built the published packages from on the day of each
 * release. One spec served every minor, with version conditions inside, and
 * it changed over time: so the layout of a release's package follows from its
 * version and the day it was made, which kpatch takes to be the day of the
 * tag's commit (`manifest.sourceDateEpoch`). docs/packages.md shows the same
 * table with the commits each row comes from.
 *
 * Decisions (the only places the layout departs from a published package):
 * - the unit is always 0644 and the environment file 0644 and a config file
 *   (`%config(noreplace)`): packages before late 2018 installed both 0755 and
 *   the file as a plain file, which the definitions' own later commits fixed
 *   ("permission warning"; "Mark the users config file as a config file"), and a
 *   plain file would lose the user's edits on upgrade;
 * - the package requires nothing the binary's linker would (no `AutoReqProv`):
 *   the official kubelets were static, and so are the kube-cross builds.
 * The Kubernetes trees of 1.10-1.19 also carry `build/rpms/kubelet.spec` and
 * `build/debs/BUILD`: those are the Bazel rules of development builds (Release
 * `00` for RPM, no environment file), not what the nodes installed, so they
 * are not followed where they differ (docs/packages.md, "The trees' own
 * definitions").
 */
import type { PackageFormat, PackagedFile } from './layout.js';

/** A Kubernetes version as three numbers. */
export interface KubeVersion {
  major: number;
  minor: number;
  patch: number;
}

/** The state of the definitions on one day, for one version. */
export interface KubeletFacts {
  /** Where the unit is: `/etc/systemd/system` (RPM before March 2019), `/usr/lib/systemd/system`, `/lib/systemd/system` (DEB). */
  unitDir: string;
  /** The environment file (`/etc/sysconfig/kubelet`, `/etc/default/kubelet`), when the package had one. */
  envFile?: string;
  /** RPM: `/etc/kubernetes/manifests/` is a folder of the package; DEB: its postinst makes it. */
  manifestsDirOwned: boolean;
  /** kubernetes-cni: the relation and version (`>=`, `0.8.7`). */
  cni: { op: '>=' | '<=' | '='; version: string };
  conntrack: boolean;
  /** The release (RPM) or revision (DEB) the official package of this version had: 0, or 1 where it was republished. */
  baseRelease: number;
  /** The rows of FACT_ROWS that apply, as `date: what`. */
  rows: string[];
}

type Facts = Omit<KubeletFacts, 'rows'>;

/** One change of the published definitions. */
interface FactRow {
  /** The first day (UTC) a release was packaged with it. */
  date: string;
  formats: PackageFormat[];
  /** Whom it concerns, in words (for the docs). */
  versions: string;
  /** What changed, in words. */
  what: string;
  /** The kubernetes/release commit(s) it comes from. */
  source: string;
  apply(f: Facts, v: KubeVersion, format: PackageFormat): void;
}

const atLeast = (v: KubeVersion, minor: number) => v.major > 1 || (v.major === 1 && v.minor >= minor);

/**
 * The published definitions as of Kubernetes 1.8.0 (2017-09-29), the oldest
 * release kpatch packages: the starting point every row changes.
 */
function baseFacts(format: PackageFormat): Facts {
  return {
    unitDir: format === 'rpm' ? '/etc/systemd/system' : '/lib/systemd/system',
    manifestsDirOwned: format === 'rpm',
    cni: { op: '>=', version: '0.5.1' },
    conntrack: false,
    baseRelease: 0,
  };
}

/** The changes, oldest first. Exported for the docs test, which checks docs/packages.md lists each one. */
export const FACT_ROWS: readonly FactRow[] = [
  {
    date: '2017-10-19',
    formats: ['rpm', 'deb'],
    versions: '1.8: `<= 0.5.1`; 1.9 and later: `>= 0.6.0`',
    what: 'kubernetes-cni bounded by the CNI release the kubelet supports',
    source: '6d39374e',
    apply: (f, v) => void (f.cni = atLeast(v, 9) ? { op: '>=', version: '0.6.0' } : { op: '<=', version: '0.5.1' }),
  },
  {
    date: '2017-12-12',
    formats: ['rpm', 'deb'],
    versions: '1.8: `= 0.5.1`; 1.9 and later: `= 0.6.0`',
    what: 'kubernetes-cni pinned with `=`',
    source: '140145ad, 7e200187',
    apply: (f, v) => void (f.cni = { op: '=', version: atLeast(v, 9) ? '0.6.0' : '0.5.1' }),
  },
  {
    date: '2018-06-08',
    formats: ['rpm', 'deb'],
    versions: '1.11 and later',
    what: 'an environment file, `KUBELET_EXTRA_ARGS=`: RPM `/etc/sysconfig/kubelet`, DEB `/etc/default/kubelet` (a conffile)',
    source: '2241c89a',
    apply: (f, v, format) => {
      if (atLeast(v, 11)) f.envFile = format === 'rpm' ? '/etc/sysconfig/kubelet' : '/etc/default/kubelet';
    },
  },
  {
    date: '2018-11-28',
    formats: ['rpm', 'deb'],
    versions: 'all',
    what: 'depends on conntrack',
    source: '932d5546',
    apply: (f) => void (f.conntrack = true),
  },
  {
    date: '2019-03-01',
    formats: ['deb'],
    versions: 'all',
    what: "DEB no longer ships `/etc/default/kubelet` (a user-made file there is nobody's)",
    source: '385bc1d7',
    apply: (f) => void (f.envFile = undefined),
  },
  {
    date: '2019-03-02',
    formats: ['rpm'],
    versions: 'all',
    what: 'RPM unit moved to `/usr/lib/systemd/system/kubelet.service`',
    source: '6968f3b9',
    apply: (f) => void (f.unitDir = '/usr/lib/systemd/system'),
  },
  {
    date: '2019-03-20',
    formats: ['rpm', 'deb'],
    versions: '1.11 and later',
    what: 'kubernetes-cni `= 0.7.5`',
    source: '55e67316',
    apply: (f, v) => {
      if (atLeast(v, 11)) f.cni = { op: '=', version: '0.7.5' };
    },
  },
  {
    date: '2019-04-29',
    formats: ['deb'],
    versions: 'all',
    what: 'DEB kubernetes-cni relation `>=` instead of `=`',
    source: 'ee31e16e',
    apply: (f) => void (f.cni = { ...f.cni, op: '>=' }),
  },
  {
    date: '2019-05-30',
    formats: ['rpm'],
    versions: 'all',
    what: 'RPM kubernetes-cni relation `>=` instead of `=`',
    source: '5a47f27f',
    apply: (f) => void (f.cni = { ...f.cni, op: '>=' }),
  },
  {
    date: '2019-07-08',
    formats: ['rpm'],
    versions: 'all',
    what: 'RPM conditions for releases before 1.13 removed: `/etc/sysconfig/kubelet` and kubernetes-cni `>= 0.7.5` for every release',
    source: '7517f352',
    apply: (f) => {
      f.envFile = '/etc/sysconfig/kubelet';
      f.cni = { op: '>=', version: '0.7.5' };
    },
  },
  {
    // The packages of 1.16.11, 1.17.7 and 1.18.4 (tagged 2020-06-16/17) first bundled the CNI plugins and were
    // republished on 2020-06-24 without them, with the kubernetes-cni of this row: the republished ones are what mirrors hold.
    date: '2020-06-16',
    formats: ['rpm', 'deb'],
    versions: 'all; 1.16.11, 1.17.7 and 1.18.4 republished as RPM release `1`, DEB revision `01`',
    what: 'kubernetes-cni `>= 0.8.6` (the CNI plugins were bundled into the kubelet for a week, then taken out again)',
    source: '2388a880; kubernetes/kubernetes#92242',
    apply: (f, v) => {
      f.cni = { op: '>=', version: '0.8.6' };
      const republished = ['1.16.11', '1.17.7', '1.18.4'].includes(`${v.major}.${v.minor}.${v.patch}`);
      if (republished) f.baseRelease = 1;
    },
  },
  {
    date: '2020-09-02',
    formats: ['rpm', 'deb'],
    versions: 'RPM: all; DEB: 1.17 and later (1.16 stays `>= 0.8.6`)',
    what: 'kubernetes-cni `>= 0.8.7`',
    source: 'cad95630',
    apply: (f, v, format) => {
      if (format === 'rpm' || atLeast(v, 17)) f.cni = { op: '>=', version: '0.8.7' };
    },
  },
];

/** The oldest and newest minor the facts cover: the releases kpatch fixes. */
export const KUBELET_MINORS = { first: 8, last: 21 } as const;

/**
 * The facts of the official package of `v` in `format`, as the definitions
 * stood on `day` (`YYYY-MM-DD`, UTC). Throws nothing: the caller checks that
 * `v` is within {@link KUBELET_MINORS}.
 */
export function kubeletFacts(format: PackageFormat, v: KubeVersion, day: string): KubeletFacts {
  const f = baseFacts(format);
  const rows: string[] = [];
  for (const row of FACT_ROWS) {
    if (row.date > day || !row.formats.includes(format)) continue;
    row.apply(f, v, format);
    rows.push(`${row.date}: ${row.what}`);
  }
  return { ...f, rows };
}

/** The unit as the official packages installed it (settings as they were; the text is kpatch's). */
export const KUBELET_UNIT = [
  '[Unit]',
  'Description=kubelet: The Kubernetes Node Agent',
  'Documentation=https://kubernetes.io/docs/home/',
  '',
  '[Service]',
  'ExecStart=/usr/bin/kubelet',
  'Restart=always',
  'StartLimitInterval=0',
  'RestartSec=10',
  '',
  '[Install]',
  'WantedBy=multi-user.target',
  '',
].join('\n');

/** The environment file's content: one empty variable the kubeadm drop-in reads. */
export const KUBELET_ENV = 'KUBELET_EXTRA_ARGS=\n';

/** Where the kubelet binary goes, in both formats and every era. */
export const KUBELET_PATH = '/usr/bin/kubelet';

/** The files of the kubelet package for `facts` (the binary first). */
export function kubeletFiles(facts: KubeletFacts): PackagedFile[] {
  const files: PackagedFile[] = [
    { path: KUBELET_PATH, mode: 0o755, kind: 'binary' },
    { path: `${facts.unitDir}/kubelet.service`, mode: 0o644, kind: 'file', content: KUBELET_UNIT },
  ];
  if (facts.manifestsDirOwned) files.push({ path: '/etc/kubernetes/manifests', mode: 0o755, kind: 'dir' });
  if (facts.envFile) files.push({ path: facts.envFile, mode: 0o644, kind: 'config', content: KUBELET_ENV });
  return files;
}

/** The dependencies for `facts`, in the format's syntax and the order the official package listed them. */
export function kubeletDepends(format: PackageFormat, facts: KubeletFacts): string[] {
  const cni =
    format === 'rpm' ? `kubernetes-cni ${facts.cni.op} ${facts.cni.version}` : `kubernetes-cni (${facts.cni.op} ${facts.cni.version})`;
  if (format === 'rpm') {
    return ['iptables >= 1.4.21', cni, 'socat', 'util-linux', 'ethtool', 'iproute', 'ebtables', ...(facts.conntrack ? ['conntrack'] : [])];
  }
  // init-system-helpers: what debhelper's systemd scripts added (${misc:Depends}); the postinst here uses its deb-systemd-helper too.
  return [
    'iptables (>= 1.4.21)',
    cni,
    'iproute2',
    'socat',
    'util-linux',
    'mount',
    'ebtables',
    'ethtool',
    ...(facts.conntrack ? ['conntrack'] : []),
    'init-system-helpers (>= 1.18~)',
  ];
}
