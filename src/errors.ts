/**
 * Every error a kpatch user can see, in one place.
 *
 * Each entry has a stable id (shown in the message and in `--json` output), a
 * title, the exit code it produces and a hint that says what to do. Code throws
 * `fail('ID', { where, detail })`; the CLI prints the message once and exits
 * with the entry's code. docs/errors.md is generated from this list
 * (`npm run docs:errors`) and a test fails when it is stale, so a new error
 * cannot ship undocumented.
 */

/** Process exit codes. Stable: scripts and CI depend on them. */
export const EXIT = {
  /** The command did what was asked (scan: whatever the verdict). */
  ok: 0,
  /** Operational failure: the input was fine but the work could not be done. */
  failure: 1,
  /** Usage error: bad flag, bad value, bad combination; nothing was started. */
  usage: 2,
  /** Interrupted by the user (SIGINT, Ctrl-C): 128 + 2, as a shell reports it. */
  interrupted: 130,
  /** Stopped by SIGTERM (kill, systemd, a CI job's timeout), after the same clean-up as Ctrl-C: 128 + 15. */
  terminated: 143,
  /** Stopped by SIGHUP (the terminal or SSH session closed), after the same clean-up: 128 + 1. */
  hangup: 129,
} as const;

/** The exit code for each signal kpatch stops on; every one gets the same clean-up. */
export const SIGNAL_EXIT: Readonly<Record<string, number>> = { SIGINT: EXIT.interrupted, SIGTERM: EXIT.terminated, SIGHUP: EXIT.hangup };

/** One catalogue entry. */
export interface ErrorSpec {
  /** Short title, shown first. */
  title: string;
  /** Exit code the process ends with. */
  exit: number;
  /** What the user should do about it. */
  hint: string;
}

