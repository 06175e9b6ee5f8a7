/**
 * `build --patch` names the tree as the user did (issue 14 leftover): a
 * reviewed patch that does not apply to a `--src` checkout says to
 * regenerate it from that checkout (`kpatch diff --src DIR ...`), not from a
 * `--k8s TAG` the user never gave. Real git and the stand-in Kubernetes; the
 * build stops before make.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { kpatch } from '../helpers/cli.js';
import { makeStandinRemote, STANDIN_MEMORY_GO, type StandinRemote } from '../helpers/standin-repo.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'kpatch-patch-hint-'));
const env = {
  CI: '1',
  KPATCH_CACHE_DIR: path.join(tmp, 'cache'),
  HOME: path.join(tmp, 'home'),
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};
let remote: StandinRemote;

beforeAll(() => {
  mkdirSync(env.HOME, { recursive: true });
  remote = makeStandinRemote(tmp, { tags: ['v1.12.4'] });
});

describe('build --patch: the hint of a patch that does not apply', { timeout: 300_000 }, () => {
  it('with --src, says to regenerate it from that checkout', () => {
    const dir = path.join(tmp, 'checkout');
    execFileSync('git', ['-c', 'advice.detachedHead=false', 'clone', '-q', '--branch', 'v1.12.4', remote.url, dir], { stdio: 'pipe' });
    // A reviewed patch made for another release: its context is not in this one.
    const stale = path.join(tmp, 'stale.patch');
    writeFileSync(
      stale,
      [
        `diff --git a/${STANDIN_MEMORY_GO} b/${STANDIN_MEMORY_GO}`,
        `--- a/${STANDIN_MEMORY_GO}`,
        `+++ b/${STANDIN_MEMORY_GO}`,
        '@@ -1,2 +1,2 @@',
        '-// a line of another release',
        '+// kpatch:kmem-accounting guard',
        ' // and its neighbour',
        '',
      ].join('\n'),
    );
    const parent = path.join(tmp, 'refused');
    mkdirSync(parent);
    const r = kpatch(['build', '--src', dir, '--runner', 'local', '--patch', stale, '--out', path.join(parent, 'out')], { env, cwd: tmp });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('error[patch_does_not_apply]');
    expect(r.stderr).toContain(
      `hint: the release changed under the reviewed patch: regenerate it with \`kpatch diff --src ${dir} --mode M --write DIR\``,
    );
    expect(r.stderr).not.toContain('--k8s TAG');
    expect(readdirSync(parent)).toEqual([]);
  });
});

describe('build --patch: a patch that leaves a site kpatch cannot fix', { timeout: 300_000 }, () => {
  it('names the unsupported site, not only unguarded ones (patch_incomplete)', () => {
    // A reviewer's patch: kpatch's guard, plus a new use of the function as a value (which scan calls unsupported).
    const work = path.join(tmp, 'reviewer');
    execFileSync('git', ['-c', 'advice.detachedHead=false', 'clone', '-q', '--branch', 'v1.12.4', remote.url, work], { stdio: 'pipe' });
    const p = kpatch(['patch', '--src', work], { env, cwd: tmp });
    expect(p.code, p.stderr).toBe(0);
    const file = path.join(work, STANDIN_MEMORY_GO);
    writeFileSync(file, `${readFileSync(file, 'utf8')}\nvar enableKmem = EnableKernelMemoryAccounting\n`);
    const bad = path.join(tmp, 'value-use.patch');
    writeFileSync(bad, execFileSync('git', ['diff'], { cwd: work, encoding: 'utf8' }));
    const dir = path.join(tmp, 'checkout-2');
    execFileSync('git', ['-c', 'advice.detachedHead=false', 'clone', '-q', '--branch', 'v1.12.4', remote.url, dir], { stdio: 'pipe' });
    const parent = path.join(tmp, 'incomplete');
    mkdirSync(parent);
    const r = kpatch(['build', '--src', dir, '--runner', 'local', '--patch', bad, '--out', path.join(parent, 'out')], { env, cwd: tmp });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('error[patch_incomplete]');
    expect(r.stderr).toMatch(
      new RegExp(
        `still unsupported after the patch:\\n\\s+${STANDIN_MEMORY_GO.replace(/\./g, '\\.')}:\\d+ \\(package level\\) \\(unsupported: `,
      ),
    );
    expect(readdirSync(parent)).toEqual([]);
  });
});
