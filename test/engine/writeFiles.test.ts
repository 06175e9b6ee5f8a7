/**
 * writeFiles.ts: all or nothing, permission bits kept exactly (whatever the
 * umask), hard-linked targets and targets changed since they were read
 * refused with nothing replaced, and no temporary file left behind.
 */
import { chmodSync, linkSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFilesAtomically, type FileWrite } from '../../src/engine/writeFiles.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'kpatch-engine-write-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
/** A fresh folder with files a.go and b.go holding `old a` / `old b`. */
function folder(): { dir: string; a: FileWrite; b: FileWrite } {
  const dir = mkdtempSync(path.join(tmp, `w${n++}-`));
  const mk = (name: string): FileWrite => {
    const abs = path.join(dir, name);
    writeFileSync(abs, `old ${name}\n`);
    return { abs, path: name, before: `old ${name}\n`, after: `new ${name} ä𝄞\n` };
  };
  return { dir, a: mk('a.go'), b: mk('b.go') };
}
const text = (w: FileWrite) => readFileSync(w.abs, 'utf8');

describe('writeFilesAtomically', () => {
  it("replaces every file, keeps each one's exact permission bits through a restrictive umask, and leaves no temporary file", async () => {
    const { dir, a, b } = folder();
    chmodSync(a.abs, 0o640);
    chmodSync(b.abs, 0o755);
    const old = process.umask(0o077);
    try {
      await writeFilesAtomically([a, b]);
    } finally {
      process.umask(old);
    }
    expect([text(a), text(b)]).toEqual([a.after, b.after]);
    expect(statSync(a.abs).mode & 0o7777).toBe(0o640);
    expect(statSync(b.abs).mode & 0o7777).toBe(0o755);
    expect(readdirSync(dir).sort()).toEqual(['a.go', 'b.go']);
  });

  it('replaces the file (a new inode), so a reader holding the old one never sees half a write', async () => {
    const { a } = folder();
    const ino = statSync(a.abs).ino;
    await writeFilesAtomically([a]);
    expect(statSync(a.abs).ino).not.toBe(ino);
  });

  it('refuses a hard-linked target (hard_linked) and changes no file', async () => {
    const { dir, a, b } = folder();
    linkSync(b.abs, path.join(dir, 'b-other-name.go'));
    await expect(writeFilesAtomically([a, b])).rejects.toMatchObject({ id: 'hard_linked' });
    expect([text(a), text(b)]).toEqual([a.before, b.before]);
    expect(readdirSync(dir).sort()).toEqual(['a.go', 'b-other-name.go', 'b.go']);
  });

  it('refuses when a target changed since it was read (target_changed): no file replaced, the edit kept', async () => {
    const { dir, a, b } = folder();
    writeFileSync(b.abs, 'someone saved this meanwhile\n');
    await expect(writeFilesAtomically([a, b])).rejects.toMatchObject({ id: 'target_changed' });
    expect(text(a)).toBe(a.before);
    expect(text(b)).toBe('someone saved this meanwhile\n');
    expect(readdirSync(dir).sort()).toEqual(['a.go', 'b.go']);
  });

  it('a missing target is write_failed naming it, and the other file is not replaced', async () => {
    const { dir, a } = folder();
    const gone: FileWrite = { abs: path.join(dir, 'gone.go'), path: 'gone.go', before: 'x', after: 'y' };
    await expect(writeFilesAtomically([a, gone])).rejects.toMatchObject({ id: 'write_failed' });
    expect(text(a)).toBe(a.before);
    expect(readdirSync(dir).sort()).toEqual(['a.go', 'b.go']);
  });

  it('an abort before the first rename replaces nothing (interrupted)', async () => {
    const { a, b } = folder();
    const ac = new AbortController();
    ac.abort();
    await expect(writeFilesAtomically([a, b], ac.signal)).rejects.toMatchObject({ id: 'interrupted' });
    expect([text(a), text(b)]).toEqual([a.before, b.before]);
  });
});
