/**
 * doctor never writes: not to the node root, not to the binaries it reads.
 *
 * The fake root is made read-only (chmod -R a-w), but tests run as root here,
 * and root ignores those bits: so the proof is that every file's content,
 * size, mode, mtime and ctime, and every folder's entries, are the same after
 * the run. A second check reads doctor's sources for any writing or
 * process-spawning API, so a future change cannot slip one in unnoticed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../../src/cli.js';
import { captureIo } from '../../src/io.js';
import { GO_BUILD_ID, KMEM_FN, makeBinary, makeFakeNode, removeFakeNode } from '../helpers/fakeNode.js';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) removeFakeNode(r);
});

/** Every entry under `dir` with what a write would change. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      const st = lstatSync(p);
      const content = st.isFile()
        ? createHash('sha256').update(readFileSync(p)).digest('hex')
        : st.isDirectory()
          ? readdirSync(p).sort().join(',')
          : '';
      out[path.relative(dir, p)] = [st.mode, st.size, st.mtimeMs, st.ctimeMs, content].join(' ');
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

describe('doctor is read-only', () => {
  it('leaves a read-only fake root and the binaries exactly as they were', async () => {
    const root = makeFakeNode({
      mode: 'v1',
      memoryCount: 60000,
      cgroups: {
        kubepods: 'on',
        'kubepods/burstable': 'on',
        'kubepods/burstable/podabc-1': 'on',
        'kubepods/burstable/podabc-1/ctr1': 'on',
      },
    });
    roots.push(root);
    makeBinary(path.join(root, 'usr/bin'), 'kubelet', [GO_BUILD_ID, KMEM_FN]);
    makeBinary(path.join(root, 'usr/bin'), 'runc', [GO_BUILD_ID, KMEM_FN]);
    execFileSync('chmod', ['-R', 'a-w', root]);
    const before = snapshot(root);
    expect(Object.keys(before).length).toBeGreaterThan(30);

    for (const extra of [[], ['--json']]) {
      const io = captureIo();
      const code = await run(
        ['doctor', '--root', root, '--kubelet', `${root}/usr/bin/kubelet`, '--runc', `${root}/usr/bin/runc`, ...extra],
        io,
      );
      expect(code).toBe(1);
      expect(io.err()).toBe('');
    }
    expect(snapshot(root)).toEqual(before);
  });

  it("doctor's sources use no writing or process-spawning API", () => {
    const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');
    const files = [
      ...readdirSync(path.join(src, 'doctor'))
        .filter((f) => f.endsWith('.ts'))
        .map((f) => path.join(src, 'doctor', f)),
      path.join(src, 'commands/doctor.ts'),
      // Every file doctor reads is read through it.
      path.join(src, 'readBounded.ts'),
    ];
    expect(files.length).toBeGreaterThan(8);
    const forbidden = [
      /\b(?:writeFile|appendFile|mkdir|mkdtemp|rmdir|rm|unlink|rename|copyFile|cp|truncate|chmod|chown|lchown|utimes|lutimes|symlink|link|createWriteStream|write|writev|ftruncate|fchmod)(?:Sync)?\s*\(/,
      /O_(?:WRONLY|RDWR|CREAT|TRUNC|APPEND)/,
      /open\([^)]*['"][wa+]/,
      /child_process|(?<!\.)\bexec(?:File)?(?:Sync)?\(|\bspawn(?:Sync)?\(/,
    ];
    for (const f of files) {
      // io.stdout.write is how a command prints; it is not a file write.
      const text = readFileSync(f, 'utf8').replace(/io\.(?:stdout|stderr)\.write\(/g, 'PRINT(');
      for (const re of forbidden)
        expect({ file: path.relative(src, f), hit: re.exec(text)?.[0] }).toEqual({ file: path.relative(src, f), hit: undefined });
    }
  });
});
