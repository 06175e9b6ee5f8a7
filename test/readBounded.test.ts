/**
 * The one read path for files kpatch does not control (src/readBounded.ts),
 * on real FIFOs, a real link to /dev/zero, a folder and an oversized sparse
 * file, and the small-file readers of a user's checkout or artifact folder
 * that go through it: each answers at once, never waits for a FIFO's writer
 * and never reads /dev/zero without end (an ordinary read does both).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readBounded, readBoundedSync, UnsafeFile } from '../src/readBounded.js';
import { readCrossTag, CROSS_VERSION_FILE } from '../src/pipeline/kubeCross.js';
import { readRuncGo } from '../src/pipeline/runcImage.js';
import { linkedGitDir } from '../src/source/linkedGitDir.js';
import { vendorModules } from '../src/manifest/sbom.js';
import { writtenByKpatch } from '../src/pipeline/stagedOutput.js';
import { RUNC_DOCKERFILE } from '../src/pipeline/runcImage.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'kpatch-bounded-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;

/** A new file of the given kind at `rel` inside a fresh folder; returns the folder. */
function tree(rel: string, kind: 'fifo' | 'zero' | 'text', text = ''): string {
  const dir = path.join(tmp, `t${n++}`);
  const file = path.join(dir, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  if (kind === 'fifo') execFileSync('mkfifo', [file]);
  else if (kind === 'zero') symlinkSync('/dev/zero', file);
  else writeFileSync(file, text);
  return dir;
}

// Long enough for a loaded machine, far too short to read /dev/zero up to Node's 2 GiB limit or to wait for a FIFO.
const PROMPT = { timeout: 5_000 };

describe('readBounded', () => {
  it('refuses a FIFO without waiting for a writer, and a link to /dev/zero without reading it', PROMPT, async () => {
    const fifo = path.join(tree('f', 'fifo'), 'f');
    const zero = path.join(tree('z', 'zero'), 'z');
    for (const read of [
      (f: string) => readBounded(f, { maxBytes: 100 }),
      async (f: string) => readBoundedSync(f, { maxBytes: 100, head: true }),
    ]) {
      await expect(read(fifo)).rejects.toThrow(new UnsafeFile(fifo, 'is a FIFO (named pipe): only regular files are read'));
      await expect(read(zero)).rejects.toThrow(new UnsafeFile(zero, 'is a character device: only regular files are read'));
      await expect(read(tmp)).rejects.toThrow(/is a folder: only regular files are read/);
    }
  });

  it('bounds the bytes: a larger file is refused before it is read, or only its head is read', async () => {
    const big = path.join(tree('big', 'text'), 'big');
    truncateSync(big, 8 * 2 ** 30); // sparse: 8 GiB of zeros
    await expect(readBounded(big, { maxBytes: 4096 })).rejects.toThrow(/is 8589934592 bytes, more than the 4096/);
    expect(() => readBoundedSync(big, { maxBytes: 4096 })).toThrow(/is 8589934592 bytes/);
    expect(readBoundedSync(big, { maxBytes: 4096, head: true }).length).toBe(4096);
    expect((await readBounded(big, { maxBytes: 10, head: true })).length).toBe(10);
  });

  it('reads a regular file, an empty one, and a kernel file whose size says 0', async () => {
    const file = path.join(tree('ok', 'text', 'hello\n'), 'ok');
    expect((await readBounded(file, { maxBytes: 6 })).toString()).toBe('hello\n');
    expect(readBoundedSync(path.join(tree('e', 'text'), 'e'), { maxBytes: 6 }).length).toBe(0);
    // procfs reports st_size 0 for every file: the text is still read, up to the bound.
    expect(readBoundedSync('/proc/self/mountinfo', { maxBytes: 1 << 20, head: true }).toString()).toMatch(/ - /);
    expect(readBoundedSync('/proc/cgroups', { maxBytes: 1 << 20, head: true }).toString()).toMatch(/^#subsys_name/);
  });

  it('honours an aborted signal, and refuses links when asked', async () => {
    const file = path.join(tree('s', 'text', 'x'), 's');
    const signal = AbortSignal.abort('SIGINT');
    await expect(readBounded(file, { maxBytes: 10, signal })).rejects.toThrow(/interrupted/);
    expect(() => readBoundedSync(file, { maxBytes: 10, signal })).toThrow(/interrupted/);
    const link = path.join(tmp, `link${n++}`);
    symlinkSync(file, link);
    await expect(readBounded(link, { maxBytes: 10, noFollow: true })).rejects.toMatchObject({ code: 'ELOOP' });
  });
});

describe("small files of a user's checkout or artifact folder", () => {
  for (const kind of ['fifo', 'zero'] as const) {
    const what = kind === 'fifo' ? 'a FIFO' : 'a link to /dev/zero';
    it(`the kube-cross VERSION as ${what}: kube_cross_version naming what it is`, PROMPT, async () => {
      const dir = tree(CROSS_VERSION_FILE, kind);
      await expect(readCrossTag(dir)).rejects.toMatchObject({
        id: 'kube_cross_version',
        detail: expect.stringMatching(
          kind === 'fifo' ? /^cannot read it: it is a FIFO \(named pipe\)/ : /^cannot read it: it is a character device/,
        ),
      });
    });
    it(`runc's Dockerfile, a .git file, vendor/modules.txt as ${what}: not there`, PROMPT, async () => {
      expect(await readRuncGo(tree(RUNC_DOCKERFILE, kind))).toBeUndefined();
      expect(await linkedGitDir(tree('.git', kind))).toBeUndefined();
      expect(await vendorModules(tree('vendor/modules.txt', kind))).toBeUndefined();
    });
    it(`an --out folder whose manifest.json is ${what}: not one kpatch wrote`, PROMPT, async () => {
      expect(await writtenByKpatch(tree('manifest.json', kind))).toBe(false);
    });
  }
  it('the same readers still read the regular files', async () => {
    expect(await readCrossTag(tree(CROSS_VERSION_FILE, 'text', 'v1.10.4-1\n'))).toBe('v1.10.4-1');
    expect(await linkedGitDir(tree('.git', 'text', 'gitdir: /srv/repo/.git/worktrees/x\n'))).toBe('/srv/repo/.git/worktrees/x');
    expect(await readRuncGo(tree(RUNC_DOCKERFILE, 'text', 'FROM golang:1.10.4\n'))).toBeDefined();
  });
});
