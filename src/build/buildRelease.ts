/**
 * The build pipeline behind `kpatch build`: patch the tree, write the
 * reviewable patch, run the target's make (Kubernetes' for the kubelet,
 * runc's own for runc: buildTarget.ts) through a runner with a clean version
 * stamp, collect the binaries, and write checksums and the manifest, all
 * into a staged folder that becomes `--out` only when everything worked.
 */
import { copyFile, mkdir, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { SourceTree } from '../commands/sourceOptions.js';
import type { ChosenRunner } from './runners/chooseRunner.js';
import { fail, KpatchError } from '../errors.js';
import { loadTargets } from '../engine/loadTargets.js';
import type { ScanReport } from '../engine/recipe.js';
import { writeRewrite } from '../commands/prepareRewrite.js';
import type { Io } from '../io.js';
import { DEFAULT_RECIPE } from '../recipes.js';
import { KPATCH_VERSION } from '../version.js';
import { rewrite } from '../engine/rewrite.js';
import { chooseMode, unchangedMode } from './chooseMode.js';
import { binaryVerification, noneVerification, sourceVerification } from './verification.js';
import { sha256File, sha256Sums, sha256Text, SUMS_FILE } from './checksums.js';
import { patchFileName, renderPatch, useReviewedPatch, type ReviewedBuild } from './reviewedPatch.js';
import { pairSites, MANIFEST_SCHEMA_VERSION, type Manifest } from './manifest.js';
import type { Progress } from './progress.js';
import { outputWriteError, stageOutput } from './stagedOutput.js';
import { describeCommit, type CommitFacts } from './commitFacts.js';
import { KUBELET_TARGET, type BuildTarget } from './buildTarget.js';
import { prepareBuildImage } from './buildImage.js';

/** What the user asked for. */
export interface BuildOptions {
  mode: string;
  /** The runner, chosen before anything is fetched so a missing engine or Go is said at once. */
  runner: ChosenRunner;
  /** `os/arch` pairs. */
  platforms: string[];
  image?: string;
  registry?: string;
  out: string;
  force: boolean;
  versionString?: string;
  allowDirty: boolean;
  /** Build a tree that needs nothing (not-affected or already patched) as it is. */
  buildAnyway?: boolean;
  /** kpatch's cache folder: build caches and logs live under it. */
  cacheDir: string;
  /** A reviewed patch (absolute path) to apply with git instead of generating one (`--patch`). */
  patchFile?: string;
  /** What is built: the kubelet (default) or runc (buildTarget.ts). */
  target?: BuildTarget;
  /** runc: `--buildtags`, replacing runc's default BUILDTAGS (`seccomp`); the mode's tag is added to it. */
  buildtags?: string[];
}

/** The result: a manifest of what was built, or the scan that says nothing needs building. */
export type BuildResult = { built: true; out: string; manifest: Manifest } | { built: false; report: ScanReport };

/** Runs the pipeline on an opened source tree. */
export async function buildRelease(source: SourceTree, opts: BuildOptions, io: Io, progress: Progress): Promise<BuildResult> {
  const startedAt = new Date().toISOString();
  const target = opts.target ?? KUBELET_TARGET;
  const staged = await stageOutput(opts.out, opts.force);
  // Binaries a make left outside the tree (runc's, one per platform), removed once collected or on failure.
  let dispose: (() => Promise<void>) | undefined;
  try {
    const checkAbort = () => {
      if (io.signal?.aborted) fail('interrupted');
    };
    progress.step('patch');
    const commit = await describeCommit(source);
    if (!commit.tag && !opts.versionString) {
      fail('usage', { where: `--src ${source.root}`, detail: `the checkout is not at a release tag, so kpatch cannot name the version; give --version-string (e.g. ${target.defaultVersion(target.name === 'runc' ? 'v1.0.0-rc5' : 'v1.12.4', 'guard')})` });
    }
    // Scan first and rewrite only for an edit mode: a build tag needs no source change,
    // and a tree it suits must not be refused for a call shape only the rewriter minds.
    const { files, symlinks } = await loadTargets(source.root, DEFAULT_RECIPE);
    const report = DEFAULT_RECIPE.scan(files);
    if (report.verdict !== 'affected' && !opts.buildAnyway) {
      await staged.discard();
      return { built: false, report };
    }
    // The image before the patch: one that cannot be had, or lacks make or go, stops the build with nothing changed.
    const image = await prepareBuildImage({ target: target.name, tree: source.root, tag: commit.tag, runner: opts.runner, image: opts.image, registry: opts.registry, progress, io });
    checkAbort();
    // A reviewed patch replaces the generated one: applied with git, checked, before any make.
    const reviewed = opts.patchFile && report.verdict === 'affected' ? await useReviewedPatch(source.root, opts.patchFile, { checkDirty: !source.tag && !opts.allowDirty }, io) : undefined;
    const chosen = reviewed
      ? { requested: opts.mode, mode: reviewed.mode, tagFiles: [], versionMode: reviewed.mode, reason: reviewed.reason }
      : report.verdict === 'affected' ? chooseMode(DEFAULT_RECIPE, files, report, opts.mode, commit.tag ?? source.root, target.modeWords) : unchangedMode(report, opts.mode);
    progress.note(`mode: ${chosen.mode} (${chosen.reason})`);
    const edits = !chosen.tag && chosen.mode !== 'none';
    const changes = reviewed?.applied.changes ?? (edits ? rewrite(files, report, DEFAULT_RECIPE, chosen.mode) : []);
    if (changes.length && !reviewed) {
      await writeRewrite(source.root, symlinks, changes, { checkDirty: !source.tag && !opts.allowDirty, what: 'build --src patches the tree in place', signal: io.signal });
    }
    const after = changes.length ? DEFAULT_RECIPE.scan((await loadTargets(source.root, DEFAULT_RECIPE)).files) : report;
    if (edits && after.verdict === 'affected') fail('internal', { detail: 'the tree is still affected after patching' });
    const patch = reviewed
      ? await keepReviewedPatch(staged.dir, reviewed, report.recipe)
      : changes.length ? await writePatch(staged.dir, changes, report, chosen.mode, commit) : undefined;
    checkAbort();

    progress.step('build');
    const version = opts.versionString ?? target.defaultVersion(commit.tag!, chosen.versionMode);
    const logPath = path.join(staged.dir, 'build.log');
    const runMake = await target.loadMake();
    const made = await runMake({ tree: source.root, opts, commit, version, logPath, io, progress, buildTag: chosen.tag?.name, image });
    dispose = made.dispose;
    checkAbort();

    progress.step('collect');
    const artifacts = [];
    for (const platform of opts.platforms) {
      const [os, arch] = platform.split('/');
      const built = made.binaries?.[platform] ?? path.join(source.root, '_output/local/bin', os, arch, 'kubelet');
      const rel = `${os}-${arch}/${target.binary}`;
      if (!(await stat(built).catch(() => undefined))?.isFile()) {
        fail('artifact_missing', { where: built, detail: `platform ${platform}; full log: ${logPath}` });
      }
      await mkdir(path.join(staged.dir, `${os}-${arch}`), { recursive: true });
      await copyFile(built, path.join(staged.dir, rel));
      const st = await stat(path.join(staged.dir, rel));
      artifacts.push({ path: rel, platform, sha256: await sha256File(path.join(staged.dir, rel)), size: st.size });
    }
    await dispose?.();
    progress.step('verify');
    const proven = chosen.tag
      ? { verification: await binaryVerification(chosen.tag.name, chosen.tag.proofStrings(files), artifacts.map((a) => ({ path: a.path, abs: path.join(staged.dir, a.path) })), io.env, target.binary), patchedFiles: [] }
      : chosen.mode === 'none'
        ? { verification: noneVerification(report), patchedFiles: [] }
        : await sourceVerification(source.root, changes);
    const manifest: Manifest = {
      schemaVersion: MANIFEST_SCHEMA_VERSION,
      kpatchVersion: KPATCH_VERSION,
      target: target.name,
      source: { repo: source.repo, tag: commit.tag, commit: commit.sha, path: source.tag ? undefined : source.root },
      recipe: report.recipe,
      mode: chosen.mode,
      modeRequested: chosen.requested,
      modeReason: chosen.reason,
      verdictBefore: report.verdict,
      verdictAfter: after.verdict,
      sites: pairSites(report, after, chosen.mode),
      patch,
      patchedFiles: proven.patchedFiles,
      runner: made.runner,
      command: made.command,
      commands: made.commands,
      goflags: made.goflags,
      buildtags: made.buildtags,
      image: made.image,
      goVersion: await made.goVersion(path.join(staged.dir, artifacts[0].path)),
      platforms: opts.platforms,
      versionString: version,
      sourceDateEpoch: commit.time,
      artifacts,
      startedAt,
      finishedAt: new Date().toISOString(),
      verification: proven.verification,
    };
    await writeFile(path.join(staged.dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    await writeFile(path.join(staged.dir, SUMS_FILE), await sha256Sums(staged.dir));
    checkAbort();
    await staged.commit();
    progress.end(true);
    return { built: true, out: opts.out, manifest };
  } catch (e) {
    progress.end(false);
    await dispose?.();
    const log = await keepFailedLog(staged.dir, opts.cacheDir);
    await staged.discard();
    const unwritable = await outputWriteError(e, staged);
    if (unwritable) throw unwritable;
    if (log && e instanceof KpatchError && e.id === 'build_failed') {
      throw new KpatchError('build_failed', { where: e.where, detail: `${e.detail ?? ''}\nfull log: ${log}` });
    }
    throw e;
  }
}

/** Writes `patches/0001-<recipe>-<mode>.patch` in git format-patch form; returns its path and sha256. */
async function writePatch(
  dir: string,
  changes: { path: string; before: string; after: string }[],
  report: ScanReport,
  mode: string,
  commit: CommitFacts,
): Promise<{ path: string; sha256: string }> {
  // The same text `kpatch diff --write` files for review (reviewedPatch.ts).
  const text = await renderPatch(changes, report, mode, commit);
  const rel = `patches/${patchFileName(report.recipe, mode)}`;
  await mkdir(path.join(dir, 'patches'), { recursive: true });
  await writeFile(path.join(dir, rel), text);
  return { path: rel, sha256: sha256Text(text) };
}

/** Copies the reviewed patch, byte for byte, to where a generated one would be; records where it came from. */
async function keepReviewedPatch(dir: string, r: ReviewedBuild, recipe: string): Promise<{ path: string; sha256: string; reviewedFrom: string }> {
  const rel = `patches/${patchFileName(recipe, r.mode)}`;
  await mkdir(path.join(dir, 'patches'), { recursive: true });
  await writeFile(path.join(dir, rel), r.applied.text);
  return { path: rel, sha256: r.applied.sha256, reviewedFrom: r.file };
}

/**
 * A failed build's log must outlive the staged folder: move it under the
 * cache's logs/ and name it in the error, so the user can read all of it.
 */
async function keepFailedLog(stagedDir: string, cacheDir: string): Promise<string | undefined> {
  const log = path.join(stagedDir, 'build.log');
  if (!(await stat(log).catch(() => undefined))) return undefined;
  const dest = path.join(cacheDir, 'logs', `build-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
  try {
    await mkdir(path.dirname(dest), { recursive: true });
    await rename(log, dest).catch(async () => {
      await copyFile(log, dest);
    });
    return dest;
  } catch {
    // The error itself matters more than the log's new home.
    return undefined;
  }
}
