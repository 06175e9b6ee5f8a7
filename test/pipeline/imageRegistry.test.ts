/**
 * Which build image a container build uses, against a real registry on
 * 127.0.0.1 (Debian's docker-registry) and real podman: an image already
 * local wins, else candidates are pulled in order and the first that pulls
 * is used; when none can be had, one error lists them all; an `--image`
 * without make or go is refused before anything is patched. The default
 * candidate lists name real hosts and are tested as data (kubeCross.test.ts);
 * here the candidates come through `--registry`, as a user with mirrors
 * gives them, so nothing leaves the loopback interface.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContainerRunner, engineGlobalArgs } from '../../src/pipeline/runners/containerRunner.js';
import { KpatchError } from '../../src/errors.js';
import { kpatch, REPO_ROOT } from '../helpers/cli.js';
import { schemaErrors } from '../helpers/jsonSchema.js';
import {
  freePort,
  importShellOnlyImage,
  PODMAN_ENV,
  podman,
  registrySkipReason,
  startRegistry,
  type LoopbackRegistry,
} from '../helpers/loopbackRegistry.js';
import { makeStandinRemote, type StandinRemote } from '../helpers/standin-repo.js';

const LOCAL = 'localhost/kpatch/kube-cross:local';
const TAG = 'v1.10.4-1'; // the stand-in v1.12.4's build/build-image/cross/VERSION
const SHELL_ONLY = `localhost/kpatch-test/shell-only:${process.pid}`;
const skip = registrySkipReason();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'kpatch-image-registry-'));
let reg: LoopbackRegistry;
let closedPort = 0;

beforeAll(async () => {
  if (skip) return;
  // Builds the local kube-cross stand-in from host files; 0.1 s when it exists.
  execFileSync('bash', [path.join(REPO_ROOT, 'scripts/ci/podman-image.sh'), LOCAL], { stdio: 'inherit', timeout: 600_000 });
  importShellOnlyImage(SHELL_ONLY);
  reg = await startRegistry();
  reg.pushFresh(
    LOCAL,
    ['present', 'first', 'second', 'e2e'].map((name) => `${name}/kube-cross:${TAG}`),
  );
  reg.push(SHELL_ONLY, 'shell-only/kube-cross:1');
  closedPort = await freePort();
}, 900_000);

afterAll(async () => {
  await reg?.stop();
  if (!skip)
    execFileSync('podman', ['--runtime', '/usr/sbin/runc', 'rmi', '--force', SHELL_ONLY], {
      env: { ...process.env, ...PODMAN_ENV },
      stdio: 'pipe',
    });
  rmSync(tmp, { recursive: true, force: true });
});

const env = () => ({ ...process.env, ...PODMAN_ENV, ...reg.env }) as Record<string, string>;
const runner = () => createContainerRunner({ engine: 'podman', globalArgs: engineGlobalArgs('podman', PODMAN_ENV), env: env() });
const ref = (name: string, tag = TAG) => `${reg.host}/${name}/kube-cross:${tag}`;
const isLocal = (image: string) => {
  try {
    podman(['image', 'exists', image]);
    return true;
  } catch {
    return false;
  }
};
async function rejection(p: Promise<unknown>): Promise<KpatchError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof KpatchError) return e;
    throw e;
  }
  throw new Error('expected a KpatchError');
}
const quiet = { checkTools: false, onLine: () => undefined };

describe.skipIf(skip)('choosing among candidate images, with a real registry on loopback', () => {
  it('falls back to the next candidate when a pull fails, and records the digest the registry serves', { timeout: 300_000 }, async () => {
    const got = await runner().prepareImage!([ref('absent'), ref('present')], quiet);
    expect(got.ref).toBe(ref('present'));
    expect(got.attempts).toEqual([
      { ref: ref('absent'), result: 'failed', message: expect.stringMatching(/absent\/kube-cross|name unknown|manifest unknown/) },
      { ref: ref('present'), result: 'pulled' },
    ]);
    expect(got.digest).toBe(await reg.digest(`present/kube-cross:${TAG}`));
    expect(isLocal(ref('absent'))).toBe(false);
  });

  it('uses the first candidate that pulls, and does not try the others', { timeout: 300_000 }, async () => {
    const got = await runner().prepareImage!([ref('first'), ref('second')], quiet);
    expect(got).toEqual({
      ref: ref('first'),
      digest: await reg.digest(`first/kube-cross:${TAG}`),
      attempts: [{ ref: ref('first'), result: 'pulled' }],
    });
    expect(isLocal(ref('second'))).toBe(false);
  });

  it('an image already local wins over pulling an earlier candidate (no network needed)', { timeout: 120_000 }, async () => {
    // `present` was pulled above; `second` is in the registry but was never pulled.
    const got = await runner().prepareImage!([ref('second'), ref('present')], quiet);
    expect(got.ref).toBe(ref('present'));
    expect(got.attempts).toEqual([{ ref: ref('present'), result: 'present' }]);
    expect(isLocal(ref('second'))).toBe(false);
  });

  it('when every candidate fails: one error naming each, with what to do', { timeout: 300_000 }, async () => {
    const dead = `127.0.0.1:${closedPort}/k8s/kube-cross:${TAG}`;
    const e = await rejection(runner().prepareImage!([ref('absent'), dead], quiet));
    expect(e.id).toBe('image_unavailable');
    expect(e.exitCode).toBe(1);
    expect(e.where).toBe('none of 2 candidates');
    const lines = e.detail!.split('\n');
    expect(lines[0]).toBe('tried, in this order (none was present locally):');
    expect(lines[1]).toMatch(new RegExp(`^${ref('absent').replace(/[.]/g, '\\.')}: \\S`));
    expect(lines[2]).toMatch(new RegExp(`^127\\.0\\.0\\.1:${closedPort}/k8s/kube-cross:${TAG}: .*(refused|connect)`));
    expect(e.hint).toContain('--registry');
    expect(e.hint).toContain('--image');
  });

  it('checks an image the user named has make and go, after pulling it', { timeout: 300_000 }, async () => {
    const e = await rejection(runner().prepareImage!([ref('shell-only', '1')], { ...quiet, checkTools: true }));
    expect(e.id).toBe('image_unusable');
    expect(e.where).toBe(ref('shell-only', '1'));
    expect(e.detail).toBe("not on the image's PATH: make, go");
    expect(isLocal(ref('shell-only', '1'))).toBe(true); // it was pulled first
    const ok = await runner().prepareImage!([ref('present')], { ...quiet, checkTools: true });
    expect(ok.ref).toBe(ref('present'));
  });
});

describe.skipIf(skip)('kpatch build --runner podman with a mirror that lacks the image', () => {
  let remote: StandinRemote;
  const cliEnv = () => ({
    ...reg.env,
    ...PODMAN_ENV,
    CI: '1',
    KPATCH_CACHE_DIR: path.join(tmp, 'cache'),
    HOME: path.join(tmp, 'home'),
    GOFLAGS: undefined,
  });
  beforeAll(() => {
    mkdirSync(path.join(tmp, 'home'), { recursive: true });
    remote = makeStandinRemote(path.join(tmp, 'remote'), { tags: ['v1.12.4'] });
  });

  it('builds in the next --registry, and the manifest says which image, its digest and what was tried', { timeout: 600_000 }, async () => {
    const out = path.join(tmp, 'out-fallback');
    const registries = `${reg.host}/absent,${reg.host}/e2e`;
    const r = kpatch(['build', '--k8s', 'v1.12.4', '--repo', remote.url, '--runner', 'podman', '--registry', registries, '--out', out], {
      env: cliEnv(),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`image: using ${ref('e2e')}`);
    const m = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(m.image).toEqual({
      ref: ref('e2e'),
      source: `--registry ${registries} with the tree's kube-cross tag ${TAG}`,
      digest: await reg.digest(`e2e/kube-cross:${TAG}`),
      candidates: [ref('absent'), ref('e2e')],
      attempts: [
        { ref: ref('absent'), result: 'failed', message: expect.any(String) },
        { ref: ref('e2e'), result: 'pulled' },
      ],
    });
    expect(m.command).toContain(ref('e2e'));
    expect(schemaErrors('build.schema.json', m)).toEqual([]);
    expect(schemaErrors('build.schema.json', { ...m, image: { ...m.image, attempts: [{ ref: 'x', result: 'skipped' }] } })).not.toEqual([]);
    expect(existsSync(path.join(out, 'linux-amd64/kubelet'))).toBe(true);
  });

  it('stops before patching when no candidate can be pulled, listing them', { timeout: 300_000 }, () => {
    const out = path.join(tmp, 'out-none');
    const r = kpatch(
      [
        'build',
        '--k8s',
        'v1.12.4',
        '--repo',
        remote.url,
        '--runner',
        'podman',
        '--registry',
        `${reg.host}/absent,${reg.host}/gone`,
        '--out',
        out,
      ],
      { env: cliEnv() },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error[image_unavailable]: build image not available: none of 2 candidates');
    expect(r.stderr).toContain(`  ${ref('absent')}: `);
    expect(r.stderr).toContain(`  ${ref('gone')}: `);
    expect(r.stderr).toMatch(/hint: .*--registry HOST\/PATH/);
    expect(r.stderr).not.toMatch(/^\S+ build: started/m); // make never ran
    expect(existsSync(out)).toBe(false);
  });
});
