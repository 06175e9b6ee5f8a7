/**
 * `kpatch build --k8s v1.20.2 --runner podman` on the real release, in the kube-cross
 * stand-in made from Debian packages (scripts/ci/podman-image-debian.sh): remove and
 * nokmem, checked as checkRealBuild describes, and a second remove build on the same
 * kpatch cache (a new work tree, the Go build cache warm from the first: issue 13's
 * persistent cache) that must give a bit-identical kubelet: a rebuild of the same tag and
 * image is reproducible, and reusing compiled packages changes no byte.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kpatch } from '../helpers/cli.js';
import { checkRealBuild, kubeletOf, sha256 } from '../helpers/buildChecks.js';
import { debianImage, PODMAN_ENV, realReleases } from '../helpers/realRelease.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'kpatch-real-podman-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const env = { CI: '1', KPATCH_CACHE_DIR: path.join(tmp, 'cache'), HOME: path.join(tmp, 'home'), ...PODMAN_ENV };
let k8sUrl: string;
let image: string;

/** `kpatch build --k8s v1.20.2 --runner podman --image <Debian image>`; returns the output folder. */
function build(mode: string, name: string): string {
  const out = path.join(tmp, name);
  const r = kpatch(['build', '--k8s', 'v1.20.2', '--repo', k8sUrl, '--runner', 'podman', '--image', image, '--mode', mode, '--out', out], { env });
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

  it('a second remove build of the same tag and image, on the warm cache, gives a bit-identical kubelet', () => {
    const again = build('remove', 'out-remove-again');
    expect(sha256(kubeletOf(again))).toBe(sha256(kubeletOf(path.join(tmp, 'out-remove'))));
  });
});
