/**
 * `kpatch build --k8s v1.20.2 --runner podman` on the real release, in the kube-cross
 * stand-in made from Debian packages (scripts/ci/podman-image-debian.sh): remove and
 * nokmem, checked as checkRealBuild describes, and a second remove build, with a
 * fresh kpatch cache so nothing compiled is shared, that must give a bit-identical kubelet.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kpatch } from '../helpers/cli.js';
import { checkRealBuild, kubeletOf, sha256 } from './buildChecks.js';
import { debianImage, PODMAN_ENV, realReleases } from './realRelease.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'kpatch-real-podman-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const envFor = (cache: string) => ({ CI: '1', KPATCH_CACHE_DIR: path.join(tmp, cache), HOME: path.join(tmp, 'home'), ...PODMAN_ENV });
const env = envFor('cache');
let k8sUrl: string;
let image: string;

/** `kpatch build --k8s v1.20.2 --runner podman --image <Debian image>`; returns the output folder. */
function build(mode: string, name: string, e: Record<string, string> = env): string {
  const out = path.join(tmp, name);
  const r = kpatch(['build', '--k8s', 'v1.20.2', '--repo', k8sUrl, '--runner', 'podman', '--image', image, '--mode', mode, '--out', out], { env: e });
  expect(r.code, r.stderr.slice(-4000)).toBe(0);
  return out;
}

describe('kpatch build --k8s v1.20.2 --runner podman (Debian-built kube-cross stand-in)', () => {
  beforeAll(() => {
    mkdirSync(env.HOME, { recursive: true });
    k8sUrl = realReleases().k8sUrl;
    image = debianImage();
  });

  it('remove: exit 0, the version, checksums, verify, manifest sites, and a patch git am takes on the pristine tag', () => {
    const out = build('remove', 'out-remove');
    checkRealBuild(out, 'remove', 'podman', k8sUrl, tmp, env);
  });

  it('nokmem: exit 0, the version, checksums, verify, the proof string and -tags=nokmem in the real kubelet', () => {
    const out = build('nokmem', 'out-nokmem');
    checkRealBuild(out, 'nokmem', 'podman', k8sUrl, tmp, env);
  });

  it('a second remove build of the same tag and image, from a fresh cache, gives a bit-identical kubelet', () => {
    const again = build('remove', 'out-remove-again', envFor('cache-again'));
    expect(sha256(kubeletOf(again))).toBe(sha256(kubeletOf(path.join(tmp, 'out-remove'))));
  });
});
