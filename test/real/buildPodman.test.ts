/**
 * `kpatch build --k8s v1.20.2 --runner podman` on the real release, in the kube-cross
 * stand-in made from Debian packages (scripts/ci/podman-image-debian.sh): remove and
 * nokmem, checked as checkRealBuild describes, and a second remove build on the same
 * kpatch cache (a new work tree, the Go build cache warm from the first: issue 13's
 * persistent cache) that must give a bit-identical kubelet: a rebuild of the same tag and
 * image is reproducible, and reusing compiled packages changes no byte. The first remove
 * build is signed (--sign-key): both folders carry provenance and SBOM whose subjects and
 * rebuild facts agree, and the signature holds for openssl and verify --key (issue 16).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kpatch } from '../helpers/cli.js';
import { checkRealBuild, kubeletOf, sha256 } from '../helpers/buildChecks.js';
import { debianImage, PODMAN_ENV, realReleases } from '../helpers/realRelease.js';
import { schemaErrors } from '../helpers/jsonSchema.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'kpatch-real-podman-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const env = { CI: '1', KPATCH_CACHE_DIR: path.join(tmp, 'cache'), HOME: path.join(tmp, 'home'), ...PODMAN_ENV };
let k8sUrl: string;
let image: string;

const KEY = path.join(tmp, 'key.pem');
const PUB = path.join(tmp, 'pub.pem');
const json = (dir: string, name: string) => JSON.parse(readFileSync(path.join(dir, name), 'utf8'));

/** `kpatch build --k8s v1.20.2 --runner podman --image <Debian image>`; returns the output folder. */
function build(mode: string, name: string, ...more: string[]): string {
  const out = path.join(tmp, name);
  const r = kpatch(
    ['build', '--k8s', 'v1.20.2', '--repo', k8sUrl, '--runner', 'podman', '--image', image, '--mode', mode, '--out', out, ...more],
    { env },
  );
  expect(r.code, r.stderr.slice(-4000)).toBe(0);
  return out;
}

describe('kpatch build --k8s v1.20.2 --runner podman (Debian-built kube-cross stand-in)', () => {
  beforeAll(() => {
    mkdirSync(env.HOME, { recursive: true });
    k8sUrl = realReleases().k8sUrl;
    image = debianImage();
    execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', KEY]);
    execFileSync('openssl', ['ec', '-in', KEY, '-pubout', '-out', PUB], { stdio: 'pipe' });
  });

  it('remove: exit 0, the version, checksums, verify, manifest sites, and a patch git am takes on the pristine tag', () => {
    const out = build('remove', 'out-remove', '--sign-key', KEY);
    checkRealBuild(out, 'remove', 'podman', k8sUrl, tmp, env);
  });

  it('nokmem: exit 0, the version, checksums, verify, the proof string and -tags=nokmem in the real kubelet', () => {
    const out = build('nokmem', 'out-nokmem');
    checkRealBuild(out, 'nokmem', 'podman', k8sUrl, tmp, env);
  });

  it('a second remove build of the same tag and image, on the warm cache, gives a bit-identical kubelet; both provenances name the same subjects and rebuild facts', () => {
    const first = path.join(tmp, 'out-remove');
    const again = build('remove', 'out-remove-again');
    expect(sha256(kubeletOf(again))).toBe(sha256(kubeletOf(first)));
    for (const out of [first, again]) {
      expect(schemaErrors('provenance.schema.json', json(out, 'provenance.json'))).toEqual([]);
      expect(schemaErrors('spdx-2.3.schema.json', json(out, 'sbom.spdx.json'))).toEqual([]);
    }
    const [p1, p2] = [json(first, 'provenance.json'), json(again, 'provenance.json')];
    expect(p2.subject).toEqual(p1.subject);
    expect(p1.subject).toEqual([{ name: 'linux-amd64/kubelet', digest: { sha256: sha256(kubeletOf(first)) } }]);
    // What a rebuild must match is the same for both, and names the image and the Go that made the bytes.
    expect(p2.predicate.buildDefinition.internalParameters.reproducibleWith).toEqual(
      p1.predicate.buildDefinition.internalParameters.reproducibleWith,
    );
    expect(p1.predicate.buildDefinition.internalParameters.reproducibleWith).toMatchObject({
      image: { reference: image },
      goVersion: expect.stringMatching(/^go1\./),
      sourceDateEpoch: expect.any(Number),
    });
    expect(p1.predicate.buildDefinition.resolvedDependencies).toContainEqual(
      expect.objectContaining({ name: 'build-image', uri: `docker://${image}` }),
    );
  });

  it('the signed remove build: openssl accepts SHA256SUMS.sig, verify --key holds, and the SBOM lists the real vendored runc (from vendor/modules.txt: the GOPATH-mode kubelet has no module list) as modified', () => {
    const out = path.join(tmp, 'out-remove');
    const ossl = spawnSync(
      'sh',
      ['-c', 'base64 -d SHA256SUMS.sig | openssl dgst -sha256 -verify "$1" -signature /dev/stdin SHA256SUMS', 'sh', PUB],
      { cwd: out, encoding: 'utf8' },
    );
    expect(ossl.stdout).toContain('Verified OK');
    const v = kpatch(['verify', out, '--repo', k8sUrl, '--key', PUB], { env });
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toContain('ok   SHA256SUMS.sig: a valid ECDSA P-256 signature');
    const sbom = json(out, 'sbom.spdx.json');
    expect(sbom.creationInfo.comment).toContain('linux-amd64/kubelet: ');
    // Kubernetes 1.20 builds in GOPATH mode (hack/lib/init.sh exports GO111MODULE=off), so the real
    // kubelet carries no module list: go version -m prints no dep line, and the SBOM takes the
    // modules from vendor/modules.txt, as the SBOM's rule says.
    const buildInfo = spawnSync('go', ['version', '-m', path.join(out, 'linux-amd64', 'kubelet')], { encoding: 'utf8' });
    expect(buildInfo.status, buildInfo.stderr).toBe(0);
    expect(buildInfo.stdout).not.toMatch(/^\s+dep\s/m);
    expect(sbom.creationInfo.comment).toContain('from vendor/modules.txt');
    const runc = sbom.packages.find((p: { name: string }) => p.name === 'github.com/opencontainers/runc');
    expect(runc.versionInfo).toMatch(/^v1\.0\.0-rc9/);
    expect(runc.annotations[0].comment).toContain(`sha256 ${json(out, 'manifest.json').patch.sha256}`);
    expect(sbom.packages.length).toBeGreaterThan(100);
  });
});
