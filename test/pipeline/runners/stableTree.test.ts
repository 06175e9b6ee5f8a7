/**
 * The local runner moves kpatch's build tree to one fixed path under the
 * cache (src/pipeline/runners/stableTree.ts). When that move fails for a
 * reason other than another file system, the user gets the cache's error,
 * naming both paths, and the fixed path is free for the next build.
 */
import { mkdirSync, mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { atStablePath } from '../../../src/pipeline/runners/stableTree.js';

describe('atStablePath', () => {
  it('a tree that cannot be moved (gone) is a cache_error naming both paths, and leaves the fixed path unlocked', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'kpatch-stable-'));
    const cache = path.join(tmp, 'cache');
    const gone = path.join(tmp, 'gone');
    const err = await atStablePath(gone, cache, 'kubernetes', () => {}).catch((e: unknown) => e);
    expect(err).toMatchObject({ id: 'cache_error', where: path.join(cache, 'tree', 'kubernetes') });
    expect(String((err as Error).message) + String((err as { detail?: string }).detail)).toContain(gone);

    // The next build takes the fixed path at once (the lock was let go), and puts its tree back.
    const tree = path.join(tmp, 'tree');
    mkdirSync(tree);
    writeFileSync(path.join(tree, 'Makefile'), 'all:\n');
    const lines: string[] = [];
    const moved = await atStablePath(tree, cache, 'kubernetes', (l) => lines.push(l));
    expect(moved.tree).toBe(path.join(cache, 'tree', 'kubernetes'));
    expect(existsSync(path.join(moved.tree, 'Makefile'))).toBe(true);
    await moved.restore();
    expect(existsSync(path.join(tree, 'Makefile'))).toBe(true);
    expect(lines.join('\n')).not.toMatch(/waiting/);
  });
});
