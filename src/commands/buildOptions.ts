/**
 * `kpatch build`'s typed options: what the flags, the settings file and the
 * defaults resolve to (buildOptions, run once by cli.ts), and the decisions
 * taken on them before anything runs: the target, the default --out name,
 * and which --image/--registry a runc build may take.
 */
import path from 'node:path';
import { fail } from '../errors.js';
import type { Io } from '../io.js';
import { typedOrUnresolved, type ResolvedSettings } from '../config/applySettings.js';
import { hasRuncLayout, KUBELET_TARGET, RUNC_TARGET, type BuildTarget } from '../pipeline/buildTarget.js';
import type { RunnerKind } from '../pipeline/runners/chooseRunner.js';
import { DEFAULT_RECIPE_FACTS } from '../recipeFacts.js';
import type { Fix } from '../rewrite/fix.js';
import type { SourceSpec } from '../source/openSource.js';
import { fixFrom } from './flags.js';
import type { OptionSource } from './optionSource.js';
import { packagingFrom, type PackagingOptions } from './packageOptions.js';
import { sourceFrom } from './sourceOptions.js';

/** What `kpatch build` runs with (paths as typed; the handler resolves them against the working folder). */
export interface BuildCommandOptions {
  /** The tree: `--src DIR`, or a release (`--k8s`/`--runc`) with the repo and cache settings. */
  source: SourceSpec;
  /** The fix `--mode` (or the settings file) asks for. */
  fix: Fix;
  runner: RunnerKind;
  platforms: string[];
  /** `--image` / `--registry` (or the settings file's); for runc only a typed one counts (see fromUser). */
  image?: string;
  registry?: string;
  /** The tag cache folder (`--cache-dir` or the settings file; the environment is read by resolveCacheDir). */
  cacheDir?: string;
  out?: string;
  force: boolean;
  versionString?: string;
  allowDirty: boolean;
  buildAnyway: boolean;
  /** `--patch`: a reviewed patch to apply instead of a generated one. */
  patch?: string;
  /** `--sign-key`: the private key file that signs SHA256SUMS. */
  signKey?: string;
  /** `--buildtags` as typed (runc's BUILDTAGS); parsed when the target is known. */
  buildtags?: string;
  json: boolean;
  /** `--package rpm,deb` and the packaging flags (no formats: no packages). */
  packaging: PackagingOptions;
  /** Where each setting came from: the mode's origin and the runc rule for image/registry read it. */
  settings: ResolvedSettings;
}

/** The one resolver of `kpatch build`'s options (see optionSource.ts for the precedence). */
export function buildOptions(from: OptionSource): BuildCommandOptions {
  return {
    source: sourceFrom(from),
    fix: fixFrom(from, DEFAULT_RECIPE_FACTS, 'build'),
    runner: from.required('runner') as RunnerKind,
    platforms: from.settingList('platforms'),
    image: from.setting('image'),
    registry: from.setting('registry'),
    cacheDir: from.setting('cacheDir'),
    out: from.string('out'),
    force: from.boolean('force'),
    versionString: from.string('version-string'),
    allowDirty: from.boolean('allow-dirty'),
    buildAnyway: from.boolean('build-anyway'),
    patch: from.string('patch'),
    signKey: from.string('sign-key'),
    buildtags: from.string('buildtags'),
    json: from.boolean('json'),
    packaging: packagingFrom.options(from, 'package'),
    settings: from.settings(),
  };
}

/** The default `--out` folder's name: the release tag (`runc-<tag>` for runc), or the `--src` folder's name. */
export function outName(source: SourceSpec, io: Io): string {
  if ('src' in source) return path.basename(path.resolve(io.cwd, source.src));
  const t = source.release.tag.startsWith('v') ? source.release.tag : `v${source.release.tag}`;
  // runc-<tag>: runc's tags (v1.1.4) are also Kubernetes tags, and the two folders must not meet.
  return source.release.tagKind === 'runc' ? `runc-${t}` : t;
}

/**
 * The kubelet, or runc for `--runc TAG` and for a `--src` tree with runc's
 * layout at its root (a runc checkout or a docker/runc-style fork). Checks
 * the flags only the chosen target takes.
 */
export function chooseTarget(opts: BuildCommandOptions, io: Io): BuildTarget {
  const src = 'src' in opts.source ? opts.source.src : undefined;
  const runc = 'release' in opts.source ? opts.source.release.tagKind === 'runc' : hasRuncLayout(path.resolve(io.cwd, opts.source.src));
  const target = runc ? RUNC_TARGET : KUBELET_TARGET;
  if (src !== undefined) {
    if (opts.versionString !== undefined) target.checkVersion(opts.versionString);
    if (!runc && opts.buildtags !== undefined) {
      fail('usage', {
        where: `--buildtags with --src ${src}`,
        detail:
          "the tree is not a runc tree (libcontainer/, main.go and a Makefile at its root), and BUILDTAGS is runc's Makefile variable",
      });
    }
    if (runc) io.stderr.write(`kpatch: ${src} has runc's layout at its root (libcontainer/cgroups/, main.go, Makefile): building runc\n`);
  }
  return target;
}

/**
 * `--image` / `--registry` as the user meant them. For runc, values from
 * kpatch.config.json are dropped: the file's registry mirrors kube-cross
 * (and its image is a kube-cross), not the golang image runc builds in.
 */
export function fromUser(opts: BuildCommandOptions, key: 'image' | 'registry', target: BuildTarget): string | undefined {
  const value = opts[key];
  if (target.name !== 'runc' || value === undefined) return value;
  return typedOrUnresolved(opts.settings, key) ? value : undefined;
}
