/**
 * The era facts of the legacy kubelet packages: what the table gives for
 * releases whose published packages are known (from the kubernetes/release
 * definitions of their day, and the package listings quoted in public
 * threads), and that docs/packages.md lists every row the code applies.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/cli.js';
import { FACT_ROWS, kubeletDepends, kubeletFacts, kubeletFiles } from '../../src/package/kubeletFacts.js';

const v = (s: string) => {
  const [major, minor, patch] = s.split('.').map(Number);
  return { major, minor, patch };
};

describe('kubelet package facts by era', () => {
  it('1.8.15 (July 2018), as the apt repository listed it: kubernetes-cni (= 0.5.1), no conntrack, no environment file', () => {
    const deb = kubeletFacts('deb', v('1.8.15'), '2018-07-12');
    expect(kubeletDepends('deb', deb)).toEqual([
      'iptables (>= 1.4.21)',
      'kubernetes-cni (= 0.5.1)',
      'iproute2',
      'socat',
      'util-linux',
      'mount',
      'ebtables',
      'ethtool',
      'init-system-helpers (>= 1.18~)',
    ]);
    expect(kubeletFiles(deb).map((f) => f.path)).toEqual(['/usr/bin/kubelet', '/lib/systemd/system/kubelet.service']);
    const rpm = kubeletFacts('rpm', v('1.8.15'), '2018-07-12');
    expect(kubeletFiles(rpm).map((f) => f.path)).toEqual([
      '/usr/bin/kubelet',
      '/etc/systemd/system/kubelet.service',
      '/etc/kubernetes/manifests',
    ]);
  });

  it('1.12.4 (2018-12-03): environment files, conntrack, kubernetes-cni = 0.6.0, the RPM unit still under /etc', () => {
    const rpm = kubeletFacts('rpm', v('1.12.4'), '2018-12-03');
    expect(kubeletFiles(rpm).map((f) => `${f.path} ${f.kind} ${f.mode.toString(8)}`)).toEqual([
      '/usr/bin/kubelet binary 755',
      '/etc/systemd/system/kubelet.service file 644',
      '/etc/kubernetes/manifests dir 755',
      '/etc/sysconfig/kubelet config 644',
    ]);
    expect(kubeletDepends('rpm', rpm)).toContain('kubernetes-cni = 0.6.0');
    expect(kubeletDepends('rpm', rpm)).toContain('conntrack');
    expect(kubeletFacts('deb', v('1.12.4'), '2018-12-03').envFile).toBe('/etc/default/kubelet');
    // 1.10 in the same days had no environment file (1.11 and later only).
    expect(kubeletFacts('rpm', v('1.10.11'), '2018-11-26').envFile).toBeUndefined();
  });

  it('1.13.5 (2019-03-25): RPM unit under /usr/lib, DEB without /etc/default/kubelet, kubernetes-cni = 0.7.5', () => {
    const rpm = kubeletFacts('rpm', v('1.13.5'), '2019-03-25');
    expect(rpm.unitDir).toBe('/usr/lib/systemd/system');
    expect(rpm.cni).toEqual({ op: '=', version: '0.7.5' });
    const deb = kubeletFacts('deb', v('1.13.5'), '2019-03-25');
    expect(deb.envFile).toBeUndefined();
    expect(deb.cni).toEqual({ op: '=', version: '0.7.5' });
  });

  it('1.16.11, 1.17.7 and 1.18.4 build on the republished release 1 / 01; their neighbours on 0', () => {
    for (const r of ['1.16.11', '1.17.7', '1.18.4']) expect(kubeletFacts('rpm', v(r), '2020-06-17').baseRelease, r).toBe(1);
    expect(kubeletFacts('rpm', v('1.18.3'), '2020-05-20').baseRelease).toBe(0);
    expect(kubeletFacts('deb', v('1.18.5'), '2020-06-26').baseRelease).toBe(0);
  });

  it('1.20.2 (2021-01-13) and 1.16.15 (2020-09-16): kubernetes-cni >= 0.8.7, but the DEB of 1.16 stays at 0.8.6', () => {
    expect(kubeletFacts('rpm', v('1.20.2'), '2021-01-13').cni).toEqual({ op: '>=', version: '0.8.7' });
    expect(kubeletFacts('deb', v('1.20.2'), '2021-01-13').cni).toEqual({ op: '>=', version: '0.8.7' });
    expect(kubeletFacts('deb', v('1.16.15'), '2020-09-16').cni).toEqual({ op: '>=', version: '0.8.6' });
  });

  it('docs/packages.md lists every row, with its date and source commit', () => {
    const doc = readFileSync(path.join(REPO_ROOT, 'docs/packages.md'), 'utf8');
    for (const row of FACT_ROWS) {
      const line = doc.split('\n').find((l) => l.startsWith(`| ${row.date} |`));
      expect(line, row.date).toBeDefined();
      for (const commit of row.source.match(/\b[0-9a-f]{8}\b/g) ?? []) expect(line, `${row.date} ${commit}`).toContain(commit);
    }
  });
});
