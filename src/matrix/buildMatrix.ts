/**
 * The CI job matrix: one entry per release tag x platform, each carrying the
 * exact `kpatch build` arguments that job runs, so the CI file only runs what
 * kpatch computed and never rebuilds a command line by itself.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fail } from '../errors.js';
import { validateTag } from '../source/releaseTag.js';
import { reviewedPatchPath } from '../patchfile/reviewedPatchPath.js';
import { DEFAULT_RECIPE_FACTS } from '../recipeFacts.js';
import { PLATFORM_PATTERN } from '../config/settings.js';
import { fixMode, type Fix } from '../rewrite/fix.js';

/** One job. */
export interface MatrixEntry {
  /** What the job builds: the kubelet of a Kubernetes release, or runc (`--runc`). */
  target: 'kubelet' | 'runc';
  /** Release tag, always with its `v`. */
  tag: string;
  /** `os/arch`. */
  platform: string;
  os: string;
  arch: string;
  /** Unique, file-name-safe job id (`v1.12.4-linux-amd64`, `runc-v1.0.0-rc5-linux-amd64`): artifact names, cache keys. */
  id: string;
  /** The artifact folder the build writes (`_kpatch/<tag>`, `_kpatch/runc-<tag>`). */
  out: string;
  /** The reviewed patch the build applies (`--patches`), or null when it generates one. */
  patch: string | null;
  /** The arguments after `kpatch`. */
  args: string[];
  /** `kpatch <args>`: every argument is free of spaces and shell syntax, so this is safe to split on spaces. */
  command: string;
  /** `--package`: the formats the build packages (`rpm,deb`); absent without packaging. */
  packages?: string;
}

/** What the matrix is made from. */
export interface MatrixRequest {
  /** Kubernetes release tags (`--k8s`). */
  tags: string[];
  /** runc release tags (`--runc`): the runc that goes with those releases, built with runc's own make. */
  runcTags?: string[];
  /**
   * What the runc builds get instead of `repo`, `registry` and `image`,
   * which name Kubernetes' repository and kube-cross (`--runc-repo`,
   * `--runc-registry`, `--runc-image`).
   */
  runc?: { repo?: string; registry?: string; image?: string };
  platforms: string[];
  /** The fix every build applies (written back as its `--mode` word in each job's arguments). */
  fix: Fix;
  repo?: string;
  registry?: string;
  image?: string;
  runner?: string;
  /** Folder of reviewed patches (`<dir>/<tag>/0001-<recipe>-<mode>.patch`), as the job will see it. */
  patches?: string;
  /** `--package rpm,deb`: every build also writes its packages (the optional packaging step of the workflow). */
  packages?: string[];
  /** Where `patches` is resolved to check that each file exists. */
  cwd: string;
}

/** Characters an argument may hold so that `$KPATCH_ARGS` splits into exactly the arguments in any POSIX shell. */
const PLAIN_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Builds the entries, tags in the order given (duplicates dropped), platforms within each tag. */
export function buildMatrix(r: MatrixRequest): MatrixEntry[] {
  const jobs = [
    ...[...new Set(r.tags.map((t) => validateTag(t).name))].map((tag) => ({ target: 'kubelet' as const, tag })),
    ...[...new Set((r.runcTags ?? []).map((t) => validateTag(t, 'runc').name))].map((tag) => ({ target: 'runc' as const, tag })),
  ];
  const platforms = [...new Set(r.platforms)];
  for (const p of platforms) {
    if (!PLATFORM_PATTERN.test(p)) fail('usage', { where: `--platform ${p}`, detail: 'platforms are os/arch pairs such as linux/amd64' });
  }
  const mode = fixMode(r.fix);
  if (r.patches !== undefined && r.fix.kind !== 'edit') {
    fail('usage', {
      where: `--patches with --mode ${mode}`,
      detail: `reviewed patches are source changes: use --mode ${DEFAULT_RECIPE_FACTS.modes.join(' or ')}`,
    });
  }
  const missing: string[] = [];
  const entries: MatrixEntry[] = [];
  for (const { target, tag } of jobs) {
    const runc = target === 'runc';
    // runc-<tag>: a runc tag (v1.1.4) can also be a Kubernetes tag; folders and ids must not meet.
    const name = runc ? `runc-${tag}` : tag;
    const repo = runc ? r.runc?.repo : r.repo;
    const registry = runc ? r.runc?.registry : r.registry;
    const image = runc ? r.runc?.image : r.image;
    let patch: string | null = null;
    if (r.patches !== undefined) {
      patch = reviewedPatchPath(r.patches, tag, DEFAULT_RECIPE_FACTS.id, mode);
      if (!existsSync(path.resolve(r.cwd, patch))) missing.push(patch);
    }
    for (const platform of platforms) {
      const [os, arch] = platform.split('/');
      const out = `_kpatch/${name}`;
      const args = ['build', runc ? '--runc' : '--k8s', tag, '--platform', platform, '--mode', mode, '--out', out];
      if (repo !== undefined) args.push('--repo', repo);
      if (registry !== undefined) args.push('--registry', registry);
      if (image !== undefined) args.push('--image', image);
      if (r.runner !== undefined) args.push('--runner', r.runner);
      if (patch) args.push('--patch', patch);
      if (r.packages?.length) args.push('--package', r.packages.join(','));
      const odd = args.find((a) => !PLAIN_WORD.test(a));
      if (odd !== undefined) {
        fail('usage', {
          where: JSON.stringify(odd),
          detail: 'a matrix argument may not hold spaces, quotes or shell syntax: CI splits the command line on spaces',
        });
      }
      entries.push({
        target,
        tag,
        platform,
        os,
        arch,
        id: `${name}-${os}-${arch}`,
        out,
        patch,
        args,
        command: ['kpatch', ...args].join(' '),
        // Only with --package, so a matrix without packaging prints what it always printed.
        ...(r.packages?.length ? { packages: r.packages.join(',') } : {}),
      });
    }
  }
  if (missing.length) {
    fail('usage', {
      where: `--patches ${r.patches}`,
      detail: [`no reviewed patch for ${missing.length} tag(s):`, ...missing.map((m) => `  ${m}`)].join('\n'),
      hint: `write them with \`kpatch diff --k8s TAG --mode ${mode} --write ${r.patches}\` (--runc TAG for runc), review and commit them, or drop those tags`,
    });
  }
  return entries;
}
