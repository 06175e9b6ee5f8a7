/** `kpatch build`: the patched kubelet, built in the Kubernetes build container, with its artifacts. */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from '../cli.js';
import { EXIT, fail } from '../errors.js';
import type { Io } from '../io.js';
import { checkVersionString } from '../build/versionStamp.js';
import { filesByFolder } from '../build/chooseMode.js';
import { nothingToDo, withModeOption } from './prepareRewrite.js';
import { DEFAULT_RECIPE } from '../recipes.js';
import { checkSourceArgs, openSource, withSourceOptions } from './sourceOptions.js';

const PLATFORM = /^[a-z0-9]+\/[a-z0-9]+$/;

export const buildCommand: Command = {
  command: 'build',
  describe: 'patch a release and build the fixed kubelet, with checksums, manifest and the patch',
  builder: (y) =>
    withModeOption(withSourceOptions(y), { build: true })
      .option('runner', { type: 'string', choices: ['auto', 'docker', 'podman', 'local'], default: 'auto', describe: 'where make runs: a container engine, or the host Go' })
      .option('platform', { type: 'string', default: 'linux/amd64', describe: 'comma-separated os/arch list, e.g. linux/amd64,linux/arm64' })
      .option('image', { type: 'string', requiresArg: true, describe: 'build image reference (overrides the kube-cross image of the tree)' })
      .option('registry', { type: 'string', requiresArg: true, describe: 'registry HOST/PATH that mirrors kube-cross (air-gapped builds)' })
      .option('out', { type: 'string', requiresArg: true, describe: 'artifact folder [default: ./_kpatch/<tag>]' })
      .option('force', { type: 'boolean', default: false, describe: 'replace an existing --out' })
      .option('version-string', { type: 'string', requiresArg: true, describe: 'version the kubelet reports [default: <tag>+kpatch.<mode>]' })
      .option('allow-dirty', { type: 'boolean', default: false, describe: 'with --src: patch files that have uncommitted changes' })
      .option('build-anyway', { type: 'boolean', default: false, describe: 'build a tree that needs no fix (not affected, already patched) as it is' })
      .option('patch', { type: 'string', requiresArg: true, describe: 'apply this reviewed patch (from kpatch diff --write) with git apply instead of generating one; its sha256 goes in the manifest' })
      .option('json', { type: 'boolean', default: false, describe: 'print the manifest as JSON on stdout' }),
  check(args) {
    checkSourceArgs(args);
    if (typeof args.out === 'string' && args.out.trim() === '') {
      // `--out "$OUT" --force` with OUT unset would otherwise replace the current folder.
      fail('usage', { where: '--out ""', detail: 'the path is empty (an unset variable?); name the artifact folder' });
    }
    for (const p of platforms(args)) {
      if (!PLATFORM.test(p)) fail('usage', { where: `--platform ${p}`, detail: 'platforms are os/arch pairs such as linux/amd64' });
    }
    if (args['version-string'] !== undefined) checkVersionString(String(args['version-string']));
    if (args.image !== undefined && args.registry !== undefined) fail('usage', { where: '--image and --registry', detail: '--image names the whole reference; give one of them' });
    if (args.patch !== undefined && (typeof args.patch !== 'string' || args.patch === '')) fail('usage', { where: '--patch', detail: 'give one patch file, once' });
    if (args.patch !== undefined && args.mode !== undefined && !DEFAULT_RECIPE.modes.includes(String(args.mode))) {
      fail('usage', { where: `--patch with --mode ${String(args.mode)}`, detail: 'a reviewed patch is a source change; its own kpatch markers say its mode (guard or remove)' });
    }
  },
  async handler(args, io) {
    const { resolveCacheDir } = await import('../source/cacheLayout.js');
    const { checkOutput } = await import('../build/stagedOutput.js');
    const { createProgress } = await import('../build/progress.js');
    const { buildKubelet } = await import('../build/buildKubelet.js');
    const cacheDir = resolveCacheDir(args['cache-dir'] as string | undefined, io);
    const out = path.resolve(io.cwd, args.out !== undefined ? String(args.out) : path.join('_kpatch', outName(args)));
    // Refuse an existing --out or a missing --patch before fetching anything: nothing is done twice by mistake.
    await checkOutput(out, Boolean(args.force));
    const patchFile = args.patch !== undefined ? path.resolve(io.cwd, String(args.patch)) : undefined;
    if (patchFile && !(await stat(patchFile).catch(() => undefined))?.isFile()) fail('usage', { where: `--patch ${patchFile}`, detail: 'no such file' });
    const progress = createProgress(io);
    progress.step('fetch');
    const source = await openSource(args, io).catch((e) => {
      progress.end(false);
      throw e;
    });
    try {
      const result = await buildKubelet(
        source,
        {
          mode: String(args.mode),
          runner: args.runner as 'auto',
          platforms: platforms(args),
          image: args.image as string | undefined,
          registry: args.registry as string | undefined,
          out,
          force: Boolean(args.force),
          versionString: args['version-string'] as string | undefined,
          allowDirty: Boolean(args['allow-dirty']),
          buildAnyway: Boolean(args['build-anyway']),
          cacheDir,
          patchFile,
        },
        io,
        progress,
      );
      if (!result.built) {
        progress.end(true);
        report(io, `kpatch: ${nothingToDo(result.report)}; nothing was built (--build-anyway builds it as it is)`, evidence(result.report));
        if (args.json) io.stdout.write(JSON.stringify({ schemaVersion: 1, built: false, verdict: result.report.verdict, files: result.report.files, sites: result.report.sites, markers: result.report.markers }, null, 2) + '\n');
        return EXIT.ok;
      }
      if (args.json) io.stdout.write(JSON.stringify(result.manifest, null, 2) + '\n');
      else summary(io, result.out, result.manifest);
      const v = result.manifest.verification;
      if (v?.status === 'unverified') io.stderr.write(`kpatch: warning: ${v.summary}; check the kubelet by hand before rolling it out\n`);
      return EXIT.ok;
    } finally {
      await source.release();
    }
  },
};

function platforms(args: Record<string, unknown>): string[] {
  return String(args.platform ?? 'linux/amd64')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
}

function outName(args: Record<string, unknown>): string {
  if (args.k8s !== undefined) {
    const t = String(args.k8s);
    return t.startsWith('v') ? t : `v${t}`;
  }
  return path.basename(path.resolve(String(args.src)));
}

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

function summary(io: Io, out: string, m: import('../build/manifest.js').Manifest): void {
  const w = (s: string) => io.stdout.write(s + '\n');
  w(`kpatch: built ${m.source.tag ?? ''} (${m.mode}) with ${m.runner}${m.image ? ` in ${m.image.ref}` : ''}; version ${m.versionString}`);
  if (m.modeReason) w(`  mode:     ${m.mode}${m.modeRequested && m.modeRequested !== m.mode ? ` (chosen by --mode ${m.modeRequested})` : ''}: ${m.modeReason}`);
  for (const a of m.artifacts) w(`  ${path.join(out, a.path)}  sha256:${a.sha256}`);
  w(`  patch:    ${m.patch ? path.join(out, m.patch.path) : `none (${m.goflags ? `no source change; GOFLAGS=${m.goflags}` : 'the tree was built as it is'})`}`);
  if (m.verification) w(`  proof:    ${m.verification.status}: ${m.verification.summary}`);
  w(`  manifest: ${path.join(out, 'manifest.json')}   checksums: ${path.join(out, 'SHA256SUMS')}`);
}
