/**
 * `kpatch build --k8s v1.20.2 --runner local --mode guard` on the real release
 * (Kubernetes' own make with the host's Go, 5-6 minutes on two quiet cores), checked
 * as checkRealBuild describes.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kpatch } from '../helpers/cli.js';
import { checkRealBuild } from '../helpers/buildChecks.js';
import { realReleases } from '../helpers/realRelease.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'kpatch-real-local-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const env = { CI: '1', KPATCH_CACHE_DIR: path.join(tmp, 'cache'), HOME: path.join(tmp, 'home') };

describe('kpatch build --k8s v1.20.2 --runner local', () => {
  it('guard: exit 0, the version, checksums, verify, manifest sites, and a patch git am takes on the pristine tag', () => {
    mkdirSync(env.HOME, { recursive: true });
    const { k8sUrl } = realReleases();
    const out = path.join(tmp, 'out-guard');
    const r = kpatch(['build', '--k8s', 'v1.20.2', '--repo', k8sUrl, '--runner', 'local', '--mode', 'guard', '--out', out], { env });
    expect(r.code, r.stderr.slice(-4000)).toBe(0);
    checkRealBuild(out, 'guard', 'local', k8sUrl, tmp, env);
  });
});
