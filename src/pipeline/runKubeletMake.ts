/**
 * Running Kubernetes' make for the kubelet through the chosen runner: the
 * version file and SOURCE_DATE_EPOCH that keep the stamp clean, the image of
 * the tree's era for container runners, the full log, and the log's tail when
 * make fails.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { fail } from '../errors.js';
import type { Io } from '../io.js';
import type { BuildOptions } from './buildRelease.js';
import type { CommitFacts } from '../source/commitFacts.js';
import type { Progress } from '../process/progress.js';
import { openBuildLog, tailDetail } from './buildLog.js';
import type { ImageRecord } from '../manifest/manifest.js';
import { kubeVersionFile } from './versionStamp.js';


/** What the manifest needs to know about the run. */
export interface MakeRun {
  runner: string;
  command: string[];
  /** GOFLAGS the build ran with, when kpatch set it (a build tag). */
  goflags?: string;
  image?: ImageRecord;
  /** The Go version a built binary was compiled with. */
  goVersion(binary: string): Promise<string | undefined>;
  /** runc: the BUILDTAGS make ran with. */
  buildtags?: string;
  /** Every make command line, when there was more than one (runc: one make per platform). */
  commands?: string[][];
  /** Where each platform's binary is (`os/arch` → path), when not in the tree's usual output folder. */
  binaries?: Record<string, string>;
  /** Removes what the run left outside the tree (the binaries above), once they are collected. */
  dispose?(): Promise<void>;
}

/** Inputs of one make run. */
export interface MakeRequest {
  tree: string;
  opts: BuildOptions;
  commit: CommitFacts;
  version: string;
  logPath: string;
  io: Io;
  progress: Progress;
  /** A Go build tag the build must compile with (`nokmem`): added to GOFLAGS, the user's own GOFLAGS kept. */
  buildTag?: string;
  /** Container runners: the image, made local before anything was patched (buildImage.ts). */
  image?: ImageRecord;
}

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
  await writeFile(versionFile, kubeVersionFile({ tag: r.commit.tag ?? r.version, commit: r.commit.sha ?? 'unknown', version: r.version, treeState: r.commit.treeState }));

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
    const outcome = await runner.build({
      tree: r.tree,
      makeArgs: ['WHAT=cmd/kubelet', `KUBE_BUILD_PLATFORMS=${r.opts.platforms.join(' ')}`],
      env,
      mounts: [{ host: stampDir, container: '/kpatch/stamp' }],
      cacheDir: path.join(r.opts.cacheDir, 'build', runner.name),
      // hack/lib/golang.sh of 1.14 and later exports GOCACHE="${KUBE_GOPATH}/cache", i.e. here.
      treeGoCache: KUBE_TREE_GOCACHE,
      // Up to 1.14 (no go.mod) the harness makes its own GOPATH but expects GOPATH mode from Go.
      gopath: (await hasGoMod(r.tree)) ? undefined : 'harness',
      image: image?.ref,
      signal: log.signal,
      onLine(line: string) {
        log.write(line);
        r.progress.detail(line);
      },
    }).catch(log.rethrow);
    if (image && outcome.imageDigest) image.digest = outcome.imageDigest;
    if (r.io.signal?.aborted) fail('interrupted');
    await log.check();
    if (outcome.exitCode !== 0) {
      fail('build_failed', { where: `make exited with ${outcome.exitCode}`, detail: tailDetail(log.tail()) });
    }
    return { runner: runner.name, command: outcome.command, goflags: env.GOFLAGS, image, goVersion: (bin) => binaryGoVersion(bin, r.io) };
  } finally {
    await log.close();
    await rm(stampDir, { recursive: true, force: true });
  }
}

/** Where Kubernetes' harness (1.14 and later) puts its Go build cache, relative to the tree. */
export const KUBE_TREE_GOCACHE = '_output/local/go/cache';

/**
 * Whether the tree is a Go module (has go.mod at its root). A tree without
 * one is of the GOPATH era (Kubernetes up to 1.14, runc up to rc5): Go 1.16
 * and later build it only with GO111MODULE=off.
 */
export async function hasGoMod(tree: string): Promise<boolean> {
  return (await stat(path.join(tree, 'go.mod')).catch(() => undefined))?.isFile() ?? false;
}

/**
 * The Go version a binary was built with: `go version FILE` when the host has
 * Go (it reads the build info), else the `go1.x.y` string the runtime embeds.
 */
export async function binaryGoVersion(binary: string, io: Io): Promise<string | undefined> {
  try {
    const { stdout } = await promisify(execFile)('go', ['version', binary], { env: { ...io.env } as NodeJS.ProcessEnv, encoding: 'utf8' });
    const m = /: (go[\d.]+\S*)/.exec(stdout);
    if (m) return m[1];
  } catch {
    // no host Go: fall through
  }
  const m = /go1\.\d+(\.\d+)?/.exec((await readFile(binary)).toString('latin1'));
  return m?.[0];
}
