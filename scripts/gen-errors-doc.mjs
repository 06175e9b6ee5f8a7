#!/usr/bin/env node
/**
 * Writes docs/errors.md from the error catalogue in src/errors.ts, so the page
 * users read and the errors kpatch prints can never disagree.
 *
 *   npm run docs:errors                          compile, then regenerate docs/errors.md
 *   node scripts/gen-errors-doc.mjs --check      exit 1 (and say what to run) when the page is stale
 *
 * The catalogue gives each error's id, exit code, title and hint. What the
 * catalogue cannot say (when exactly the error happens, with examples) is the
 * WHEN table below: one line per id, kept next to the generator so a new id
 * without one is visible in review. The script reads the compiled catalogue
 * (dist/src/errors.js), which `npm run build` (or the test setup) writes;
 * `renderErrorsDoc` takes the catalogue as an argument so tests can pass one.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The page this script owns. */
export const ERRORS_DOC = path.join(ROOT, 'docs/errors.md');
/** The command that regenerates the page, as error messages and the page itself name it. */
export const REGENERATE = 'npm run docs:errors';

/** When each error happens, beyond its title: the "when" column of the page. */
export const WHEN = {
  usage: 'unknown flag, missing value, a flag given twice, an empty path, or a bad combination',
  src_missing: '`--src` does not exist',
  src_not_dir: '`--src` is a file',
  src_unreadable: 'a folder or file of the tree cannot be read',
  parse_error: 'a target Go file has a syntax error',
  unsupported_shape:
    'an unguarded call in a statement the recipe cannot rewrite safely, the function used as a value (not called), a guard whose parameter name is shadowed at the call, or a patched package that does not compile',
  verify_failed: 'a rewritten file would not parse (a kpatch bug; nothing written)',
  dirty_files: 'target files have uncommitted changes (use `--allow-dirty`)',
  unsafe_path: 'a target file is a symbolic link (patch), or a target file or folder links out of the tree',
  unsafe_name:
    'a file to be patched has a control character (tab, newline), a quote or a backslash in its name: a git-style patch could only name it quoted, so `diff` and `build` refuse it',
  write_failed: 'a patched file could not be written; the others were restored',
  hard_linked: '`patch`/`build --src`: a target file has other hard links; a rename would split them (nothing written)',
  target_changed: '`patch`/`build --src`: a target file changed (or was replaced) after kpatch read it; nothing written',
  mode_mismatch: '`patch`/`diff --mode M` on a tree already patched in another mode; restore the files to switch',
  scan_affected: '`scan --fail-on affected` on an affected tree',
  tag_invalid: 'not a release tag (`v1.12.4`, `1.12.4`, `v1.13.0-rc.1`; with `--runc`: `v1.0.0-rc5`, `v1.1.0-rc.1`, `v1.1.4`)',
  tag_unknown: 'the tag is not in the repository; the closest ones are listed',
  tag_not_commit: 'the tag points to something other than a commit',
  repo_missing: 'nothing is at that URL or path',
  cache_error: 'the cache folder cannot be created or written',
  repo_unreachable: 'the repository cannot be reached',
  git_failed: 'git failed; its output is shown',
  tool_missing: 'a required program (git, go, podman, docker) is not installed',
  host_tools_missing:
    "`build --runner local` (or `auto` choosing the host): programs the release's make runs are not on PATH; every one is named with its Debian package, before anything is fetched or patched",
  out_exists: 'the output folder exists (use `--force`)',
  out_unwritable:
    'the output folder cannot be written (permissions, full disk; `diff --write` into a read-only folder, through a file or `/dev/null`, onto a folder): nothing is left behind',
  build_failed: "make failed; the log tail and the full log's path are shown",
  artifact_missing: 'the build finished but an expected kubelet is missing',
  engine_unavailable: 'docker or podman is installed but does not answer (`docker info` / `podman info` fails); its message is shown',
  image_unavailable:
    "no candidate build image is local and none could be pulled; every reference tried is listed with the engine's message; nothing was patched",
  image_unusable: '`--image` names an image without `make` or `go` on its PATH (or without a shell); checked before anything is patched',
  container_failed: "the build container did not start (engine exit 125-127); the engine's message is shown",
  kube_cross_version: 'the tree has no readable `build/build-image/cross/VERSION`, or the Kubernetes version is unknown; use `--image`',
  runc_image_unknown: "runc build in a container: the tree's `Dockerfile` has no `FROM golang:<version>` line; use `--image`",
  node_root_missing: '`doctor --root` does not exist',
  node_root_not_dir: '`doctor --root` is a file',
  node_root_unrecognised: '`doctor --root` has neither `proc` nor `sys` in it',
  node_binary_missing: '`doctor --kubelet`/`--runc` does not exist or is not a file',
  node_binary_unreadable: '`doctor --kubelet`/`--runc` cannot be read (permissions)',
  nokmem_unsupported:
    '`build --mode nokmem` on a release whose vendored runc has no `nokmem` build constraint (1.8-1.13), or where one vendored copy of runc lacks it; the files or copies are listed',
  build_unverified:
    'the build finished but its kubelet lacks the proof of the fix (no nokmem string / `-tags=nokmem`, or a patched file changed during the build); no output',
  artifact_dir_missing: '`verify DIR`: the folder does not exist or is a file',
  artifacts_mismatch:
    '`verify DIR`: some check failed (a file, a record, a manifest that breaks its schema, a name listed twice, a name that is not UTF-8, a mode or proof the binaries do not bear out, a link, FIFO or device in the folder); one `FAIL <file>: ...` line per failure. `sign DIR`: the same checks of the files and records failed, so nothing was signed',
  config_invalid:
    "`kpatch.config.json` (or package.json's `kpatch` key) is not JSON, has an unknown key or a bad value, or both files set one",
  patch_does_not_apply:
    "`build --patch FILE`: `git apply --check` refuses the reviewed patch on this tree; git's message is shown; nothing built",
  patch_incomplete: '`build --patch FILE`: the reviewed patch applies but leaves an unguarded call; nothing built',
  patch_drift:
    '`diff --check DIR`: the committed patch differs from a freshly generated one (or is missing, or is no longer needed); the difference is printed',
  output_failed: 'standard output could not be written (full disk, a closed file): the output is incomplete',
  interrupted: 'Ctrl-C; 143 for SIGTERM and 129 for SIGHUP (`interrupted: by SIGTERM`)',
  key_unreadable:
    '`build --sign-key`, `sign --sign-key` or `verify --key`: the key file is missing, not PEM, encrypted, not an EC P-256 key, or the wrong half (private for signing, public for verify)',
  name_not_utf8: '`build`: a file in the output folder has a name that is not UTF-8, which SHA256SUMS cannot record; nothing written',
  sums_missing: '`kpatch sign DIR`: the folder has no SHA256SUMS to sign',
  internal: 'a kpatch bug',
};

