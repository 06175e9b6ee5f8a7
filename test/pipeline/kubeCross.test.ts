/**
 * Choosing the kube-cross image: the tag from the tree, the registry of the
 * release's era, and the --registry / --image overrides.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CROSS_VERSION_FILE,
  goVersionOfCrossTag,
  KUBE_CROSS_REGISTRIES,
  kubeCrossImage,
  readCrossTag,
} from '../../src/pipeline/kubeCross.js';
import { KpatchError } from '../../src/errors.js';
import { materializeStandin } from '../helpers/standin-repo.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'kpatch-kubecross-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function caught(f: () => unknown): KpatchError {
  try {
    f();
  } catch (e) {
    if (e instanceof KpatchError) return e;
    throw e;
  }
  throw new Error('expected a KpatchError');
}

describe('kubeCrossImage: the registry of each era', () => {
  // Today's home first (registry.k8s.io, under the path the era's images were
  // promoted to), then the reference the release itself used.
  it.each([
    ['v1.8.15', 'v1.8.3-2', 'registry.k8s.io/kube-cross:v1.8.3-2', 'gcr.io/google_containers/kube-cross:v1.8.3-2'],
    ['v1.9.11', 'v1.9.3-2', 'registry.k8s.io/kube-cross:v1.9.3-2', 'gcr.io/google_containers/kube-cross:v1.9.3-2'],
    ['v1.10.13', 'v1.9.3-2', 'registry.k8s.io/kube-cross:v1.9.3-2', 'k8s.gcr.io/kube-cross:v1.9.3-2'],
    ['v1.12.4', 'v1.10.4-1', 'registry.k8s.io/kube-cross:v1.10.4-1', 'k8s.gcr.io/kube-cross:v1.10.4-1'],
    ['1.13.12', 'v1.11.13-1', 'registry.k8s.io/kube-cross:v1.11.13-1', 'k8s.gcr.io/kube-cross:v1.11.13-1'],
    ['v1.16.15', 'v1.13.15-1', 'registry.k8s.io/kube-cross:v1.13.15-1', 'k8s.gcr.io/kube-cross:v1.13.15-1'],
    [
      'v1.17.17',
      'v1.15.8-legacy-1',
      'registry.k8s.io/build-image/kube-cross:v1.15.8-legacy-1',
      'us.gcr.io/k8s-artifacts-prod/build-image/kube-cross:v1.15.8-legacy-1',
    ],
    [
      'v1.20.2',
      'v1.15.5-1',
      'registry.k8s.io/build-image/kube-cross:v1.15.5-1',
      'us.gcr.io/k8s-artifacts-prod/build-image/kube-cross:v1.15.5-1',
    ],
    [
      'v1.20.15',
      'v1.15.15-legacy-1',
      'registry.k8s.io/build-image/kube-cross:v1.15.15-legacy-1',
      'us.gcr.io/k8s-artifacts-prod/build-image/kube-cross:v1.15.15-legacy-1',
    ],
    ['v1.21.0', 'v1.16.1-1', 'registry.k8s.io/build-image/kube-cross:v1.16.1-1', 'k8s.gcr.io/build-image/kube-cross:v1.16.1-1'],
    ['v1.21.0-rc.0', 'v1.16.1-1', 'registry.k8s.io/build-image/kube-cross:v1.16.1-1', 'k8s.gcr.io/build-image/kube-cross:v1.16.1-1'],
  ])('Kubernetes %s, kube-cross %s -> %s, else %s', (k8sTag, crossTag, living, historical) => {
    const r = kubeCrossImage({ k8sTag, crossTag });
    expect(r.candidates).toEqual([living, historical]);
    expect(r.ref).toBe(living);
    expect(r.source).toContain(crossTag);
    expect(r.source).toContain(CROSS_VERSION_FILE);
  });

  it('no default names a registry that is frozen or retired first', () => {
    for (const era of KUBE_CROSS_REGISTRIES) {
      expect(era.living.startsWith('registry.k8s.io/'), era.living).toBe(true);
      expect(era.living.endsWith('/kube-cross')).toBe(true);
      expect(era.historical).toMatch(/gcr\.io\//);
    }
  });

  it('--registry replaces everything before /kube-cross', () => {
    for (const registry of ['mirror.local/k8s', 'mirror.local/k8s/']) {
      const r = kubeCrossImage({ k8sTag: 'v1.12.4', crossTag: 'v1.10.4-1', registry });
      expect(r.ref).toBe('mirror.local/k8s/kube-cross:v1.10.4-1');
      expect(r.candidates).toEqual(['mirror.local/k8s/kube-cross:v1.10.4-1']); // exactly what the user said: no fallback
      expect(r.source).toBe("--registry mirror.local/k8s with the tree's kube-cross tag v1.10.4-1");
    }
    expect(kubeCrossImage({ crossTag: 'v1.10.4-1', registry: 'localhost:5000' }).ref).toBe('localhost:5000/kube-cross:v1.10.4-1');
    expect(kubeCrossImage({ crossTag: 'v1.16.5-1', registry: 'registry.k8s.io/build-image' }).ref).toBe(
      'registry.k8s.io/build-image/kube-cross:v1.16.5-1',
    );
  });

  it('--image overrides the whole reference, and needs no tag', () => {
    const r = kubeCrossImage({
      k8sTag: 'v1.12.4',
      crossTag: 'v1.10.4-1',
      registry: 'mirror.local/k8s',
      image: 'localhost/kpatch/kube-cross:local',
    });
    expect(r).toEqual({ ref: 'localhost/kpatch/kube-cross:local', candidates: ['localhost/kpatch/kube-cross:local'], source: '--image' });
    expect(kubeCrossImage({ image: 'example.org/x@sha256:' + 'a'.repeat(64) }).ref).toBe('example.org/x@sha256:' + 'a'.repeat(64));
  });

  it('--registry with several values: tried in the order given, duplicates dropped', () => {
    const r = kubeCrossImage({ k8sTag: 'v1.12.4', crossTag: 'v1.10.4-1', registry: 'b.corp/k8s, a.corp:5000/k8s/,b.corp/k8s' });
    expect(r.candidates).toEqual(['b.corp/k8s/kube-cross:v1.10.4-1', 'a.corp:5000/k8s/kube-cross:v1.10.4-1']);
    expect(r.source).toBe("--registry b.corp/k8s,a.corp:5000/k8s with the tree's kube-cross tag v1.10.4-1");
    expect(caught(() => kubeCrossImage({ crossTag: 'v1.10.4-1', registry: 'a.corp/k8s,,b.corp/k8s' })).detail).toContain('empty entry');
    expect(caught(() => kubeCrossImage({ crossTag: 'v1.10.4-1', registry: 'a.corp/k8s,-v /:/host' })).where).toBe('--registry');
  });

  it('refuses references that an engine would read as options', () => {
    expect(caught(() => kubeCrossImage({ image: '--privileged' })).id).toBe('usage');
    expect(caught(() => kubeCrossImage({ image: 'a b' })).where).toBe('--image');
    expect(caught(() => kubeCrossImage({ crossTag: 'v1.10.4-1', registry: '-v /:/host' })).where).toBe('--registry');
  });

  it('asks for --registry or --image when the release is unknown (--src)', () => {
    const e = caught(() => kubeCrossImage({ crossTag: 'v1.10.4-1' }));
    expect(e.id).toBe('kube_cross_version');
    expect(e.hint).toContain('--image');
    expect(caught(() => kubeCrossImage({ k8sTag: 'master', crossTag: 'v1.10.4-1' })).detail).toContain('"master"');
    expect(caught(() => kubeCrossImage({ k8sTag: 'v1.12.4' })).id).toBe('kube_cross_version');
  });
});

describe('the kube-cross tag of a tree', () => {
  it('reads build/build-image/cross/VERSION of each stand-in release', async () => {
    for (const [tag, cross] of [
      ['v1.12.4', 'v1.10.4-1'],
      ['v1.14.10', 'v1.12.17-1'],
      ['v1.21.2', 'v1.16.5-1'],
    ]) {
      const tree = path.join(tmp, tag);
      materializeStandin(tag, tree);
      expect(await readCrossTag(tree)).toBe(cross);
    }
  });

  it('a missing VERSION file is an error naming the path and suggesting --image', async () => {
    const tree = path.join(tmp, 'no-version');
    mkdirSync(tree);
    const e = await readCrossTag(tree).then(
      () => undefined,
      (x: unknown) => x as KpatchError,
    );
    expect(e).toBeInstanceOf(KpatchError);
    expect(e!.id).toBe('kube_cross_version');
    expect(e!.where).toBe(path.join(tree, 'build/build-image/cross/VERSION'));
    expect(e!.render()).toContain('--image');
  });

  it('a VERSION file that does not hold a tag is an error, not an image reference', async () => {
    const tree = path.join(tmp, 'bad-version');
    mkdirSync(path.join(tree, 'build/build-image/cross'), { recursive: true });
    writeFileSync(path.join(tree, CROSS_VERSION_FILE), '--rm -v /:/host\n');
    await expect(readCrossTag(tree)).rejects.toMatchObject({ id: 'kube_cross_version' });
  });

  it('names the Go version', () => {
    expect(goVersionOfCrossTag('v1.10.4-1')).toBe('1.10.4');
    expect(goVersionOfCrossTag('v1.13.9-2')).toBe('1.13.9');
    expect(goVersionOfCrossTag('v1.15.10-legacy-1')).toBe('1.15.10');
    expect(goVersionOfCrossTag('v1.16.1-1')).toBe('1.16.1');
    expect(goVersionOfCrossTag('latest')).toBeUndefined();
  });
});
