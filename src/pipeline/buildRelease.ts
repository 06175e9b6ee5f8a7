/**
 * The build pipeline behind `kpatch build`: patch the tree, write the
 * reviewable patch, run the target's make (Kubernetes' for the kubelet,
 * runc's own for runc: buildTarget.ts) through a runner with a clean version
 * stamp, collect the binaries, and write checksums and the manifest, all
 * into a staged folder that becomes `--out` only when everything worked.
 *
 * A `--src` checkout is never built in place: the pipeline works on a private
 * copy of it (privateCopy.ts), while the version facts (tag, commit, tree
 * state) come from the checkout's own git.
 */
import { copyFile, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { SourceTree } from '../source/openSource.js';
import type { ChosenRunner } from './runners/chooseRunner.js';
import { fail, KpatchError } from '../errors.js';
import { loadTargets } from '../engine/loadTargets.js';
import type { ScanReport } from '../engine/recipe.js';
import { writeRewrite } from '../rewrite/prepareRewrite.js';
import type { Io } from '../io.js';
import { DEFAULT_RECIPE } from '../recipes.js';
import { KPATCH_VERSION } from '../version.js';
import { rewrite } from '../engine/rewrite.js';
import { chooseMode, unchangedMode } from './chooseMode.js';
import { binaryVerification, noneVerification, sourceVerification } from '../manifest/verification.js';
import { sha256File, sha256Sums, sha256Text, SUMS_FILE } from '../manifest/checksums.js';
import { patchFileName, renderPatch, useReviewedPatch, type ReviewedBuild } from '../patchfile/reviewedPatch.js';
import { pairSites, MANIFEST_SCHEMA_VERSION, type Manifest } from '../manifest/manifest.js';
import type { Progress } from '../process/progress.js';
import { outputWriteError, stageOutput } from './stagedOutput.js';
import { describeCheckout, describeCommit, type CheckoutFacts, type CommitFacts } from '../source/commitFacts.js';
import { copyCheckout, type PrivateCopy } from './privateCopy.js';
import { carriedFix } from './carriedFix.js';
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
  /** Whether `--mode` was given (flag or settings file), not the default: a fix the tree carries must then match it. */
  modeTyped?: boolean;
  /** `--src`: the checkout's facts and scan, when the command already read them (checkSrcCheckout). */
  checkout?: SrcCheckout;
}

/** What checkSrcCheckout read from a `--src` checkout. */
export interface SrcCheckout {
  facts: CheckoutFacts;
  /** The checkout's own scan: a tree that needs nothing is said so without copying it. */
  report: ScanReport;
}

/**
 * `--src`: reads the checkout's facts (tag, commit, tree state, a fix it
 * already carries) from its own git, and refuses, as a usage error before any
 * stage starts, a checkout that is not at a release tag when no
 * `--version-string` names the version.
 */