/** The catalogue. Ids are stable; never reuse one for a different meaning. */
export const ERRORS = {
  usage: {
    title: 'invalid command line',
    exit: EXIT.usage,
    hint: 'run `kpatch <command> --help` for the accepted flags',
  },
  src_missing: {
    title: 'source folder not found',
    exit: EXIT.usage,
    hint: 'pass --src with an existing folder (a Kubernetes or runc checkout)',
  },
  src_not_dir: {
    title: 'source path is not a folder',
    exit: EXIT.usage,
    hint: 'pass --src with the root folder of a checkout, not a file',
  },
  src_unreadable: {
    title: 'cannot read the source tree',
    exit: EXIT.failure,
    hint: 'check the permissions of the folder and files named above',
  },
  parse_error: {
    title: 'Go file does not parse',
    exit: EXIT.failure,
    hint: 'the file has a syntax error; fix or restore it (git checkout -- FILE) and run again',
  },
  unsupported_shape: {
    title: 'call site has a shape the recipe cannot rewrite safely',
    exit: EXIT.failure,
    hint: 'edit that statement by hand (see the recipe README), or report the shape; nothing was written',
  },
  verify_failed: {
    title: 'rewritten file would not parse',
    exit: EXIT.failure,
    hint: 'this is a kpatch bug: please report it with the file named above; nothing was written',
  },
  dirty_files: {
    title: 'target files have uncommitted changes',
    exit: EXIT.failure,
    hint: 'commit or stash your edits first, or pass --allow-dirty to patch on top of them',
  },
  unsafe_path: {
    title: 'target file is a symbolic link',
    exit: EXIT.failure,
    hint: 'kpatch only edits regular files inside the tree; replace the link with the file it points to',
  },
  unsafe_name: {
    title: 'file name that a patch cannot carry',
    exit: EXIT.failure,
    hint: 'rename the file (Go needs no such name) and run again; nothing was written',
  },
  write_failed: {
    title: 'could not write a patched file',
    exit: EXIT.failure,
    hint: 'check free space and permissions; files already replaced were restored',
  },
  hard_linked: {
    title: 'target file has other hard links',
    exit: EXIT.failure,
    hint: 'kpatch writes a new file and renames it into place, which would split the file from its other names; give it a name of its own first (cp -p FILE FILE.new && mv FILE.new FILE) and run again',
  },
  target_changed: {
    title: 'target file changed while kpatch worked',
    exit: EXIT.failure,
    hint: 'something else edited the file after kpatch read it; let that finish (or stop it) and run kpatch again',
  },
  mode_mismatch: {
    title: 'tree is already patched in another mode',
    exit: EXIT.failure,
    hint: 'the call is fixed either way; to switch modes, restore the patched files (git checkout -- FILE) and patch again with the mode you want',
  },
  scan_affected: {
    title: 'tree is affected',
    exit: EXIT.failure,
    hint: 'run `kpatch patch` (or `kpatch build`) to fix it; --fail-on affected made this an error',
  },
  tag_invalid: {
    title: 'not a release tag',
    exit: EXIT.usage,
    hint: 'give a tag like v1.12.4, 1.12.4 or v1.13.0-rc.1',
  },
  tag_unknown: {
    title: 'tag not found in the repository',
    exit: EXIT.failure,
    hint: 'check the tag name; the closest release tags are listed above',
  },
  tag_not_commit: {
    title: 'tag does not point to a commit',
    exit: EXIT.failure,
    hint: 'the tag names a tree or blob; use a release tag that points to a commit',
  },
  repo_unreachable: {
    title: 'cannot reach the repository',
    exit: EXIT.failure,
    hint: 'check the URL, your network and credentials; offline, work on a checkout with --src DIR, or point --repo at a local mirror (a path or file:// URL); tags already in the cache need no network',
  },
  repo_missing: {
    title: 'repository not found',
    exit: EXIT.failure,
    hint: 'nothing is at that URL or path; check --repo (a mirror must hold the kubernetes repository)',
  },
  cache_error: {
    title: 'cannot use the source cache',
    exit: EXIT.failure,
    hint: 'check free space and permissions of the cache folder (--cache-dir, KPATCH_CACHE_DIR); deleting it is always safe',
  },
  git_failed: {
    title: 'git failed',
    exit: EXIT.failure,
    hint: 'see the git output above; the cache was left usable',
  },
  tool_missing: {
    title: 'required program not found',
    exit: EXIT.failure,
    hint: 'install it (see the README, "Install") and make sure it is on PATH',
  },
  host_tools_missing: {
    title: 'the host lacks programs the build runs',
    exit: EXIT.failure,
    hint: "install the packages named above, or build in the release's image with --runner podman or docker; nothing was fetched or patched",
  },
  node_root_missing: {
    title: 'node root not found',
    exit: EXIT.usage,
    hint: 'pass --root with an existing folder: / on the node itself, or a folder holding copies of its /proc and /sys',
  },
  node_root_not_dir: {
    title: 'node root is not a folder',
    exit: EXIT.usage,
    hint: "pass --root with a folder (the node's /, or a copy of its /proc and /sys), not a file",
  },
  node_root_unrecognised: {
    title: 'node root has neither proc nor sys',
    exit: EXIT.usage,
    hint: "point --root at the node's / (or a folder with proc/ and sys/fs/cgroup/ in it); doctor reads <root>/proc and <root>/sys",
  },
  node_binary_missing: {
    title: 'binary not found',
    exit: EXIT.usage,
    hint: 'pass --kubelet / --runc with the path of the binary file, e.g. --kubelet "$(command -v kubelet)"',
  },
  node_binary_unreadable: {
    title: 'cannot read the binary',
    exit: EXIT.failure,
    hint: "check the file's permissions (run doctor as root); the binary is only read, never run",
  },
  out_exists: {
    title: 'output folder already exists',
    exit: EXIT.failure,
    hint: 'pass --force to replace it, or choose another --out; the existing folder was left as it is',
  },
  out_unwritable: {
    title: 'cannot write the output folder',
    exit: EXIT.failure,
    hint: 'check that the folder is writable and the disk has room; no partial output was left',
  },
  build_failed: {
    title: 'the build failed',
    exit: EXIT.failure,
    hint: 'read the log tail above and the full log named there; no output folder was written',
  },
  artifact_missing: {
    title: 'the build did not produce an expected binary',
    exit: EXIT.failure,
    hint: 'check that make wrote the binary where the tree puts it (kubelet: _output/local/bin/<os>/<arch>/, runc: the tree root); see the full log',
  },
  engine_unavailable: {
    title: 'container engine is installed but not answering',
    exit: EXIT.failure,
    hint: 'start the engine (e.g. `systemctl start docker`), check you may use it (docker group, rootless podman set-up), or pick another with --runner',
  },
  image_unavailable: {
    title: 'build image not available',
    exit: EXIT.failure,
    hint: 'copy the image to a mirror you can reach and pass --registry HOST/PATH (several, comma-separated, are tried in order) or --image REF, or load it (`podman load` / `docker load`) under one of the names tried; nothing was patched or built',
  },
  image_unusable: {
    title: 'build image lacks make or Go',
    exit: EXIT.failure,
    hint: "name an image with make and go on its PATH (the release's kube-cross, or a golang image for runc), or leave out --image; nothing was patched or built",
  },
  container_failed: {
    title: 'build container did not start',
    exit: EXIT.failure,
    hint: "see the engine's message above; check the image has make and Go, and the engine's own set-up",
  },
  kube_cross_version: {
    title: 'cannot tell which kube-cross image this tree builds with',
    exit: EXIT.failure,
    hint: 'name the build image with --image REF (or use --runner local)',
  },
  runc_image_unknown: {
    title: 'cannot tell which golang image this runc tree builds with',
    exit: EXIT.failure,
    hint: 'name the build image with --image REF (or use --runner local)',
  },
  nokmem_unsupported: {
    title: 'this release cannot be fixed with the nokmem build tag',
    exit: EXIT.usage,
    hint: 'use --mode guard (the default) or --mode remove, or --mode auto to let kpatch choose; nothing was built',
  },
  build_unverified: {
    title: 'the build does not carry the fix',
    exit: EXIT.failure,
    hint: 'the build tag or the patched source did not reach the compiler (see above); no output folder was written',
  },
  artifact_dir_missing: {
    title: 'artifact folder not found',
    exit: EXIT.usage,
    hint: 'pass the folder kpatch build wrote (its --out, e.g. ./_kpatch/v1.12.4)',
  },
  artifacts_mismatch: {
    title: 'the artifact folder does not verify',
    exit: EXIT.failure,
    hint: 'each FAIL line above names the file and what differs; do not ship these artifacts, rebuild them',
  },
  config_invalid: {
    title: 'the settings file is not valid',
    exit: EXIT.usage,
    hint: 'fix the file named above (see docs/commands/config.md); `kpatch config` shows the settings in effect',
  },
  patch_does_not_apply: {
    title: 'the reviewed patch does not apply cleanly',
    exit: EXIT.failure,
    hint: 'the release changed under the reviewed patch: regenerate it with `kpatch diff --k8s TAG --mode M --write DIR`, review it and retry; nothing was built',
  },
  patch_incomplete: {
    title: 'the reviewed patch leaves the tree affected',
    exit: EXIT.failure,
    hint: 'the patch applied but some call site is still unguarded (listed above): regenerate it with `kpatch diff --write`; nothing was built',
  },
  patch_drift: {
    title: 'the reviewed patch differs from the one kpatch generates now',
    exit: EXIT.failure,
    hint: 'read the difference above; if it is right, rewrite the file with `kpatch diff --k8s TAG --mode M --write DIR`, review and commit it',
  },
  output_failed: {
    title: 'cannot write the output',
    exit: EXIT.failure,
    hint: 'standard output could not be written (full disk, a closed file): what was printed is incomplete; free space or redirect it elsewhere and run again',
  },
  interrupted: {
    title: 'interrupted',
    exit: EXIT.interrupted,
    hint: 'temporary files were removed; run the command again',
  },
  internal: {
    title: 'internal error',
    exit: EXIT.failure,
    hint: 'this is a kpatch bug: please report it with the command line and output',
  },
  key_unreadable: {
    title: 'cannot use the key',
    exit: EXIT.usage,
    hint: 'give an EC P-256 key in PEM: the private key for --sign-key (openssl ecparam -name prime256v1 -genkey -noout -out key.pem, or cosign generate-key-pair), its public key for verify --key (openssl ec -in key.pem -pubout -out pub.pem)',
  },
  package_tools_missing: {
    title: 'the host lacks the programs that make or read packages',
    exit: EXIT.failure,
    hint: 'install the Debian packages named above (scripts/install-deps.sh does), or leave out that format; nothing was written',
  },
  package_unsupported: {
    title: 'kpatch cannot make this package',
    exit: EXIT.usage,
    hint: 'packages are made for kubelets of Kubernetes 1.8-1.21 and for runc, built for linux/amd64, arm64, arm, ppc64le or s390x, from a folder whose manifest names the tag and its commit time; nothing was written',
  },
  package_failed: {
    title: 'making a package failed',
    exit: EXIT.failure,
    hint: "read the tool's words above; the artifact folder was left as it was",
  },
  package_signed: {
    title: 'the folder is signed, and packaging changes its SHA256SUMS',
    exit: EXIT.usage,
    hint: 'give --sign-key KEY to sign the new SHA256SUMS, or package before signing (kpatch sign DIR afterwards); nothing was written',
  },
  artifact_dir_invalid: {
    title: 'not an artifact folder kpatch wrote',
    exit: EXIT.usage,
    hint: 'give the --out folder of kpatch build (it has manifest.json and SHA256SUMS); nothing was written',
  },
  name_not_utf8: {
    title: 'a file name that is not UTF-8',
    exit: EXIT.failure,
    hint: 'kpatch records files by their UTF-8 names (SHA256SUMS, manifest.json); rename or remove the file named above and run again; nothing was written',
  },
  sums_missing: {
    title: 'nothing to sign: the folder has no SHA256SUMS',
    exit: EXIT.failure,
    hint: 'kpatch sign signs the SHA256SUMS that kpatch build writes into its --out; give that folder (nothing was written)',
  },
} as const satisfies Record<string, ErrorSpec>;

