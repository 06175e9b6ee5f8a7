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
import path from 'node:path';
import type { SourceTree } from '../source/openSource.js';
import { fail, KpatchError } from '../errors.js';
import { loadTargets } from '../engine/loadTargets.js';
import type { ScanReport } from '../engine/recipe.js';
import { writeRewrite } from '../rewrite/prepareRewrite.js';
import type { Io } from '../io.js';
import { DEFAULT_RECIPE } from '../recipes.js';
import { KPATCH_VERSION } from '../version.js';
import { rewrite } from '../engine/rewrite.js';
import { appliedMode, chooseMode, sameFix, unchangedMode } from './chooseMode.js';
import { fixMode, type Fix } from '../rewrite/fix.js';
import { binaryVerification, noneVerification, sourceVerification } from '../manifest/verification.js';
import { useReviewedPatch, type ReviewedBuild } from '../patchfile/reviewedPatch.js';
import type { SigningKey } from '../manifest/signature.js';
import type { PackagingRequest } from '../package/writePackages.js';
import { pairSites, MANIFEST_SCHEMA_VERSION, type Manifest } from '../manifest/manifest.js';
import type { Progress } from '../process/progress.js';
import { outputWriteError, stageOutput } from './stagedOutput.js';
import { describeCommit, type CheckoutFacts } from '../source/commitFacts.js';
import { copyCheckout, type PrivateCopy } from './privateCopy.js';
import { carriedFix } from './carriedFix.js';
import { KUBELET_TARGET, type BuildTarget } from './buildTarget.js';
import { prepareBuildImage } from './buildImage.js';
import type { MakeOptions } from './makeContract.js';
import { collectArtifacts, keepReviewedPatch, writeManifest, writePatch } from './collectArtifacts.js';
import { keepFailedLog } from './buildLog.js';
import type { ChosenMode } from './chooseMode.js';
import type { CarriedFix } from './carriedFix.js';
import type { GoFile } from '../engine/sourceFile.js';
import type { FileChange } from '../engine/diff.js';
import type { ImageRecord } from '../manifest/manifest.js';
import { checkSrcCheckout, patchFilePaths, refuseDirty, type SrcCheckout } from './srcCheckout.js';

/** What the user asked for (runner, platforms, cache folder and runc's tags: makeContract.ts). */
export interface BuildOptions extends MakeOptions {
  /** The fix asked for (`--mode`, parsed once by the command). */
  fix: Fix;
  image?: string;
  registry?: string;
  out: string;
  force: boolean;
  versionString?: string;
  allowDirty: boolean;
  /** Build a tree that needs nothing (not-affected or already patched) as it is. */
  buildAnyway?: boolean;
  /** A reviewed patch (absolute path) to apply with git instead of generating one (`--patch`). */
  patchFile?: string;
  /** What is built: the kubelet (default) or runc (buildTarget.ts). */
  target?: BuildTarget;
  /** Whether `--mode` was given (flag or settings file), not the default: a fix the tree carries must then match it. */
  modeTyped?: boolean;
  /** `--src`: the checkout's facts and scan, when the command already read them (checkSrcCheckout). */
  checkout?: SrcCheckout;
  /** `--sign-key`: the private key (read and checked before the build) that signs SHA256SUMS. */
  signKey?: SigningKey;
  /** `--package`: the package formats and choices; the packages go to `packages/` and into the records. */
  packaging?: PackagingRequest;
}

/** The result: a manifest of what was built, or the scan that says nothing needs building. */
export type BuildResult = { built: true; out: string; manifest: Manifest } | { built: false; report: ScanReport };

/**
 * Runs the pipeline on an opened source tree: read the facts, copy a `--src`
 * checkout, choose the fix, apply it, make, collect, prove, write the
 * manifest, all into a staged folder that becomes `--out` only when every
 * step worked.
 */
