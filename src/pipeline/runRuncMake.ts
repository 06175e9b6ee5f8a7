/**
 * Running runc's own make through the chosen runner: once per platform
 * (GOOS/GOARCH; runc's Makefile always writes `<tree>/runc`), with BUILDTAGS
 * (`seccomp` by default, `nokmem` added by the nokmem mode), the version
 * note passed as `make VERSION=...` (the variable runc's Makefile reads from
 * its VERSION file, so the tree's file is never edited) and COMMIT set to the
 * release commit (runc would otherwise append `-dirty` to a patched tree).
 * Container runners use the golang image the tree's Dockerfile names.
 */
import { mkdir, mkdtemp, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { linkedGitDir } from '../source/linkedGitDir.js';
import { fail } from '../errors.js';
import { findStrings } from '../manifest/binaryProof.js';
import { openBuildLog } from './buildLog.js';
import type { BuildRequest } from './runner.js';
import { binaryGoVersion, hasGoMod, runLoggedMake, type MakeRequest, type MakeRun } from './makeContract.js';
import { readRuncGo } from './runcImage.js';

/**
 * Where container runners mount a runc tree: runc's import path under
 * GOPATH=/go, the only place GOPATH-era releases (rc5 and before) build, as
 * in runc's own Dockerfile.
 */
export const RUNC_CONTAINER_TREE = '/go/src/github.com/opencontainers/runc';

/** runc's BUILDTAGS when `--buildtags` is not given: what runc's Makefile itself defaults to. */
export const DEFAULT_RUNC_BUILDTAGS = ['seccomp'];

/** Chooses the runner and image, runs make per platform, and collects each `runc` out of the tree. */
export async function runRuncMake(r: MakeRequest): Promise<MakeRun> {
  const runner = r.opts.runner;
  r.progress.note(`runner: ${runner.name} (${runner.reason})`);
  const fromTree = await readRuncGo(r.tree);

  const image = r.image && { ...r.image };
  let mounts: BuildRequest['mounts'] = [];
  if (runner.name !== 'local') {
    if (!image) fail('internal', { detail: `the ${runner.name} runner was given no image` });
    mounts = await gitMounts(r.tree);
  } else if (fromTree) {
    const { hostGoVersion, goMismatchWarning } = await import('./runners/localRunner.js');
    const warning = goMismatchWarning(await hostGoVersion(r.io.env), fromTree.go, 'its Dockerfile', 'runc');
    if (warning) r.progress.note(`warning: ${warning}`);
  }

  const gopath = (await hasGoMod(r.tree)) ? undefined : ('import-path' as const);
  if (gopath) r.progress.note(`no go.mod: GOPATH mode, the tree at ${RUNC_CONTAINER_TREE.slice('/go/src/'.length)} (GO111MODULE=off)`);
  const tags = [...new Set([...(r.opts.buildtags ?? DEFAULT_RUNC_BUILDTAGS), ...(r.buildTag ? [r.buildTag] : [])])];
  const buildtags = tags.join(' ');
  r.progress.note(`BUILDTAGS=${buildtags}`);
  const makeArgs = [`BUILDTAGS=${buildtags}`, `VERSION=${r.version}`, ...(r.commit.sha ? [`COMMIT=${r.commit.sha}`] : [])];
  const outDir = await mkdtemp(path.join(await ensureDir(path.join(r.opts.cacheDir, 'tmp')), 'runc-'));
  const built = path.join(r.tree, 'runc');
  const log = openBuildLog(r.logPath, r.io.signal);
  const binaries: Record<string, string> = {};
  const commands: string[][] = [];
  try {
    for (const platform of r.opts.platforms) {
      const [os, arch] = platform.split('/');
      // A runc left by an earlier make (another platform, the user's own) must not pass for this one.
      await rm(built, { force: true });
      const env: Record<string, string> = { GOOS: os, GOARCH: arch };
      if (r.commit.time !== undefined) env.SOURCE_DATE_EPOCH = String(r.commit.time);
      const header = `=== kpatch: make for ${platform}`;
      log.write(header);
      r.progress.detail(header);
      const outcome = await runLoggedMake(
        r,
        log,
        {
          tree: r.tree,
          makeArgs,
          env,
          mounts,
          containerTree: RUNC_CONTAINER_TREE,
          // rc5 and before: runc's make builds `.`, which resolves only at the import path under GOPATH.
          gopath,
        },
        image,
        `make for ${platform}`,
        (tail) =>
          tail.some((l) => /seccomp\.h/.test(l))
            ? '\n(libseccomp headers are missing in the build image: see docs/commands/build.md#runc, or --buildtags without seccomp)'
            : '',
      );
      commands.push(outcome.command);
      if (!(await stat(built).catch(() => undefined))?.isFile()) {
        fail('artifact_missing', {
          where: built,
          detail: `platform ${platform}: make succeeded but wrote no runc; full log: ${r.logPath}`,
        });
      }
      // The version note is what tells an operator (and kpatch doctor) this is not the plain release.
      if (!(await findStrings(built, [r.version])).length) {
        fail('build_unverified', {
          where: `runc for ${platform}`,
          detail: `the version ${r.version} is not in the binary: this tree's Makefile does not pass VERSION to -X main.version, so runc --version would claim to be the unmodified release`,
        });
      }
      const dest = path.join(outDir, `${os}-${arch}`, 'runc');
      await mkdir(path.dirname(dest), { recursive: true });
      await rename(built, dest);
      binaries[platform] = dest;
    }
  } catch (e) {
    await rm(outDir, { recursive: true, force: true });
    throw e;
  } finally {
    await log.close();
  }
  return {
    runner: runner.name,
    command: commands[0],
    commands: commands.length > 1 ? commands : undefined,
    buildtags,
    image,
    binaries,
    goVersion: (bin) => binaryGoVersion(bin, r.io),
    dispose: () => rm(outDir, { recursive: true, force: true }),
  };
}

async function ensureDir(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  return dir;
}

/**
 * A work tree's `.git` is a file naming its git folder inside the cache's
 * bare repository, outside the tree. Go 1.18 and later run git to stamp
 * the commit into the build info and fail when that folder is missing, so
 * container runners mount the repository read-only at the same path. A tree
 * whose `.git` is a folder (a plain clone) needs nothing.
 */
async function gitMounts(tree: string): Promise<BuildRequest['mounts']> {
  const dir = await linkedGitDir(tree);
  if (!dir) return [];
  const common = await readFile(path.join(dir, 'commondir'), 'utf8').then(
    (c) => path.resolve(dir, c.trim()),
    () => dir,
  );
  const inside = dir === common || dir.startsWith(common + path.sep);
  return [{ host: common, container: common }, ...(inside ? [] : [{ host: dir, container: dir }])];
}