/** The id of a catalogue entry. */
export type ErrorId = keyof typeof ERRORS;

/** Where and what, beyond the catalogue's generic text. */
export interface ErrorContext {
  /** The file, path, URL or flag the error is about (with `:line` where known). */
  where?: string;
  /** One or more lines of specific detail. */
  detail?: string;
  /** Overrides the catalogue hint when a more specific one is known. */
  hint?: string;
}

/** An error meant for the user: carries its catalogue id, exit code and hint. */
export class KpatchError extends Error {
  readonly id: ErrorId;
  readonly exitCode: number;
  readonly where?: string;
  readonly detail?: string;
  readonly hint: string;

  constructor(id: ErrorId, ctx: ErrorContext = {}) {
    const spec: ErrorSpec = ERRORS[id];
    super(formatHeadline(spec.title, ctx));
    this.name = 'KpatchError';
    this.id = id;
    this.exitCode = spec.exit;
    this.where = ctx.where;
    this.detail = ctx.detail;
    this.hint = ctx.hint ?? spec.hint;
  }

  /** The full text printed to stderr: headline, detail, hint. */
  render(): string {
    const lines = [`kpatch: error[${this.id}]: ${this.message}`];
    if (this.detail) lines.push(...this.detail.split('\n').map((l) => `  ${l}`));
    lines.push(`  hint: ${this.hint}`);
    return lines.join('\n') + '\n';
  }

  /** A JSON-friendly view, for `--json` consumers. */
  toJSON(): Record<string, unknown> {
    return { error: this.id, message: this.message, where: this.where, detail: this.detail, hint: this.hint, exitCode: this.exitCode };
  }
}

function formatHeadline(title: string, ctx: ErrorContext): string {
  return ctx.where ? `${title}: ${ctx.where}` : title;
}

/** Throws the catalogue error `id`. Typed `never` so callers can use it in expressions. */
export function fail(id: ErrorId, ctx: ErrorContext = {}): never {
  throw new KpatchError(id, ctx);
}

/** True for errors that carry their own user-facing text. */
export function isKpatchError(e: unknown): e is KpatchError {
  return e instanceof KpatchError;
}
