/**
 * The contract between the pipeline (buildRelease.ts) and a target's make
 * runner (runKubeletMake.ts, runRuncMake.ts): what a make run is given and
 * what it reports, plus the small facts about a Go tree both runners read.
 * Its own module so neither runner imports the pipeline or the other runner.
 */
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { fail } from '../errors.js';
import type { Io } from '../io.js';
import type { ImageRecord } from '../manifest/manifest.js';
import type { Progress } from '../process/progress.js';
import type { CommitFacts } from '../source/commitFacts.js';
import type { BuildLog } from './buildLog.js';
import { tailDetail } from './buildLog.js';
import type { BuildOutcome, BuildRequest } from './runner.js';
import type { ChosenRunner } from './runners/chooseRunner.js';

/** The part of the user's build options a make run reads. */
export interface MakeOptions {
  /** The runner, chosen before anything is fetched so a missing engine or Go is said at once. */
  runner: ChosenRunner;
  /** `os/arch` pairs. */
  platforms: string[];
  /** kpatch's cache folder: build caches and logs live under it. */
  cacheDir: string;
  /** runc: `--buildtags`, replacing runc's default BUILDTAGS (`seccomp`); the mode's tag is added to it. */
  buildtags?: string[];
}

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
  /** Where each platform's binary is (`os/arch` → path), when not where the target's `builtBinary` says. */
  binaries?: Record<string, string>;
  /** Removes what the run left outside the tree (the binaries above), once they are collected. */
  dispose?(): Promise<void>;
}

/** Inputs of one make run. */
export interface MakeRequest {
  tree: string;
  opts: MakeOptions;
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

/** A target's make runner. */
export type MakeRunner = (r: MakeRequest) => Promise<MakeRun>;

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

/** One make run's own part of a runner request; the rest is the same for every target. */
export type MakeStep = Omit<BuildRequest, 'cacheDir' | 'image' | 'signal' | 'onLine'>;

/**
 * Runs one make through the request's runner: output into the build log and
 * the progress display, the persistent build cache of that runner, the image
 * (whose digest is recorded once the engine reports it). Throws
 * `interrupted` on Ctrl-C and `build_failed` with the log's tail (and
 * `hint(tail)`, when given) when make exits non-zero.
 */
export async function runLoggedMake(
  r: MakeRequest,
  log: BuildLog,
  step: MakeStep,
  image: ImageRecord | undefined,
  failedWhere: string,
  hint?: (tail: string[]) => string,
): Promise<BuildOutcome> {
  const runner = r.opts.runner;
  const outcome = await runner
    .build({
      ...step,
      cacheDir: path.join(r.opts.cacheDir, 'build', runner.name),
      image: image?.ref,
      signal: log.signal,
      onLine(line: string) {
        log.write(line);
        r.progress.detail(line);
      },
    })
    .catch(log.rethrow);
  if (image && outcome.imageDigest) image.digest = outcome.imageDigest;
  if (r.io.signal?.aborted) fail('interrupted');
  await log.check();
  if (outcome.exitCode !== 0) {
    fail('build_failed', {
      where: `${failedWhere} exited with ${outcome.exitCode}`,
      detail: tailDetail(log.tail()) + (hint?.(log.tail()) ?? ''),
    });
  }
  return outcome;
}