export async function checkSrcCheckout(root: string, versionString: string | undefined, target: BuildTarget, signal?: AbortSignal): Promise<SrcCheckout> {
  const report = DEFAULT_RECIPE.scan((await loadTargets(root, DEFAULT_RECIPE)).files);
  if (signal?.aborted) fail('interrupted');
  const facts = await describeCheckout(root, [...new Set(report.markers.map((m) => m.file))]);
  if (!facts.tag && !versionString) {
    fail('usage', {
      where: `--src ${root}`,
      detail: `the checkout is not at a release tag${facts.sha ? ` (HEAD is ${facts.sha.slice(0, 12)})` : ' (not a git checkout)'}, so kpatch cannot name the version; check out the tag, or give --version-string (e.g. ${target.defaultVersion(target.name === 'runc' ? 'v1.0.0-rc5' : 'v1.12.4', 'guard')})`,
    });
  }
  return { facts, report };
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
  // --src: the private copy everything happens in; removed after success, failure or Ctrl-C.
  let copy: PrivateCopy | undefined;
  try {
    const checkAbort = () => {
      if (io.signal?.aborted) fail('interrupted');
    };
    const fromCheckout = !source.tag;
    const checkout = fromCheckout ? (opts.checkout ?? (await checkSrcCheckout(source.root, opts.versionString, target, io.signal))) : undefined;
    const commit: CheckoutFacts = checkout?.facts ?? (await describeCommit(source));
    if (!commit.tag && !opts.versionString) fail('usage', { where: `--src ${source.root}`, detail: 'the checkout is not at a release tag; give --version-string' });
    if (checkout?.report.verdict === 'not-affected' && !opts.buildAnyway) {
      // Nothing to build: said without copying a tree of hundreds of megabytes first.
      await staged.discard();
      return { built: false, report: checkout.report };
    }
    let tree = source.root;
    if (fromCheckout) {
      progress.step('copy');
      // The artifact folder may sit inside the checkout: never copy it (or its staged twin) into the build.
      copy = await copyCheckout(source.root, opts.cacheDir, { skip: [opts.out, staged.dir], signal: io.signal });
      tree = copy.root;
      progress.note(`building in a private copy of ${source.root}: ${tree} (the checkout is not changed)`);
      if (commit.treeState === 'dirty') progress.note(`warning: the checkout has changes besides kpatch's fix (${commit.changes!.join(', ')}${commit.changes!.length >= 20 ? ', ...' : ''}): they are built in, and the version stamp says the tree was dirty`);
    }
    progress.step('patch');
    // Scan first and rewrite only for an edit mode: a build tag needs no source change,
    // and a tree it suits must not be refused for a call shape only the rewriter minds.
    const { files, symlinks } = await loadTargets(tree, DEFAULT_RECIPE);
    const report = DEFAULT_RECIPE.scan(files);
    // A tree that already carries kpatch's fix (patched in place, or a committed reviewed patch) is built as that fix.
    const carried = fromCheckout && report.verdict === 'patched' && !opts.buildAnyway ? await carriedFix(report, files, commit, source.root) : undefined;
    if (carried && opts.modeTyped && opts.mode !== 'auto' && opts.mode !== carried.chosen.mode) {
      fail('usage', { where: `--mode ${opts.mode} on --src ${source.root}`, detail: `${carried.chosen.reason}; the modes differ: restore the files from the tag to build another mode, or drop --mode` });
    }
    if (carried && opts.patchFile) {
      fail('usage', { where: `--patch ${opts.patchFile}`, detail: `${carried.chosen.reason}; a reviewed patch would be a second fix on top: drop --patch` });
    }
    if (report.verdict !== 'affected' && !carried && !opts.buildAnyway) {
      await staged.discard();
      return { built: false, report };
    }
    const checkDirty = fromCheckout && !opts.allowDirty;
    // The image before the patch: one that cannot be had, or lacks make or go, stops the build with nothing changed.
    const image = await prepareBuildImage({ target: target.name, tree, tag: commit.tag, runner: opts.runner, image: opts.image, registry: opts.registry, progress, io });
    checkAbort();
    // A reviewed patch replaces the generated one: applied with git, checked, before any make.
    if (checkDirty && opts.patchFile && report.verdict === 'affected') refuseDirty(commit, await patchPaths(opts.patchFile), 'the reviewed patch', target);
    const reviewed = opts.patchFile && report.verdict === 'affected' ? await useReviewedPatch(tree, opts.patchFile, { checkDirty: false }, io) : undefined;
    const chosen = reviewed
      ? { requested: opts.mode, mode: reviewed.mode, tagFiles: [], versionMode: reviewed.mode, reason: reviewed.reason }
      : carried
        ? carried.chosen
        : report.verdict === 'affected' ? chooseMode(DEFAULT_RECIPE, files, report, opts.mode, commit.tag ?? source.root, target.modeWords) : unchangedMode(report, opts.mode);
    progress.note(`mode: ${chosen.mode} (${chosen.reason})`);
    const edits = !chosen.tag && chosen.mode !== 'none' && !carried;
    const planned = edits && !reviewed ? rewrite(files, report, DEFAULT_RECIPE, chosen.mode) : [];
    const changes = carried?.changes ?? reviewed?.applied.changes ?? planned;
    if (planned.length) {
      if (checkDirty) refuseDirty(commit, planned.map((c) => c.path), "kpatch's fix", target);
      await writeRewrite(tree, symlinks, planned, { checkDirty: false, what: 'build --src patches its private copy', signal: io.signal });
    }
    const after = changes.length && !carried ? DEFAULT_RECIPE.scan((await loadTargets(tree, DEFAULT_RECIPE)).files) : report;
    if (edits && after.verdict === 'affected') fail('internal', { detail: 'the tree is still affected after patching' });
    const patch = reviewed
      ? await keepReviewedPatch(staged.dir, reviewed, report.recipe)
      : changes.length ? await writePatch(staged.dir, changes, carried ? carried.before : report, chosen.mode, commit) : undefined;
    checkAbort();

    progress.step('build');
    const version = opts.versionString ?? target.defaultVersion(commit.tag!, chosen.versionMode);
    const logPath = path.join(staged.dir, 'build.log');
    const runMake = await target.loadMake();
    // Only a binary this make wrote counts: a --src copy has no _output/ and a --k8s tree is new,
    // and a kubelet older than this moment is refused below all the same.
    const makeStarted = Date.now();
    const made = await runMake({ tree, opts, commit, version, logPath, io, progress, buildTag: chosen.tag?.name, image });
    dispose = made.dispose;
    checkAbort();

    progress.step('collect');
    const artifacts = [];
    for (const platform of opts.platforms) {
      const [os, arch] = platform.split('/');
      const built = made.binaries?.[platform] ?? path.join(tree, '_output/local/bin', os, arch, 'kubelet');
      const rel = `${os}-${arch}/${target.binary}`;
      const st = await stat(built).catch(() => undefined);
      if (!st?.isFile()) {
        fail('artifact_missing', { where: built, detail: `platform ${platform}: make exited 0 but wrote no ${target.binary} there; full log: ${logPath}` });
      }
      if (!made.binaries?.[platform] && st.mtimeMs < makeStarted - MTIME_SLACK_MS) {
        fail('artifact_missing', { where: built, detail: `platform ${platform}: the ${target.binary} there is older than this make (${st.mtime.toISOString()}), so this make did not write it; full log: ${logPath}` });
      }
      await mkdir(path.join(staged.dir, `${os}-${arch}`), { recursive: true });
      await copyFile(built, path.join(staged.dir, rel));
      const copied = await stat(path.join(staged.dir, rel));
      artifacts.push({ path: rel, platform, sha256: await sha256File(path.join(staged.dir, rel)), size: copied.size });
    }
    await dispose?.();
    progress.step('verify');
    const proven = chosen.tag
      ? { verification: await binaryVerification(chosen.tag.name, chosen.tag.proofStrings(files), artifacts.map((a) => ({ path: a.path, abs: path.join(staged.dir, a.path) })), io.env, target.binary, chosen.tag.proofStringsByCopy(files, report)), patchedFiles: [] }
      : chosen.mode === 'none'
        ? { verification: noneVerification(report), patchedFiles: [] }
        : await sourceVerification(tree, changes);
    const manifest: Manifest = {
      schemaVersion: MANIFEST_SCHEMA_VERSION,
      kpatchVersion: KPATCH_VERSION,
      target: target.name,
      source: { repo: source.repo, tag: commit.tag, commit: commit.sha, path: fromCheckout ? source.root : undefined, treeState: commit.treeState, fixCommittedOn: commit.fixCommittedOn },
      recipe: report.recipe,
      mode: chosen.mode,
      modeRequested: chosen.requested,
      modeReason: chosen.reason,
      verdictBefore: carried ? carried.before.verdict : report.verdict,
      verdictAfter: after.verdict,
      sites: carried ? pairSites(carried.before, report, chosen.mode) : pairSites(report, after, chosen.mode),
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
  } finally {
    await copy?.remove();
  }
}

/**
 * The private copy is kpatch's, but a binary built from target files with
 * uncommitted edits would be named after the release and the fix while
 * carrying those edits: refused unless --allow-dirty. Read from the
 * checkout's `git status` (CheckoutFacts), which never rewrites its index.
 */
function refuseDirty(commit: CheckoutFacts, paths: string[], what: string, target: BuildTarget): void {
  const changed = new Set(commit.changed ?? []);
  const dirty = paths.filter((p) => changed.has(p));
  if (dirty.length) {
    fail('dirty_files', { where: dirty.join(', '), detail: `build --src would build these uncommitted edits, with ${what}, into a ${target.binary} named after the release; commit them first, or give --allow-dirty; nothing was built and the checkout was not changed` });
  }
}

/** The files a patch file changes (`diff --git a/... b/...` lines). */
async function patchPaths(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return [...text.matchAll(/^diff --git a\/(\S+) b\/(\S+)$/gm)].map((m) => m[2]);
}

// File systems with coarse timestamps (2 s on FAT-like mounts) may date a fresh binary slightly before make started.
const MTIME_SLACK_MS = 2000;

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
