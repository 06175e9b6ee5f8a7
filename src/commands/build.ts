/**
 * `kpatch build`: the patched kubelet, built in the Kubernetes build
 * container, or (`--runc TAG`, or `--src` on a tree with runc's layout) the
 * patched runc, built with runc's own make; with their artifacts.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from './command.js';
import { SUMMARIES } from './summaries.js';
import { EXIT, fail } from '../errors.js';
import type { Io } from '../io.js';
import type { PackageFormat } from '../package/layout.js';
import { KUBELET_TARGET, parseBuildtags, RUNC_TARGET } from '../pipeline/buildTarget.js';
import { filesByFolder } from '../pipeline/chooseMode.js';
import { withFlags, withModeOption } from './flags.js';
import { DEFAULT_PLATFORM, PLATFORM_PATTERN, splitList } from '../config/settings.js';
import { originOf } from '../config/applySettings.js';
import { DEFAULT_RECIPE_FACTS } from '../recipeFacts.js';
import { parseFix } from '../rewrite/fix.js';
import { checkSrcFolder, openSource } from '../source/openSource.js';
import { checkSourceArgs, withSourceOptions } from './sourceOptions.js';
import { buildOptions, chooseTarget, fromUser, outName, type BuildCommandOptions } from './buildOptions.js';
import { packagingFlags, packagingFrom } from './packageOptions.js';

/** The `kpatch build` command: flags, checks and handler (see the module comment and docs/commands/). */
export const buildCommand: Command<BuildCommandOptions> = {
  ...SUMMARIES.build,
  builder: (y) =>
    packagingFlags(
      withFlags(withModeOption(withSourceOptions(y), DEFAULT_RECIPE_FACTS, 'build'), ['runner', 'platform', 'image', 'registry']),
      'package',
    )
      .option('buildtags', {
        type: 'string',
        describe: 'runc only: its Makefile\'s BUILDTAGS, replacing the default "seccomp" (--mode nokmem adds nokmem)',
      })
      .option('out', { type: 'string', requiresArg: true, describe: 'artifact folder [default: ./_kpatch/<tag>]' })
      .option('force', { type: 'boolean', default: false, describe: 'replace an existing --out' })
      .option('version-string', {
        type: 'string',
        requiresArg: true,
        describe: 'version the kubelet reports [default: <tag>+kpatch.<mode>; runc: the tag without its v]',
      })
      .option('allow-dirty', { type: 'boolean', default: false, describe: 'with --src: patch files that have uncommitted changes' })
      .option('build-anyway', {
        type: 'boolean',
        default: false,
        describe: 'build a tree that needs no fix (not affected, already patched) as it is',
      })
      .option('patch', {
        type: 'string',
        requiresArg: true,
        describe:
          'apply this reviewed patch (from kpatch diff --write) with git apply instead of generating one; its sha256 goes in the manifest',
      })
      .option('sign-key', {
        type: 'string',
        requiresArg: true,
        describe: 'EC P-256 private key (PEM): sign SHA256SUMS into SHA256SUMS.sig (the form cosign sign-blob writes)',
      })
      .option('json', { type: 'boolean', default: false, describe: 'print the manifest as JSON on stdout' }),
  check(args) {
    // build keeps its private copy of --src, its logs and build caches in the cache: --cache-dir applies.
    checkSourceArgs(args, { cacheWithSrc: true });
    if (typeof args.out === 'string' && args.out.trim() === '') {
      // `--out "$OUT" --force` with OUT unset would otherwise replace the current folder.
      fail('usage', { where: '--out ""', detail: 'the path is empty (an unset variable?); name the artifact folder' });
    }
    for (const p of splitList(args.platform ?? DEFAULT_PLATFORM)) {
      if (!PLATFORM_PATTERN.test(p)) fail('usage', { where: `--platform ${p}`, detail: 'platforms are os/arch pairs such as linux/amd64' });
    }
    // With --src the tree says what it is (checked again in the handler); a release flag says it here.
    if (args['version-string'] !== undefined && args.src === undefined)
      (args.runc !== undefined ? RUNC_TARGET : KUBELET_TARGET).checkVersion(String(args['version-string']));
    if (args.buildtags !== undefined) {
      if (args.k8s !== undefined)
        fail('usage', {
          where: '--buildtags with --k8s',
          detail: "BUILDTAGS is runc's Makefile variable; Kubernetes ignores it (--mode nokmem passes the tag through GOFLAGS)",
        });
      if (typeof args.buildtags !== 'string')
        fail('usage', { where: '--buildtags', detail: 'give it once, e.g. --buildtags "seccomp apparmor"' });
      parseBuildtags(args.buildtags);
    }
    if (args.package !== undefined && (typeof args.package !== 'string' || args.package === ''))
      fail('usage', { where: '--package', detail: 'give the formats once, e.g. --package rpm,deb' });
    packagingFrom.check(args, 'package');
    if (args['sign-key'] !== undefined && (typeof args['sign-key'] !== 'string' || args['sign-key'] === ''))
      fail('usage', { where: '--sign-key', detail: 'give one key file, once' });
    if (args.image !== undefined && args.registry !== undefined)
      fail('usage', { where: '--image and --registry', detail: '--image names the whole reference; give one of them' });
    if (args.patch !== undefined && (typeof args.patch !== 'string' || args.patch === ''))
      fail('usage', { where: '--patch', detail: 'give one patch file, once' });
    if (
      args.patch !== undefined &&
      args.mode !== undefined &&
      parseFix(DEFAULT_RECIPE_FACTS, 'build', String(args.mode))?.kind !== 'edit'
    ) {
      fail('usage', {
        where: `--patch with --mode ${String(args.mode)}`,
        detail: 'a reviewed patch is a source change; its own kpatch markers say its mode (guard or remove)',
      });
    }
  },
  options: buildOptions,
  async handler(opts, io) {
    const { resolveCacheDir } = await import('../source/cacheLayout.js');
    const { checkOutput } = await import('../pipeline/stagedOutput.js');
    const cacheDir = resolveCacheDir(opts.cacheDir, io);
    const target = chooseTarget(opts, io);
    const out = path.resolve(io.cwd, opts.out ?? path.join('_kpatch', outName(opts.source, io)));
    const src = 'src' in opts.source ? path.resolve(io.cwd, opts.source.src) : undefined;
    // Refuse an --out that would swallow the checkout, the cache or the current folder, an existing
    // --out (or one kpatch did not write, even with --force), or a missing --patch before fetching anything.
    await checkOutput(out, opts.force, { src, cacheDir, cwd: io.cwd });
    const patchFile = opts.patch !== undefined ? path.resolve(io.cwd, opts.patch) : undefined;
    const patchStat = patchFile ? await stat(patchFile).catch(() => undefined) : undefined;
    if (patchFile && !patchStat?.isFile())
      fail('usage', {
        where: `--patch ${patchFile}`,
        detail: patchStat ? 'not a regular file (a FIFO, a device or a folder): give the reviewed patch file' : 'no such file',
      });
    // --src: the version comes from the checkout's tag; an untagged checkout is a usage error before any stage starts.
    // The pipeline is loaded once the input has passed these local checks (scripts/bench-startup.mjs).
    const folder = src !== undefined ? await checkSrcFolder(src) : undefined;
    const checkout =
      folder !== undefined
        ? await (await import('../pipeline/srcCheckout.js')).checkSrcCheckout(folder, opts.versionString, target, io, cacheDir)
        : undefined;
    // The signing key before anything runs: a bad key costs a second, not a build.
    const signKey =
      opts.signKey !== undefined
        ? await (await import('../manifest/signature.js')).loadSigningKey(path.resolve(io.cwd, opts.signKey), io.signal)
        : undefined;
    // Which runner, before fetching: a missing engine or Go is said in a second,
    // not after minutes of fetching and patching a release.
    // The packaging tools too: a missing rpmbuild is said before the build, not after it.
    if (opts.packaging.formats.length)
      (await import('../package/packageTools.js')).checkPackageTools(opts.packaging.formats as PackageFormat[], io.env);
    const { chooseRunner } = await import('../pipeline/runners/chooseRunner.js');
    const runner = await chooseRunner(opts.runner, io.env, { signal: io.signal, target: target.name });
    const { createProgress } = await import('../process/progress.js');
    const { buildRelease } = await import('../pipeline/buildRelease.js');
    const progress = createProgress(io);
    if (src === undefined) progress.step('fetch');
    const source = await openSource(opts.source, io).catch((e: unknown) => {
      progress.end(false);
      throw e;
    });
    try {
      const result = await buildRelease(
        source,
        {
          fix: opts.fix,
          runner,
          platforms: opts.platforms,
          image: fromUser(opts, 'image', target),
          registry: fromUser(opts, 'registry', target),
          out,
          force: opts.force,
          versionString: opts.versionString,
          allowDirty: opts.allowDirty,
          buildAnyway: opts.buildAnyway,
          cacheDir,
          patchFile,
          target,
          buildtags: opts.buildtags !== undefined ? parseBuildtags(opts.buildtags) : undefined,
          modeTyped: originOf(opts.settings, 'mode') !== 'default',
          checkout,
          signKey,
          packaging: opts.packaging.formats.length ? { ...opts.packaging, formats: opts.packaging.formats as PackageFormat[] } : undefined,
        },
        io,
        progress,
      );
      if (!result.built) {
        progress.end(true);
        // Loaded here: it brings the rewriting engine, which a build that refuses its input never needs.
        const { nothingToDo } = await import('../rewrite/prepareRewrite.js');
        report(io, `kpatch: ${nothingToDo(result.report)}; nothing was built (--build-anyway builds it as it is)`, evidence(result.report));
        if (opts.json)
          io.stdout.write(
            JSON.stringify(
              {
                schemaVersion: 1,
                built: false,
                target: target.name,
                verdict: result.report.verdict,
                files: result.report.files,
                sites: result.report.sites,
                markers: result.report.markers,
              },
              null,
              2,
            ) + '\n',
          );
        return EXIT.ok;
      }
      if (opts.json) io.stdout.write(JSON.stringify(result.manifest, null, 2) + '\n');
      else summary(io, result.out, result.manifest);
      const v = result.manifest.verification;
      if (v?.status === 'unverified')
        io.stderr.write(`kpatch: warning: ${v.summary}; check the ${target.binary} by hand before rolling it out\n`);
      return EXIT.ok;
    } finally {
      await source.release();
    }
  },
};

