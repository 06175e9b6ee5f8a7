/**
 * The shipped kured examples (docs/examples/kured), checked as the NPD ones
 * are: every document parses and validates against the Kubernetes API schema
 * of the `kubernetes-models` package; and what kured itself relies on holds:
 * the DaemonSet's name and namespace are the ones its --ds-name and
 * --ds-namespace name (its lock is an annotation on that object, which the
 * Role lets it update), host PIDs and a privileged container (it enters PID
 * 1's mount namespace to reboot and to run the sentinel command), the drain's
 * permissions, and the sentinel of each style: the file the packages create,
 * or kpatch's own doctor by an absolute path that is not Red Hat's
 * /usr/sbin/kpatch. The image is a kured release the docs' compatibility
 * table lists, one that has the flags used.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { REPO_ROOT } from '../helpers/cli.js';

const DIR = path.join(REPO_ROOT, 'docs/examples/kured');
const MODELS = { ServiceAccount, ClusterRole, ClusterRoleBinding, Role, RoleBinding, DaemonSet } as const;

type Doc = any;

function load(file: string): Doc[] {
  const docs = parseAllDocuments(readFileSync(path.join(DIR, file), 'utf8'));
  expect(docs.map((d) => d.errors)).toEqual(docs.map(() => []));
  return docs.map((d) => d.toJS());
}

/** The kured releases of the compatibility table in docs/fleet-doctor.md (the `| kured x.y.z |` rows). */
function tableReleases(): Map<string, string> {
  const md = readFileSync(path.join(REPO_ROOT, 'docs/fleet-doctor.md'), 'utf8');
  return new Map([...md.matchAll(/^\| (?:kured )?(\d+\.\d+\.\d+) \| [^|]+ \| ([^|]+) \|/gm)].map((m) => [m[1], m[2].trim()]));
}

const rbac = load('rbac.yaml');
const STYLES = {
  file: load('daemonset-sentinel-file.yaml')[0],
  command: load('daemonset-sentinel-command.yaml')[0],
};

describe('kured example manifests', () => {
  it('every document validates against the Kubernetes API schema', () => {
    expect(rbac.map((o) => o.kind)).toEqual(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);
    for (const o of [...rbac, ...Object.values(STYLES)]) {
      const Model = MODELS[o.kind as keyof typeof MODELS];
      expect(Model, o.kind).toBeDefined();
      expect(() => new Model(o).validate(), `${o.kind} ${o.metadata.name}`).not.toThrow();
    }
  });

  it('the schema check can fail: a mistyped field is refused', () => {
    const ds = structuredClone(STYLES.command);
    ds.spec.template.spec.hostPID = 'yes';
    expect(() => new DaemonSet(ds).validate()).toThrow(/hostPID must be boolean/);
  });

  for (const [style, ds] of Object.entries(STYLES)) {
    it(`sentinel ${style}: kured's own needs hold (lock object, host namespace, account)`, () => {
      const pod = ds.spec.template.spec;
      const [c] = pod.containers;
      const flag = (name: string) => (c.command as string[]).find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
      expect(c.command[0]).toBe('/usr/bin/kured');
      expect({ name: flag('ds-name'), namespace: flag('ds-namespace') }).toEqual({
        name: ds.metadata.name,
        namespace: ds.metadata.namespace,
      });
      expect(pod.hostPID).toBe(true);
      expect(c.securityContext.privileged).toBe(true);
      expect(c.env).toContainEqual({ name: 'KURED_NODE_ID', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } });
      expect(pod.serviceAccountName).toBe(rbac[0].metadata.name);
      // The Role lets exactly this DaemonSet be updated (the lock), in its namespace.
      const role = rbac.find((o) => o.kind === 'Role');
      expect(role.metadata.namespace).toBe(ds.metadata.namespace);
      expect(role.rules).toContainEqual(expect.objectContaining({ resourceNames: [ds.metadata.name], verbs: ['update'] }));
      // The image is a release of the docs' table.
      const tag = /^docker\.io\/weaveworks\/kured:(\d+\.\d+\.\d+)$/.exec(c.image)?.[1];
      expect(tableReleases().has(tag!), `${c.image} is in the table of docs/fleet-doctor.md`).toBe(true);
    });
  }

  it('the drain may cordon nodes, evict and list pods, and read DaemonSets in both API groups kured has used', () => {
    const rules = rbac.find((o) => o.kind === 'ClusterRole').rules;
    const allows = (group: string, resource: string, verb: string) =>
      rules.some((r: Doc) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb));
    for (const [group, resource, verb] of [
      ['', 'nodes', 'get'],
      ['', 'nodes', 'patch'],
      ['', 'pods', 'list'],
      ['', 'pods', 'delete'],
      ['', 'pods/eviction', 'create'],
      ['apps', 'daemonsets', 'get'],
      ['extensions', 'daemonsets', 'get'],
    ])
      expect(allows(group, resource, verb), `${group}/${resource} ${verb}`).toBe(true);
    const binding = rbac.find((o) => o.kind === 'ClusterRoleBinding');
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'kured', namespace: 'kube-system' }]);
  });

  it('sentinel file: the file the packages create, /var/run/reboot-required', () => {
    const args: string[] = STYLES.file.spec.template.spec.containers[0].command;
    expect(args).toContain('--reboot-sentinel=/var/run/reboot-required');
    expect(args.some((a) => a.startsWith('--reboot-sentinel-command'))).toBe(false);
  });

  it("sentinel command: kpatch's doctor by an absolute path that is not Red Hat's /usr/sbin/kpatch, on kured 1.7.0 or later", () => {
    const c = STYLES.command.spec.template.spec.containers[0];
    const value = (c.command as string[]).find((a) => a.startsWith('--reboot-sentinel-command='))!.split('=')[1];
    const [program, ...args] = value.split(' ');
    expect(path.isAbsolute(program)).toBe(true);
    expect(program).not.toBe('/usr/sbin/kpatch');
    expect(program.endsWith('/kpatch')).toBe(true);
    expect(args).toEqual(['doctor', '--format', 'sentinel']);
    const [major, minor] = /:(\d+)\.(\d+)\./.exec(c.image)!.slice(1).map(Number);
    expect(major > 1 || minor >= 7, `${c.image}: --reboot-sentinel-command came in kured 1.7.0`).toBe(true);
  });
});
