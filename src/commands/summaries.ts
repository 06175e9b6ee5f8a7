/**
 * Each command's usage string and one-line summary, in the order
 * `kpatch --help` lists them. Apart from the command modules so that the
 * top-level help lists every command without loading any of them (each
 * brings its part of the library: git, jsdiff, the build pipeline), and so
 * that a command module and the list cannot disagree: each module spreads
 * its entry.
 */
import type { Command } from './command.js';

/** Usage string and summary of every command. */
export const SUMMARIES = {
  build: {
    command: 'build',
    describe: 'patch a release and build the fixed kubelet (or runc, with --runc), with checksums, manifest and the patch',
  },
  verify: {
    command: 'verify <dir>',
    describe: 'check an artifact folder from kpatch build: checksums, manifest, patch against the pristine tag, binary proofs',
  },
  sign: {
    command: 'sign <dir>',
    describe: 'sign the SHA256SUMS of an artifact folder from kpatch build (writes SHA256SUMS.sig, the form cosign sign-blob writes)',
  },
  package: {
    command: 'package <dir>',
    describe:
      'make RPM and DEB packages of an artifact folder, laid out as the official packages of that release, and add them to its records',
  },
  fetch: {
    command: 'fetch',
    describe: 'get a Kubernetes release into the tag cache and print the path of a fresh work tree of it',
  },
  scan: {
    command: 'scan',
    describe: 'find the calls that switch kmem accounting on, and say whether the tree is affected',
  },
  diff: {
    command: 'diff',
    describe: 'print the change a patch would make, as a git-style diff; --write files it for review, --check finds drift',
  },
  patch: {
    command: 'patch',
    describe: 'apply the fix to the tree in place (all files or none)',
  },
  doctor: {
    command: 'doctor',
    describe: 'check this node for the kmem memory-cgroup leak and whether the fix took (read-only)',
  },
  matrix: {
    command: 'matrix',
    describe:
      'print the CI job matrix (tag x platform, each with its exact kpatch build arguments) for GitHub Actions, GitLab CI or as JSON',
  },
  config: {
    command: 'config',
    describe: 'print the effective settings (flags, kpatch.config.json or package.json "kpatch", defaults) and where each came from',
  },
} as const satisfies Record<string, Pick<Command, 'command' | 'describe'>>;
