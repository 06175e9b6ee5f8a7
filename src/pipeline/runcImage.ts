/**
 * Which image builds a runc tree: the official `golang` image of the Go
 * release the tree itself names. Every runc release from rc1 to 1.1 has a
 * Dockerfile whose build stage starts `FROM golang:<version>[-<debian>]`,
 * directly (`FROM golang:1.10.8`) or through a build argument
 * (`ARG GO_VERSION=1.14` ... `FROM golang:${GO_VERSION}-buster`); that line
 * is the one Go version the runc maintainers built the release with (their
 * CI configs list several). Air-gapped users mirror Docker Hub's `library/`
 * and pass `--registry`; `--image` names any image with Go and make.
 */
import path from 'node:path';
import { fail } from '../errors.js';
import { readBounded } from '../readBounded.js';
import { checkImageRef, checkRegistries } from './kubeCross.js';

/** Where a runc tree names its Go. */
export const RUNC_DOCKERFILE = 'Dockerfile';

/** Docker Hub's home of the official images, which `--registry` replaces. */
export const DOCKER_LIBRARY = 'docker.io/library';

/** The golang image a runc tree's Dockerfile builds on. */
export interface RuncGo {
  /** The image tag, e.g. `1.15.15-buster`. */
  tag: string;
  /** The Go version it names, e.g. `1.15.15`. */
  go: string;
  /** The FROM line as written, for the log. */
  line: string;
}

// A Docker tag: letters, digits, `_`, `.`, `-`; at most 128; not starting with `.` or `-`.
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * Reads the golang image tag of the Dockerfile at the root of `tree`;
 * undefined when there is no Dockerfile or no `FROM golang:` line in it.
 */
export async function readRuncGo(tree: string): Promise<RuncGo | undefined> {
  // Only a regular file of a sane size is read (readBounded.ts): a Dockerfile linked to /dev/zero is no Dockerfile.
  const text = await readBounded(path.join(tree, RUNC_DOCKERFILE), { maxBytes: 1 << 20 })
    .then((b) => b.toString('utf8'))
    .catch(() => undefined);
  return text === undefined ? undefined : runcGoOfDockerfile(text);
}

/**
 * The golang image of a Dockerfile's text: the first `FROM` whose image is
 * `golang` (also as `docker.io/library/golang` or `library/golang`), with
 * `${ARG}` / `$ARG` replaced by the defaults of the `ARG` lines above it.
 * Pure, for tests.
 */
export function runcGoOfDockerfile(text: string): RuncGo | undefined {
  const args = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const arg = /^ARG\s+([A-Za-z_][A-Za-z0-9_]*)=("?)([^"\s]*)\2\s*$/i.exec(line);
    if (arg) {
      args.set(arg[1], arg[3]);
      continue;
    }
    const from = /^FROM\s+(?:--platform=\S+\s+)?(\S+)/i.exec(line);
    if (!from) continue;
    const image = from[1].replace(
      /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
      (_m, a?: string, b?: string) => args.get((a ?? b) as string) ?? '\u0000',
    );
    const m = /^(?:(?:docker\.io\/)?library\/)?golang:(\S+)$/.exec(image);
    if (!m || !TAG_RE.test(m[1])) continue;
    const go = /^(\d+\.\d+(?:\.\d+)?)(?:-|$)/.exec(m[1])?.[1];
    if (!go) continue;
    return { tag: m[1], go, line };
  }
  return undefined;
}

/** What picks the image. */
export interface RuncImageChoice {
  /** From {@link readRuncGo}; not needed with `image`. */
  fromTree?: RuncGo;
  /** `--registry HOST/PATH[,HOST/PATH...]`: replaces `docker.io/library`; several are tried in order. */
  registry?: string;
  /** `--image REF`: used as given. */
  image?: string;
}

/**
 * The image references to try: `--image` as given; else
 * `<registry>/golang:<tag>` with the tree's tag, for each `--registry` value
 * in order, or `docker.io/library` alone. Fully qualified, so podman needs no
 * short-name resolution. Throws `runc_image_unknown` when the tree names no
 * golang image.
 *
 * No fallback here, unlike kube-cross: Docker Hub's official images have
 * never moved (`golang` has lived at docker.io/library since runc rc1) and
 * there is no second official home to fall back to; a mirror is the user's
 * to name with `--registry`.
 */
export function runcImage(choice: RuncImageChoice): { ref: string; candidates: string[]; source: string } {
  if (choice.image !== undefined) {
    const ref = checkImageRef(choice.image);
    return { ref, candidates: [ref], source: '--image' };
  }
  const t = choice.fromTree;
  if (!t) {
    return fail('runc_image_unknown', {
      detail: `the tree's ${RUNC_DOCKERFILE} has no \`FROM golang:<version>\` line (or there is no ${RUNC_DOCKERFILE}), so kpatch does not know which Go built this release`,
      hint: 'name the build image with --image REF (e.g. --image docker.io/library/golang:1.10.8), or use --runner local',
    });
  }
  if (choice.registry !== undefined) {
    const registries = checkRegistries(choice.registry);
    const candidates = registries.map((r) => `${r}/golang:${t.tag}`);
    return { ref: candidates[0], candidates, source: `--registry ${registries.join(',')} with the tree's ${RUNC_DOCKERFILE} (${t.line})` };
  }
  const ref = `${DOCKER_LIBRARY}/golang:${t.tag}`;
  return { ref, candidates: [ref], source: `the tree's ${RUNC_DOCKERFILE} (${t.line})` };
}
