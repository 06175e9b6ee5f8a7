/**
 * DEP-3 fields in the patch kpatch writes (issue 16 §4): Origin, Bug,
 * Forwarded and Last-Update (the tag commit's day, so the bytes stay the
 * same on every run), at the end of the commit message where `git am`
 * keeps them and Debian's tools read them; drift checks still hold.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kpatch } from '../helpers/cli.js';
import { makeStandinRemote, STANDIN_GIT_IDENTITY, type StandinRemote } from '../helpers/standin-repo.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'kpatch-dep3-'));
const env = { CI: '1', KPATCH_CACHE_DIR: path.join(tmp, 'cache'), HOME: path.join(tmp, 'home') };
const reviewed = path.join(tmp, 'reviewed');
const PATCH = path.join(reviewed, 'v1.12.4', '0001-kmem-accounting-guard.patch');
let remote: StandinRemote;

beforeAll(() => {
  mkdirSync(env.HOME, { recursive: true });
  remote = makeStandinRemote(tmp, { tags: ['v1.12.4'] });
  const r = kpatch(['diff', '--k8s', 'v1.12.4', '--repo', remote.url, '--mode', 'guard', '--write', reviewed], { env });
  if (r.code !== 0) throw new Error(r.stderr);
}, 120_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('DEP-3 fields', () => {
  it('end the commit message, before ---, with Last-Update the day of the tag commit', () => {
    const text = readFileSync(PATCH, 'utf8');
    const day = new Date(
      Number(execFileSync('git', ['--git-dir', remote.bare, 'log', '-1', '--format=%ct', 'v1.12.4'], { encoding: 'utf8' })) * 1000,
    )
      .toISOString()
      .slice(0, 10);
    const message = text.slice(0, text.indexOf('\n---\n'));
    expect(message.split('\n\n').at(-1)).toBe(
      [
        'Origin: vendor, kpatch recipe kmem-accounting (mode guard)',
        'Bug: https://github.com/kubernetes/kubernetes/issues/61937',
        'Forwarded: not-needed',
        `Last-Update: ${day}`,
      ].join('\n'),
    );
  });

  it('are the same bytes on a second run, and diff --check finds no drift', () => {
    const before = readFileSync(PATCH);
    expect(kpatch(['diff', '--k8s', 'v1.12.4', '--repo', remote.url, '--mode', 'guard', '--check', reviewed], { env }).code).toBe(0);
    expect(kpatch(['diff', '--k8s', 'v1.12.4', '--repo', remote.url, '--mode', 'guard', '--write', reviewed], { env }).code).toBe(0);
    expect(readFileSync(PATCH).equals(before)).toBe(true);
  });

  it('survive git am into the commit message', () => {
    const clone = path.join(tmp, 'clone');
    execFileSync('git', ['clone', '-q', '--branch', 'v1.12.4', remote.url, clone], { stdio: 'pipe' });
    execFileSync(
      'git',
      ['-c', `user.name=${STANDIN_GIT_IDENTITY.name}`, '-c', `user.email=${STANDIN_GIT_IDENTITY.email}`, 'am', '-q', PATCH],
      { cwd: clone, stdio: 'pipe', env: { ...process.env, GIT_COMMITTER_NAME: 'test', GIT_COMMITTER_EMAIL: 'test@invalid' } },
    );
    const body = execFileSync('git', ['log', '-1', '--format=%b'], { cwd: clone, encoding: 'utf8' });
    expect(body).toContain('Bug: https://github.com/kubernetes/kubernetes/issues/61937\nForwarded: not-needed\nLast-Update: ');
  });
});
