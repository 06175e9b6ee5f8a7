/**
 * Running Kubernetes' make for the kubelet through the chosen runner: the
 * version file and SOURCE_DATE_EPOCH that keep the stamp clean, the image of
 * the tree's era for container runners, the full log, and the log's tail when
 * make fails.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fail } from '../errors.js';
import { openBuildLog } from './buildLog.js';
import { binaryGoVersion, hasGoMod, runLoggedMake, type MakeRequest, type MakeRun } from './makeContract.js';
import { kubeVersionFile } from './versionStamp.js';

/** Runs make through the chosen runner (in the image settled before patching), and throws `build_failed` with the log's tail on failure. */
export async function runKubeletMake(r: MakeRequest): Promise<MakeRun> {
  const runner = r.opts.runner;
  r.progress.note(`runner: ${runner.name} (${runner.reason})`);

  const image = r.image && { ...r.image };
  if (runner.name !== 'local') {
    if (!image) fail('internal', { detail: `the ${runner.name} runner was given no image` });
  } else {
    const { readCrossTag } = await import('./kubeCross.js');
    const { hostGoVersion, goVersionWarning } = await import('./runners/localRunner.js');
    const crossTag = await readCrossTag(r.tree).catch(() => undefined);
    const warning = goVersionWarning(await hostGoVersion(r.io.env), crossTag);
    if (warning) r.progress.note(`warning: ${warning}`);
  }

  // The version file lives outside the tree, so the tree stays exactly the patched tag.
  const stampDir = path.join(r.opts.cacheDir, 'tmp', `stamp-${randomBytes(4).toString('hex')}`);
  await mkdir(stampDir, { recursive: true });
  const versionFile = path.join(stampDir, 'version.env');
  await writeFile(
    versionFile,
    kubeVersionFile({
      tag: r.commit.tag ?? r.version,
      commit: r.commit.sha ?? 'unknown',
      version: r.version,
      treeState: r.commit.treeState,
    }),
  );

  const log = openBuildLog(r.logPath, r.io.signal);
  try {
    const env: Record<string, string> = { KUBE_GIT_VERSION_FILE: versionFile };
    if (r.commit.time !== undefined) env.SOURCE_DATE_EPOCH = String(r.commit.time);
    if (r.buildTag) {
      // GOFLAGS, not BUILDTAGS: Go reads it itself and Kubernetes' harness keeps it (BUILDTAGS is runc's, ignored here).
      const { goflagsWithTag } = await import('./goFlags.js');
      env.GOFLAGS = goflagsWithTag(r.io.env.GOFLAGS, r.buildTag);
      r.progress.note(`GOFLAGS=${env.GOFLAGS}`);
    }
    const outcome = await runLoggedMake(
      r,
      log,
      {
        tree: r.tree,
        makeArgs: ['WHAT=cmd/kubelet', `KUBE_BUILD_PLATFORMS=${r.opts.platforms.join(' ')}`],
        env,
        mounts: [{ host: stampDir, container: '/kpatch/stamp' }],
        // hack/lib/golang.sh of 1.14 and later exports GOCACHE="${KUBE_GOPATH}/cache", i.e. here.
        treeGoCache: KUBE_TREE_GOCACHE,
        // Up to 1.14 (no go.mod) the harness makes its own GOPATH but expects GOPATH mode from Go.
        gopath: (await hasGoMod(r.tree)) ? undefined : 'harness',
      },
      image,
      'make',
    );
    return { runner: runner.name, command: outcome.command, goflags: env.GOFLAGS, image, goVersion: (bin) => binaryGoVersion(bin, r.io) };
  } finally {
    await log.close();
    await rm(stampDir, { recursive: true, force: true });
  }
}

/** Where Kubernetes' harness (1.14 and later) puts its Go build cache, relative to the tree. */
export const KUBE_TREE_GOCACHE = '_output/local/go/cache';
