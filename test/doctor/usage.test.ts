/** Bad input to `kpatch doctor` exits 2 with a clear message and prints no report. */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../src/cli.js';
import { captureIo } from '../../src/io.js';
import { makeFakeNode, removeFakeNode } from '../helpers/fakeNode.js';

const temps: string[] = [];
afterEach(() => {
  for (const d of temps.splice(0)) removeFakeNode(d);
});

async function doctor(args: string[], cwd = process.cwd()) {
  const io = captureIo({ cwd });
  const code = await run(['doctor', ...args], io);
  return { code, out: io.out(), err: io.err() };
}

describe('doctor usage errors', () => {
  it('--root that does not exist', async () => {
    const r = await doctor(['--root', '/nonexistent/kpatch-node']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^kpatch: error\[node_root_missing\]: node root not found: \/nonexistent\/kpatch-node\n/);
    expect(r.err).toMatch(/hint: pass --root with an existing folder/);
  });

  it('--root without a value', async () => {
    const r = await doctor(['--root']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/error\[usage\]/);
    expect(r.err).toMatch(/root/);
  });

  it('--root that is a file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kpatch-doctor-usage-'));
    temps.push(dir);
    writeFileSync(path.join(dir, 'node.tar'), 'not a folder');
    const r = await doctor(['--root', 'node.tar'], dir); // relative to the working folder
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`error\\[node_root_not_dir\\]: node root is not a folder: ${path.join(dir, 'node.tar')}`));
  });

  it('--root that is a folder without proc or sys', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kpatch-doctor-usage-'));
    temps.push(dir);
    mkdirSync(path.join(dir, 'etc'));
    const r = await doctor(['--root', dir]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/error\[node_root_unrecognised\]: node root has neither proc nor sys/);
  });

  it('--kubelet that does not exist, or is a folder; --runc that is empty', async () => {
    const root = makeFakeNode({ mode: 'v1' });
    temps.push(root);
    const missing = await doctor(['--root', root, '--kubelet', path.join(root, 'usr/bin/kubelet')]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(
      /error\[node_binary_missing\]: binary not found: .*usr\/bin\/kubelet\n {2}--kubelet names a path that does not exist/,
    );
    const folder = await doctor(['--root', root, '--runc', path.join(root, 'proc')]);
    expect(folder.code).toBe(2);
    expect(folder.err).toMatch(/--runc names a folder, not a binary/);
    const empty = await doctor(['--root', root, '--runc', '']);
    expect(empty.code).toBe(2);
    expect(empty.err).toMatch(/error\[usage\]/);
  });

  it('an unknown flag', async () => {
    const r = await doctor(['--rot', '/']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/error\[usage\]/);
  });
});