/** What a "nothing to do" verdict rests on: the files read and every call site with its status. */
function evidence(r: import('../engine/recipe.js').ScanReport): string[] {
  return [
    `  files read (${r.files.length}):`,
    ...filesByFolder(r.files).map((l) => `  ${l}`),
    `  call sites (${r.sites.length}):${r.sites.length ? '' : ' none'}`,
    ...r.sites.map((s) => `    ${s.file}:${s.line} ${s.function}: ${s.status}${s.reason ? ` (${s.reason})` : ''}`),
    ...r.markers.map((m) => `  kpatch marker: ${m.file}:${m.line} (${m.mode})`),
  ];
}

function report(io: Io, head: string, lines: string[]): void {
  io.stderr.write(head + '\n' + lines.map((l) => l + '\n').join(''));
}

function summary(io: Io, out: string, m: import('../manifest/manifest.js').Manifest): void {
  const w = (s: string) => io.stdout.write(s + '\n');
  w(
    `kpatch: built ${m.target === 'runc' ? 'runc ' : ''}${m.source.tag ?? ''} (${m.mode}) with ${m.runner}${m.image ? ` in ${m.image.ref}` : ''}; version ${m.versionString}`,
  );
  if (m.modeReason)
    w(
      `  mode:     ${m.mode}${m.modeRequested && m.modeRequested !== m.mode ? ` (chosen by --mode ${m.modeRequested})` : ''}: ${m.modeReason}`,
    );
  for (const a of m.artifacts) w(`  ${path.join(out, a.path)}  sha256:${a.sha256}`);
  w(
    `  patch:    ${m.patch ? path.join(out, m.patch.path) : `none (${m.goflags ? `no source change; GOFLAGS=${m.goflags}` : m.target === 'runc' && m.mode !== 'none' ? `no source change; BUILDTAGS=${m.buildtags}` : 'the tree was built as it is'})`}`,
  );
  if (m.verification) w(`  proof:    ${m.verification.status}: ${m.verification.summary}`);
  w(`  manifest: ${path.join(out, 'manifest.json')}   checksums: ${path.join(out, 'SHA256SUMS')}`);
  w(`  records:  ${path.join(out, 'provenance.json')} (SLSA provenance)   ${path.join(out, 'sbom.spdx.json')} (SPDX SBOM)`);
  for (const p of m.packages ?? []) w(`  package:  ${path.join(out, p.path)}  sha256:${p.sha256}`);
}
