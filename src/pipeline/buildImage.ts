/**
 * The build image of a container build, settled before anything is patched:
 * the candidate references for the target (kube-cross of the release's era,
 * or runc's golang image), made local by the runner, checked for make and go
 * when the user named the image, and recorded for the manifest.
 */
import type { Io } from '../io.js';
import type { TargetName } from './buildTarget.js';
import type { ImageRecord } from '../manifest/manifest.js';
import type { Progress } from '../process/progress.js';
import type { Runner } from './runner.js';

/** What picks and fetches the image. */
export interface BuildImageRequest {
  target: TargetName;
  /** The tree as fetched (read only: its kube-cross VERSION or runc Dockerfile). */
  tree: string;
  /** The release tag, which chooses the kube-cross registry of its era. */
  tag?: string;
  runner: Runner;
  /** `--image`: the only candidate, and checked for make and go. */
  image?: string;
  /** `--registry`: one or more HOST/PATH, tried in order, nothing else. */
  registry?: string;
  progress: Progress;
  io: Io;
}

/**
 * The image record for the manifest, once the image is local (undefined for
 * the local runner). Throws what kubeCross.ts / runcImage.ts throw for a tree
 * that names no image, `image_unavailable` when no candidate can be had and
 * `image_unusable` for an `--image` without make or go.
 */
export async function prepareBuildImage(r: BuildImageRequest): Promise<ImageRecord | undefined> {
  if (!r.runner.prepareImage) return undefined;
  let plan: { candidates: string[]; source: string };
  if (r.target === 'runc') {
    const { readRuncGo, runcImage } = await import('./runcImage.js');
    plan = runcImage({ fromTree: r.image ? undefined : await readRuncGo(r.tree), registry: r.registry, image: r.image });
  } else {
    const { readCrossTag, kubeCrossImage } = await import('./kubeCross.js');
    plan = kubeCrossImage({
      k8sTag: r.tag,
      crossTag: r.image ? undefined : await readCrossTag(r.tree),
      registry: r.registry,
      image: r.image,
    });
  }
  r.progress.note(`image: ${plan.candidates.join(', else ')} (${plan.source})`);
  const got = await r.runner.prepareImage(plan.candidates, {
    checkTools: r.image !== undefined,
    onLine: (line) => r.progress.detail(line),
    signal: r.io.signal,
  });
  if (got.ref !== plan.candidates[0] || got.attempts.some((a) => a.result === 'failed')) {
    r.progress.note(
      `image: using ${got.ref} (${got.attempts.map((a) => `${a.ref}: ${a.result}${a.message ? ` (${a.message})` : ''}`).join('; ')})`,
    );
  }
  return { ref: got.ref, source: plan.source, digest: got.digest, candidates: plan.candidates, attempts: got.attempts };
}