/** The exit codes, with what each means for every command. Each value of EXIT must have a row. */
const EXIT_ROWS = [
  [0, 'success (for `scan`, whatever the verdict; for `diff --check`, the reviewed patch is up to date; for `doctor`, verdict `ok`)'],
  [
    1,
    'operational failure: the input was understood but the work could not be done; also `scan --fail-on affected` on an affected tree, `diff --check` on drift, `verify` on a failed check, `doctor` on `at-risk`/`leaking`',
  ],
  [2, 'usage error: bad flag, value or combination; nothing was started or written'],
  [130, 'interrupted (Ctrl-C, SIGINT); temporary files were removed, child processes stopped'],
  [143, "stopped by SIGTERM (`kill`, systemd, a CI job's timeout): the same clean-up as Ctrl-C"],
  [129, 'stopped by SIGHUP (the terminal or SSH session closed): the same clean-up as Ctrl-C'],
];

/** Text ending in a full stop, without doubling one. */
function sentence(text) {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/** A table cell: pipes escaped, line breaks flattened. */
function cell(text) {
  return String(text)
    .replace(/\|/g, '\\|')
    .replace(/\s*\n\s*/g, ' ');
}

/**
 * The whole text of docs/errors.md for a catalogue: the exit codes, then one
 * row per error id in catalogue order, then one section per id (its anchor is
 * the id, so `docs/errors.md#tag_invalid` links to it).
 * @param {{ ERRORS: Record<string, {title: string, exit: number, hint: string}>, EXIT: Record<string, number> }} catalogue
 * @returns {string}
 */
export function renderErrorsDoc({ ERRORS, EXIT }) {
  const documented = new Set(EXIT_ROWS.map(([code]) => code));
  const undocumented = Object.values(EXIT).filter((code) => !documented.has(code));
  if (undocumented.length) throw new Error(`scripts/gen-errors-doc.mjs: no row in EXIT_ROWS for exit code(s) ${undocumented.join(', ')}`);
  const stale = Object.keys(WHEN).filter((id) => !(id in ERRORS));
  if (stale.length) throw new Error(`scripts/gen-errors-doc.mjs: WHEN names ids that are not in src/errors.ts: ${stale.join(', ')}`);
  const lines = [
    '# Exit codes and errors',
    '',
    `<!-- Generated from src/errors.ts by scripts/gen-errors-doc.mjs: do not edit; run \`${REGENERATE}\`. -->`,
    '',
    '| code | meaning |',
    '|---|---|',
    ...EXIT_ROWS.map(([code, meaning]) => `| ${code} | ${cell(meaning)} |`),
    '',
    'A second signal exits at once, without clean-up. Output streams: when the reader of stdout goes away',
    '(`kpatch scan ... | head -1`, EPIPE) kpatch stops writing and finishes the command as usual, temporary',
    "trees removed, with the command's own exit code and no message; when a write to stdout fails (a full",
    'disk, `/dev/full`), the run exits 1 with `output_failed` even if the command itself succeeded, so a',
    'truncated document is never taken for a whole one.',
    '',
    'Every error prints `kpatch: error[<id>]: <title>: <where>`, details, and a hint; with `--json`, stdout',
    'stays empty and the same error goes to stderr. Ids are stable: scripts may match on them.',
    '',
    '| id | exit | title | when |',
    '|---|---|---|---|',
  ];
  for (const [id, spec] of Object.entries(ERRORS)) {
    lines.push(`| [\`${id}\`](#${id}) | ${spec.exit} | ${cell(spec.title)} | ${cell(WHEN[id] ?? '')} |`);
  }
  lines.push('', '## Each error', '');
  for (const [id, spec] of Object.entries(ERRORS)) {
    lines.push(`### ${id}`, '', `Exit ${spec.exit}: ${spec.title}.`, '');
    if (WHEN[id]) lines.push(`When: ${sentence(WHEN[id])}`, '');
    lines.push(`Hint printed: ${sentence(spec.hint)}`, '');
  }
  return lines.join('\n');
}

/** Loads the compiled catalogue, or says how to make it. */
async function loadCatalogue() {
  const compiled = path.join(ROOT, 'dist/src/errors.js');
  if (!existsSync(compiled)) {
    process.stderr.write('gen-errors-doc: dist/src/errors.js is missing; run `npm run build` first (or `npm run docs:errors`)\n');
    process.exit(2);
  }
  return import(pathToFileURL(compiled).href);
}

async function main(argv) {
  const check = argv.includes('--check');
  const fileArg = argv.indexOf('--file');
  const file = fileArg >= 0 ? path.resolve(argv[fileArg + 1]) : ERRORS_DOC;
  const missingWhen = [];
  const catalogue = await loadCatalogue();
  for (const id of Object.keys(catalogue.ERRORS)) if (!WHEN[id]) missingWhen.push(id);
  const text = renderErrorsDoc(catalogue);
  const current = existsSync(file) ? readFileSync(file, 'utf8') : null;
  if (check) {
    if (current === text) return 0;
    process.stderr.write(
      `${path.relative(process.cwd(), file) || file} is not what src/errors.ts generates` +
        `${current === null ? ' (it is missing)' : ''}; run \`${REGENERATE}\` and commit the result\n`,
    );
    return 1;
  }
  if (missingWhen.length)
    process.stderr.write(`gen-errors-doc: no WHEN line yet for ${missingWhen.join(', ')} (add one in scripts/gen-errors-doc.mjs)\n`);
  if (current !== text) {
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, text);
    renameSync(tmp, file);
    process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
  }
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
