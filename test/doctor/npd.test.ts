/**
 * `kpatch doctor --format npd` as node-problem-detector runs it: the shipped
 * monitor config's rule (its args, with the node root pointed at a fake node)
 * run through the real executable against every fake-node scenario, checking
 * the exit status NPD keys on (0 OK, 1 problem, 2 unknown) and the one line it
 * keeps as the condition's message (at most max_output_length characters).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { kpatch, REPO_ROOT } from '../helpers/cli.js';
import { buildGoBinary } from './goBinaries.js';
import type { GoBinaries } from './nodeScenarios.js';
import { makeFakeNode, removeFakeNode } from '../helpers/fakeNode.js';
import { nodeScenarios } from './nodeScenarios.js';

const MONITOR = path.join(REPO_ROOT, 'docs/examples/npd/kmem-cgroup-leak-monitor.json');
const EL7 = '3.10.0-1160.el7.x86_64';

let bins: string;
let go: GoBinaries;
const roots: string[] = [];

beforeAll(() => {
  bins = mkdtempSync(path.join(os.tmpdir(), 'kpatch-npd-bins-'));
  go = { unpatched: buildGoBinary(bins, 'unpatched'), fixed: buildGoBinary(bins, 'fixed'), unaffected: buildGoBinary(bins, 'unaffected') };
}, 120_000);
afterAll(() => {
  for (const r of roots) removeFakeNode(r);
  rmSync(bins, { recursive: true, force: true });
});

/** The rule as NPD would run it, with `--root` pointed at `root`. */
function runRule(root: string): { code: number; line: string; stdout: string; stderr: string } {
  const monitor = JSON.parse(readFileSync(MONITOR, 'utf8'));
  const args: string[] = [...monitor.rules[0].args];
  args[args.indexOf('--root') + 1] = root;
  const r = kpatch(args);
  // NPD trims stdout and keeps max_output_length characters of it.
  const line = r.stdout.trim().slice(0, monitor.pluginConfig.max_output_length);
  return { code: r.code, line, stdout: r.stdout, stderr: r.stderr };
}

describe('kpatch doctor --format npd, run as the shipped NPD rule', () => {
  for (const s of nodeScenarios(() => go)) {
    it(s.name, () => {
      const root = makeFakeNode(s.spec());
      roots.push(root);
      const r = runRule(root);
      expect({ code: r.code, line: r.line }).toEqual({ code: s.code, line: expect.stringMatching(s.line) });
      // One line, short enough that NPD keeps all of it, nothing on stderr.
      expect(r.stdout.endsWith('\n') && r.stdout.indexOf('\n') === r.stdout.length - 1).toBe(true);
      expect(r.stdout.trim().length).toBeLessThanOrEqual(80);
      expect(r.stderr).toBe('');
      const json = JSON.parse(kpatch(['doctor', '--root', root, '--format', 'json']).stdout);
      expect(json.state).toBe(s.state);
    });
  }

  it('a bad node root: exit 2 (unknown to NPD), the error on stdout for the condition and in full on stderr', () => {
    const r = runRule(path.join(os.tmpdir(), 'kpatch-npd-no-such-root'));
    expect(r.code).toBe(2);
    expect(r.line).toMatch(/^kmem unknown: error\[node_root_missing\]: node root not found: \/\S*/);
    expect(r.stdout.trim().length).toBeLessThanOrEqual(80);
    expect(r.stderr).toMatch(/^kpatch: error\[node_root_missing\]/);
  });

  it('--json with --format npd is a usage error; text and json keep their exit codes', () => {
    const root = makeFakeNode({ mode: 'v1', kernel: EL7, cgroups: { kubepods: 'on' } });
    roots.push(root);
    const both = kpatch(['doctor', '--root', root, '--json', '--format', 'npd']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/error\[usage\].*\n.*--json and --format npd ask for two formats/);
    const text = kpatch(['doctor', '--root', root]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^verdict: at-risk\nstate: vulnerable \(/m);
  });
});
