/**
 * `kpatch doctor --format sentinel` as kured runs it: the shipped DaemonSet's
 * `--reboot-sentinel-command` (docs/examples/kured), split into words as
 * kured splits it, kpatch's absolute path replaced by this checkout's
 * executable and `--root` pointed at a fake node, on every fake-node
 * scenario doctor has (nodeScenarios.ts: every state). kured reboots the node
 * when the command exits 0, so it must exit 0 for `reboot-needed` and for
 * nothing else: not for unknown, not for an error, not for a node whose files
 * doctor refuses to read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { kpatch, REPO_ROOT } from '../helpers/cli.js';
import { buildGoBinary } from './goBinaries.js';
import { nodeScenarios, type GoBinaries } from './nodeScenarios.js';
import { makeFakeNode, removeFakeNode } from '../helpers/fakeNode.js';

const MANIFEST = path.join(REPO_ROOT, 'docs/examples/kured/daemonset-sentinel-command.yaml');

/** The words of the manifest's sentinel command (kured splits the flag's value shell-style; this one has no quotes). */
function sentinelCommand(): string[] {
  const ds = parseAllDocuments(readFileSync(MANIFEST, 'utf8'))[0].toJS();
  const flag = (ds.spec.template.spec.containers[0].command as string[]).find((a) => a.startsWith('--reboot-sentinel-command='))!;
  const value = flag.slice('--reboot-sentinel-command='.length);
  expect(value).not.toMatch(/["'\\]/);
  return value.split(/\s+/);
}

let bins: string;
let go: GoBinaries;
const roots: string[] = [];

beforeAll(() => {
  bins = mkdtempSync(path.join(os.tmpdir(), 'kpatch-sentinel-bins-'));
  go = { unpatched: buildGoBinary(bins, 'unpatched'), fixed: buildGoBinary(bins, 'fixed'), unaffected: buildGoBinary(bins, 'unaffected') };
}, 120_000);
afterAll(() => {
  for (const r of roots) removeFakeNode(r);
  rmSync(bins, { recursive: true, force: true });
});

/** The sentinel command run on the node at `root`. */
function sentinel(root: string) {
  const [program, ...args] = sentinelCommand();
  expect(program).toBe('/opt/kpatch/bin/kpatch');
  const r = kpatch([...args, '--root', root], { timeoutMs: 30_000 });
  expect(r.killed, 'the sentinel command hung').toBe(false);
  return r;
}

describe('kpatch doctor --format sentinel, run as the shipped kured DaemonSet runs it', () => {
  const scenarios = nodeScenarios(() => go);

  it('the scenarios cover every state, reboot-needed among them', () => {
    expect(new Set(scenarios.map((s) => s.state))).toEqual(
      new Set(['leaking', 'id-pressure', 'vulnerable', 'reboot-needed', 'mitigated', 'fixed', 'not-affected', 'unknown']),
    );
  });

  for (const s of scenarios) {
    const reboot = s.state === 'reboot-needed';
    it(`${s.name} (${s.state}): exit ${reboot ? '0, reboot' : 'non-zero, no reboot'}`, () => {
      const root = makeFakeNode(s.spec());
      roots.push(root);
      const r = sentinel(root);
      if (reboot) expect(r.code).toBe(0);
      else expect(r.code).not.toBe(0);
      // Quiet, like NPD: one short line for kured's log, the line NPD shows, nothing on stderr.
      expect(r.stdout.trim()).toMatch(s.line);
      expect(r.stdout.split('\n')).toHaveLength(2);
      expect(r.stdout.trim().length).toBeLessThanOrEqual(80);
      expect(r.stderr).toBe('');
    });
  }

  it('a node whose kmem file is a FIFO (unknown): non-zero, promptly', () => {
    const reboot = nodeScenarios(() => go).find((s) => s.state === 'reboot-needed')!;
    const root = makeFakeNode(reboot.spec());
    roots.push(root);
    const slab = path.join(root, 'sys/fs/cgroup/memory/kubepods/memory.kmem.slabinfo');
    rmSync(slab);
    execFileSync('mkfifo', [slab]);
    const r = sentinel(root);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^kmem unknown: \/sys\/fs\/cgroup\/memory\/kubepods\/memory\.kmem\.slabinfo is a FIFO/);
  });

  it('an error (a node root that does not exist): non-zero, the error on stderr for kured to log', () => {
    const r = sentinel(path.join(os.tmpdir(), 'kpatch-sentinel-no-such-root'));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^kpatch: error\[node_root_missing\]/);
  });

  it('--json with --format sentinel is a usage error (exit 2: no reboot)', () => {
    const r = kpatch(['doctor', '--root', '/', '--json', '--format', 'sentinel']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--json and --format sentinel ask for two formats/);
  });
});