export async function buildRelease(source: SourceTree, opts: BuildOptions, io: Io, progress: Progress): Promise<BuildResult> {
  const startedAt = new Date().toISOString();
  const target = opts.target ?? KUBELET_TARGET;
  const staged = await stageOutput(opts.out, opts.force);
  // Binaries a make left outside the tree (runc's, one per platform), removed once collected or on failure.
  let dispose: (() => Promise<void>) | undefined;
  // --src: the private copy everything happens in; removed after success, failure or Ctrl-C.
  let copy: PrivateCopy | undefined;
  try {
    const { fromCheckout, checkout, commit } = await readFacts(source, opts, target, io);
    if (checkout?.report.verdict === 'not-affected' && !opts.buildAnyway) {
      // Nothing to build: said without copying a tree of hundreds of megabytes first.
      await staged.discard();
      return { built: false, report: checkout.report };
    }
    if (fromCheckout) copy = await privateTree(source.root, commit, [opts.out, staged.dir], opts.cacheDir, io, progress);
    const tree = copy?.root ?? source.root;
    progress.step('patch');
    const plan = await chooseFix(source.root, tree, commit, fromCheckout, opts, target, io, progress);
    if ('nothing' in plan) {
      await staged.discard();
      return { built: false, report: plan.nothing };
    }
    const applied = await applyFix(tree, plan, staged.dir, commit, fromCheckout && !opts.allowDirty, target, io);
    checkAbort(io);

    progress.step('build');
    const version = opts.versionString ?? target.defaultVersion(commit.tag!, plan.chosen.versionMode);
    const logPath = path.join(staged.dir, 'build.log');
    const runMake = await target.loadMake();
    // Only a binary this make wrote counts (collectArtifacts): a --src copy has no output folder
    // and a --k8s tree is new, and a binary older than this moment is refused all the same.
    const makeStarted = Date.now();
    const made = await runMake({ tree, opts, commit, version, logPath, io, progress, buildTag: tagName(plan.chosen), image: plan.image });
    dispose = made.dispose;
    checkAbort(io);

    progress.step('collect');
    const artifacts = await collectArtifacts({
      tree,
      stagedDir: staged.dir,
      platforms: opts.platforms,
      target,
      made,
      makeStarted,
      logPath,
    });
    await dispose?.();
    progress.step('verify');
    const proven = await proveBuild(tree, staged.dir, plan, applied.changes, artifacts, target, io);
    const mode = appliedMode(plan.chosen.fix);
    let manifest: Manifest = {
      schemaVersion: MANIFEST_SCHEMA_VERSION,
      kpatchVersion: KPATCH_VERSION,
      target: target.name,
      source: {
        repo: source.repo,
        tag: commit.tag,
        commit: commit.sha,
        path: fromCheckout ? source.root : undefined,
        treeState: commit.treeState,
        fixCommittedOn: commit.fixCommittedOn,
      },
      recipe: plan.report.recipe,
      mode,
      modeRequested: fixMode(plan.chosen.requested),
      modeReason: plan.chosen.reason,
      verdictBefore: plan.carried ? plan.carried.before.verdict : plan.report.verdict,
      verdictAfter: applied.after.verdict,
      sites: plan.carried ? pairSites(plan.carried.before, plan.report, mode) : pairSites(plan.report, applied.after, mode),
      patch: applied.patch,
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
    if (opts.packaging) {
      progress.step('package');
      const { writePackages } = await import('../package/writePackages.js');
      manifest = await writePackages(staged.dir, manifest, opts.packaging, io.env, io.signal);
    }
    await writeManifest(staged.dir, manifest, { tree, env: io.env, signKey: opts.signKey });
    checkAbort(io);
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

/** The build tag make is given, when the fix is the tag. */
function tagName(chosen: ChosenMode): string | undefined {
  return chosen.fix.kind === 'tag' ? chosen.fix.tag.name : undefined;
}

function checkAbort(io: Io): void {
  if (io.signal?.aborted) fail('interrupted');
}

/**
 * Step 1, the facts the build is named after: a `--src` checkout's from its
 * own git (checkSrcCheckout), a cached tag's from the cache.
 */
async function readFacts(
  source: SourceTree,
  opts: BuildOptions,
  target: BuildTarget,
  io: Io,
): Promise<{ fromCheckout: boolean; checkout?: SrcCheckout; commit: CheckoutFacts }> {
  const fromCheckout = !source.tag;
  const checkout = fromCheckout
    ? (opts.checkout ?? (await checkSrcCheckout(source.root, opts.versionString, target, io, opts.cacheDir)))
    : undefined;
  const commit: CheckoutFacts = checkout?.facts ?? (await describeCommit(source, io));
  if (!commit.tag && !opts.versionString)
    fail('usage', { where: `--src ${source.root}`, detail: 'the checkout is not at a release tag; give --version-string' });
  return { fromCheckout, checkout, commit };
}

/** Step 2 (`--src` only): the private copy the build works in, so the checkout is never changed. */
async function privateTree(
  root: string,
  commit: CheckoutFacts,
  skip: string[],
  cacheDir: string,
  io: Io,
  progress: Progress,
): Promise<PrivateCopy> {
  progress.step('copy');
  // The artifact folder may sit inside the checkout: never copy it (or its staged twin) into the build.
  const copy = await copyCheckout(root, cacheDir, { skip, signal: io.signal });
  progress.note(`building in a private copy of ${root}: ${copy.root} (the checkout is not changed)`);
  if (commit.treeState === 'dirty')
    progress.note(
      `warning: the checkout has changes besides kpatch's fix (${commit.changes!.join(', ')}${commit.changes!.length >= 20 ? ', ...' : ''}): they are built in, and the version stamp says the tree was dirty`,
    );
  return copy;
}

/** What chooseFix settled: the tree's targets and scan, the fix and how it arrives, and the build image. */
interface FixPlan {
  files: GoFile[];
  symlinks: ReadonlySet<string>;
  report: ScanReport;
  /** The fix the tree already carries (patched in place, or a committed reviewed patch). */
  carried?: CarriedFix;
  /** `--patch`: the reviewed patch, already applied. */
  reviewed?: ReviewedBuild;
  chosen: ChosenMode;
  image?: ImageRecord;
}

/**
 * Step 3, the fix: scan the tree, take the fix it carries or the reviewed
 * patch or choose a mode, and settle the build image before anything is
 * changed. `{ nothing }` when the tree needs no build.
 */
async function chooseFix(
  checkoutRoot: string,
  tree: string,
  commit: CheckoutFacts,
  fromCheckout: boolean,
  opts: BuildOptions,
  target: BuildTarget,
  io: Io,
  progress: Progress,
): Promise<FixPlan | { nothing: ScanReport }> {
  // Scan first and rewrite only for an edit mode: a build tag needs no source change,
  // and a tree it suits must not be refused for a call shape only the rewriter minds.
  const { files, symlinks } = await loadTargets(tree, DEFAULT_RECIPE);
  const report = DEFAULT_RECIPE.scan(files);
  // A tree that already carries kpatch's fix (patched in place, or a committed reviewed patch) is built as that fix.
  const carried =
    fromCheckout && report.verdict === 'patched' && !opts.buildAnyway
      ? await carriedFix(report, files, commit, checkoutRoot, io)
      : undefined;
  if (carried && opts.modeTyped && opts.fix.kind !== 'auto' && !sameFix(opts.fix, carried.chosen.fix)) {
    fail('usage', {
      where: `--mode ${fixMode(opts.fix)} on --src ${checkoutRoot}`,
      detail: `${carried.chosen.reason}; the modes differ: restore the files from the tag to build another mode, or drop --mode`,
    });
  }
  if (carried && opts.patchFile) {
    fail('usage', {
      where: `--patch ${opts.patchFile}`,
      detail: `${carried.chosen.reason}; a reviewed patch would be a second fix on top: drop --patch`,
    });
  }
  if (report.verdict !== 'affected' && !carried && !opts.buildAnyway) return { nothing: report };
  // The image before the patch: one that cannot be had, or lacks make or go, stops the build with nothing changed.
  const image = await prepareBuildImage({
    target: target.name,
    tree,
    tag: commit.tag,
    runner: opts.runner,
    image: opts.image,
    registry: opts.registry,
    progress,
    io,
  });
  checkAbort(io);
  // A reviewed patch replaces the generated one: applied with git, checked, before any make.
  const useReviewed = opts.patchFile !== undefined && report.verdict === 'affected';
  if (useReviewed && fromCheckout && !opts.allowDirty)
    refuseDirty(commit, await patchFilePaths(opts.patchFile!), 'the reviewed patch', target);
  const reviewed = useReviewed
    ? await useReviewedPatch(
        tree,
        opts.patchFile!,
        {
          checkDirty: false,
          sourceFlag: fromCheckout ? `--src ${checkoutRoot}` : `--${target.name === 'runc' ? 'runc' : 'k8s'} ${commit.tag}`,
        },
        io,
      )
    : undefined;
  const chosen: ChosenMode = reviewed
    ? { requested: opts.fix, fix: { kind: 'edit', mode: reviewed.mode }, tagFiles: [], versionMode: reviewed.mode, reason: reviewed.reason }
    : carried
      ? carried.chosen
      : report.verdict === 'affected'
        ? chooseMode(DEFAULT_RECIPE, files, report, opts.fix, commit.tag ?? checkoutRoot, target.modeWords)
        : unchangedMode(report, opts.fix);
  progress.note(`mode: ${appliedMode(chosen.fix)} (${chosen.reason})`);
  return { files, symlinks, report, carried, reviewed, chosen, image };
}

/**
 * Step 4, the source change: write the rewrite into the tree (an edit mode),
 * check the tree is fixed after it, and keep the patch that says what
 * changed in the staged folder.
 */
async function applyFix(
  tree: string,
  plan: FixPlan,
  stagedDir: string,
  commit: CheckoutFacts,
  checkDirty: boolean,
  target: BuildTarget,
  io: Io,
): Promise<{ changes: FileChange[]; after: ScanReport; patch?: Manifest['patch'] }> {
  const { chosen, carried, reviewed, report } = plan;
  // The fix kpatch writes itself: an edit, unless the tree carries it already or a reviewed patch brought it.
  const edit = chosen.fix.kind === 'edit' && !carried ? chosen.fix : undefined;
  const planned = edit && !reviewed ? rewrite(plan.files, report, DEFAULT_RECIPE, edit.mode) : [];
  const changes: FileChange[] = carried?.changes ?? reviewed?.applied.changes ?? planned;
  if (planned.length) {
    if (checkDirty)
      refuseDirty(
        commit,
        planned.map((c) => c.path),
        "kpatch's fix",
        target,
      );
    await writeRewrite(tree, plan.symlinks, planned, { checkDirty: false, what: 'build --src patches its private copy', io });
  }
  const after = changes.length && !carried ? DEFAULT_RECIPE.scan((await loadTargets(tree, DEFAULT_RECIPE)).files) : report;
  if (edit && after.verdict === 'affected') fail('internal', { detail: 'the tree is still affected after patching' });
  const patch = reviewed
    ? await keepReviewedPatch(stagedDir, reviewed, report.recipe)
    : changes.length
      ? await writePatch(stagedDir, changes, carried ? carried.before : report, appliedMode(chosen.fix), commit)
      : undefined;
  return { changes, after, patch };
}

/** Step 7, the proof the fix is in: the build tag's strings in the binaries, or the patched sources' checksums. */
async function proveBuild(
  tree: string,
  stagedDir: string,
  plan: FixPlan,
  changes: FileChange[],
  artifacts: Manifest['artifacts'],
  target: BuildTarget,
  io: Io,
): Promise<Pick<Manifest, 'verification' | 'patchedFiles'>> {
  const { chosen, files, report } = plan;
  if (chosen.fix.kind === 'tag') {
    const tag = chosen.fix.tag;
    const binaries = artifacts.map((a) => ({ path: a.path, abs: path.join(stagedDir, a.path) }));
    return {
      verification: await binaryVerification(
        tag.name,
        tag.proofStrings(files),
        binaries,
        io.env,
        target.binary,
        tag.proofStringsByCopy(files, report),
      ),
      patchedFiles: [],
    };
  }
  if (chosen.fix.kind === 'none') return { verification: noneVerification(report), patchedFiles: [] };
  return sourceVerification(tree, changes);
}
