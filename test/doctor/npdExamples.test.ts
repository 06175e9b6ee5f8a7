/**
 * The shipped node-problem-detector example (docs/examples/npd): the monitor
 * config has the fields NPD's custom plugin monitor reads, with values it
 * accepts (it refuses to start otherwise), and the manifest parses and
 * validates against the Kubernetes API schema of the `kubernetes-models`
 * package (validators generated from the Kubernetes OpenAPI spec), and mounts
 * the host's /proc and /sys/fs/cgroup read-only where the rule's --root looks.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { REPO_ROOT } from '../helpers/cli.js';

const DIR = path.join(REPO_ROOT, 'docs/examples/npd');
const monitor = JSON.parse(readFileSync(path.join(DIR, 'kmem-cgroup-leak-monitor.json'), 'utf8'));
const docs = parseAllDocuments(readFileSync(path.join(DIR, 'daemonset.yaml'), 'utf8'));

/** Go's time.ParseDuration for the forms a config uses ("1m", "45s", "1m30s"), in ms. */
function goDuration(s: unknown): number {
  expect(typeof s).toBe('string');
  const m = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?$/.exec(s as string);
  expect(m && (s as string) !== '', `duration ${String(s)}`).toBeTruthy();
  return ((Number(m![1] ?? 0) * 60 + Number(m![2] ?? 0)) * 60 + Number(m![3] ?? 0)) * 1000;
}

describe('NPD custom plugin monitor config', () => {
  it('has only the fields NPD reads, with values it accepts', () => {
    expect(Object.keys(monitor).sort()).toEqual(['conditions', 'metricsReporting', 'plugin', 'pluginConfig', 'rules', 'source']);
    expect(monitor.plugin).toBe('custom'); // NPD: the only plugin it supports
    expect(typeof monitor.source).toBe('string');
    const pc = monitor.pluginConfig;
    for (const k of Object.keys(pc))
      expect([
        'invoke_interval',
        'timeout',
        'max_output_length',
        'concurrency',
        'enable_message_change_based_condition_update',
        'skip_initial_status',
      ]).toContain(k);
    const interval = goDuration(pc.invoke_interval);
    const timeout = goDuration(pc.timeout);
    expect(timeout).toBeLessThan(interval); // a run ends before the next is due
    expect(Number.isInteger(pc.max_output_length) && pc.max_output_length >= 80).toBe(true);
    expect(Number.isInteger(pc.concurrency) && pc.concurrency >= 1).toBe(true);
  });

  it('raises the KmemCgroupLeak condition from one permanent rule that runs kpatch doctor --format npd', () => {
    expect(monitor.conditions).toEqual([{ type: 'KmemCgroupLeak', reason: expect.any(String), message: expect.any(String) }]);
    expect(monitor.rules).toHaveLength(1);
    const rule = monitor.rules[0];
    expect(Object.keys(rule).sort()).toEqual(['args', 'condition', 'path', 'reason', 'timeout', 'type']);
    // NPD: a permanent rule needs a default condition of the same type.
    expect(rule).toMatchObject({ type: 'permanent', condition: 'KmemCgroupLeak', reason: expect.stringMatching(/^[A-Z][A-Za-z]+$/) });
    expect(rule.reason).not.toBe(monitor.conditions[0].reason);
    // NPD: a rule's timeout may not exceed the global one.
    expect(goDuration(rule.timeout)).toBeLessThanOrEqual(goDuration(monitor.pluginConfig.timeout));
    expect(path.isAbsolute(rule.path)).toBe(true);
    expect(rule.args).toEqual(['doctor', '--root', '/host', '--format', 'npd']);
  });
});

describe('DaemonSet manifest', () => {
  it('parses, and every document validates against the Kubernetes API schema', () => {
    expect(docs.map((d) => d.errors)).toEqual(docs.map(() => []));
    const objects = docs.map((d) => d.toJS());
    expect(objects.map((o) => o.kind)).toEqual(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'DaemonSet']);
    const models = { ServiceAccount, ClusterRole, ClusterRoleBinding, DaemonSet } as const;
    for (const o of objects) {
      const Model = models[o.kind as keyof typeof models];
      expect(() => new Model(o).validate(), o.kind).not.toThrow();
    }
  });

  it('the schema check can fail: a mistyped field is refused', () => {
    const ds = docs[3].toJS();
    ds.spec.template.spec.volumes[1].hostPath.path = 42;
    expect(() => new DaemonSet(ds).validate()).toThrow(/hostPath\/path must be string/);
  });

  it("mounts the host's /proc and /sys/fs/cgroup read-only under the rule's --root, and the monitor config", () => {
    const ds = docs[3].toJS();
    const pod = ds.spec.template.spec;
    const [c] = pod.containers;
    const volume = (name: string) => pod.volumes.find((v: { name: string }) => v.name === name);
    const root = monitor.rules[0].args[monitor.rules[0].args.indexOf('--root') + 1];
    for (const host of ['/proc', '/sys/fs/cgroup']) {
      const m = c.volumeMounts.find((x: { mountPath: string }) => x.mountPath === `${root}${host}`);
      expect(m, host).toBeDefined();
      expect(m.readOnly, host).toBe(true);
      expect(volume(m.name).hostPath.path).toBe(host);
    }
    // Every host path is read-only: doctor only reads.
    for (const m of c.volumeMounts) expect(m.readOnly, m.mountPath).toBe(true);
    expect(c.securityContext).toMatchObject({ privileged: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    // NPD is pointed at the monitor config, mounted from the ConfigMap the docs create from the file.
    const flag = c.command.find((a: string) => a.startsWith('--config.custom-plugin-monitor='));
    expect(flag).toBe(`--config.custom-plugin-monitor=/config/kmem-cgroup-leak-monitor.json`);
    expect(c.volumeMounts.find((m: { name: string }) => m.name === 'config').mountPath).toBe('/config');
  });
});
