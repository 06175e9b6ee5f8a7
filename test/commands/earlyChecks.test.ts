/**
 * Say it early and honestly: a build whose runner is missing stops before
 * anything is fetched, and a scan of a folder with no runc code warns
 * instead of reporting a reassuring "not affected" alone.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { kpatch } from '../helpers/cli.js';
import { makeStandinRemote } from '../helpers/standin-repo.js';

describe('early checks', () => {
  it('build with a runner that is not installed fails before fetching anything', () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'kpatch-early-'));
    const remote = makeStandinRemote(tmp, { tags: ['v1.12.4'] });
    // A PATH with git but no go: the local runner cannot run.
    const bin = path.join(tmp, 'bin');
    mkdirSync(bin);
    symlinkSync(execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim(), path.join(bin, 'git'));
    const cache = path.join(tmp, 'cache');
    const r = kpatch(['build', '--k8s', 'v1.12.4', '--repo', remote.url, '--runner', 'local', '--out', path.join(tmp, 'out')], {
      env: { PATH: bin, KPATCH_CACHE_DIR: cache, CI: '1' },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error[host_tools_missing]');
    expect(existsSync(cache), 'nothing was fetched').toBe(false);
    expect(existsSync(path.join(tmp, 'out'))).toBe(false);
  });

  it('scan of a folder without runc code warns that nothing was read', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kpatch-empty-'));
    const r = kpatch(['scan', '--src', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('not-affected');
    expect(r.stderr).toMatch(/no runc cgroups code found/);
  });
});
