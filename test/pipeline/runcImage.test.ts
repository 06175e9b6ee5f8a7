/**
 * Which golang image builds a runc tree (pure functions): the Dockerfile's
 * `FROM golang:` line in the shapes runc's releases used, `--registry` and
 * `--image`; and runc's tag grammar (`-rcN` without a dot, kept as spelled).
 */
import { describe, expect, it } from 'vitest';
import { runcGoOfDockerfile, runcImage } from '../../src/pipeline/runcImage.js';
import { KpatchError } from '../../src/errors.js';
import { closestReleaseTags, parseReleaseTag, parseRuncTag, validateTag } from '../../src/source/releaseTag.js';

const catching = (f: () => unknown): KpatchError => {
  try {
    f();
  } catch (e) {
    if (e instanceof KpatchError) return e;
    throw e;
  }
  throw new Error('no error thrown');
};

describe('runcGoOfDockerfile', () => {
  it('reads a plain FROM golang:X line (runc rc5 era)', () => {
    expect(runcGoOfDockerfile('FROM golang:1.10.8\nRUN make\n')).toEqual({ tag: '1.10.8', go: '1.10.8', line: 'FROM golang:1.10.8' });
  });

  it('expands ARG defaults, as runc rc92 and 1.1 write it, and keeps the Debian suffix', () => {
    const text = 'ARG GO_VERSION=1.14\nARG BATS_VERSION=v1.2.0\n\nFROM golang:${GO_VERSION}-buster\nARG DEBIAN_FRONTEND=noninteractive\n';
    expect(runcGoOfDockerfile(text)).toMatchObject({ tag: '1.14-buster', go: '1.14' });
    expect(
      runcGoOfDockerfile('ARG GO_VERSION="1.18"\nFROM --platform=$BUILDPLATFORM docker.io/library/golang:$GO_VERSION-bullseye AS build\n'),
    ).toMatchObject({ tag: '1.18-bullseye', go: '1.18' });
  });

  it('skips other images and unset arguments; undefined when no golang line', () => {
    expect(runcGoOfDockerfile('FROM debian:buster\nFROM golang:1.15.15\n')?.tag).toBe('1.15.15');
    expect(runcGoOfDockerfile('FROM golang:${UNSET}\n')).toBeUndefined();
    expect(runcGoOfDockerfile('FROM golang:latest\n')).toBeUndefined();
    expect(runcGoOfDockerfile('FROM ubuntu:18.04\n')).toBeUndefined();
  });
});

describe('runcImage', () => {
  const fromTree = { tag: '1.15.15-buster', go: '1.15.15', line: 'FROM golang:1.15.15-buster' };
  it('defaults to the fully qualified golang image of Docker Hub', () => {
    expect(runcImage({ fromTree }).ref).toBe('docker.io/library/golang:1.15.15-buster');
  });
  it('--registry replaces docker.io/library; --image wins as given', () => {
    expect(runcImage({ fromTree, registry: 'mirror.corp:5000/hub/' }).ref).toBe('mirror.corp:5000/hub/golang:1.15.15-buster');
    expect(runcImage({ image: 'localhost/runc-build:rc92' })).toEqual({
      ref: 'localhost/runc-build:rc92',
      candidates: ['localhost/runc-build:rc92'],
      source: '--image',
    });
    // Docker Hub's official images never moved: no fallback beyond it, and --registry values in the user's order only.
    expect(runcImage({ fromTree }).candidates).toEqual(['docker.io/library/golang:1.15.15-buster']);
    expect(runcImage({ fromTree, registry: 'a.corp/hub, b.corp/hub' }).candidates).toEqual([
      'a.corp/hub/golang:1.15.15-buster',
      'b.corp/hub/golang:1.15.15-buster',
    ]);
  });
  it('refuses a bad registry or image, and a tree that names no Go', () => {
    expect(catching(() => runcImage({ fromTree, registry: 'Mirror Corp' })).id).toBe('usage');
    expect(catching(() => runcImage({ image: '--privileged' })).id).toBe('usage');
    expect(catching(() => runcImage({})).id).toBe('runc_image_unknown');
  });
});

describe('runc tags', () => {
  it.each([
    ['v1.0.0-rc5', 'v1.0.0-rc5'],
    ['1.0.0-rc92', 'v1.0.0-rc92'],
    ['v1.1.0-rc.1', 'v1.1.0-rc.1'],
    ['v1.1.4', 'v1.1.4'],
  ])('%s is %s', (input, name) => {
    expect(parseRuncTag(input)?.name).toBe(name);
    expect(validateTag(input, 'runc').name).toBe(name);
  });

  it('Kubernetes tags keep their own grammar: -rcN is not a Kubernetes tag', () => {
    expect(parseReleaseTag('v1.0.0-rc5')).toBeUndefined();
    expect(catching(() => validateTag('v1.0.0-rc5')).id).toBe('tag_invalid');
  });

  it('suggests the closest runc tags by runc grammar', () => {
    const available = ['v1.0.0-rc5', 'v1.0.0-rc6', 'v1.0.0-rc92', 'v1.1.4', 'v1.12.4'];
    expect(closestReleaseTags(parseRuncTag('v1.0.0-rc7')!, available, 3, 'runc')).toEqual(['v1.0.0-rc6', 'v1.0.0-rc5', 'v1.0.0-rc92']);
  });
});
