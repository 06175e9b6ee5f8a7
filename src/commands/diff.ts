/**
 * `kpatch diff`: print the fix as a unified diff that `git apply` accepts
 * (coloured on a terminal); with `--write DIR`, write it as the reviewed patch
 * `DIR/<tag>/0001-<recipe>-<mode>.patch` (the same bytes `build` puts in
 * `<out>/patches/`); with `--check DIR`, compare that file with a freshly
 * generated one and exit 1 with the difference when they drift apart.
 */
import type { Command } from './command.js';
import { SUMMARIES } from './summaries.js';
import { EXIT, fail } from '../errors.js';
import { nothingToDo, prepareRewrite, refuseOtherMode } from '../rewrite/prepareRewrite.js';
import { editFrom, withModeOption } from './flags.js';
import { DEFAULT_RECIPE_FACTS } from '../recipeFacts.js';
import type { EditFix } from '../rewrite/fix.js';
import { openSource, type SourceSpec } from '../source/openSource.js';
import { checkSourceArgs, sourceFlag, sourceFrom, withSourceOptions } from './sourceOptions.js';

/** Version of the `diff --json` document. */
export const DIFF_SCHEMA_VERSION = 1;

/** What `kpatch diff` runs with. */
export interface DiffOptions {
  source: SourceSpec;
  /** The edit to show (`--mode`, or the settings file's mode). */
  fix: EditFix;
  /** `--write DIR`: file the reviewed patch there. */
  write?: string;
  /** `--check DIR`: compare the reviewed patch there with a fresh one. */
  check?: string;
  json: boolean;
}

/** The `kpatch diff` command: flags, checks and handler (see the module comment and docs/commands/). */
export const diffCommand: Command<DiffOptions> = {
  ...SUMMARIES.diff,
  builder: (y) =>
    withModeOption(withSourceOptions(y), DEFAULT_RECIPE_FACTS, 'source')
      .option('write', {
        type: 'string',
        requiresArg: true,
        describe: 'write the patch to DIR/<tag>/0001-<recipe>-<mode>.patch, for review and commit',
      })
      .option('check', {
        type: 'string',
        requiresArg: true,
        describe: 'compare DIR/<tag>/0001-<recipe>-<mode>.patch with a fresh one: exit 1 and show the difference when they differ',
      })
      .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON (schemaVersion 1)' }),
  check(args) {
    checkSourceArgs(args);
    if (args.write !== undefined && args.check !== undefined) fail('usage', { where: '--write and --check', detail: 'give one of them' });
    for (const f of ['write', 'check']) {
      if (args[f] !== undefined && (typeof args[f] !== 'string' || args[f] === ''))
        fail('usage', { where: `--${f}`, detail: 'give one folder, once' });
    }
  },
  options: (from) => ({
    source: sourceFrom(from),
    fix: editFrom(from, DEFAULT_RECIPE_FACTS),
    write: from.string('write'),
    check: from.string('check'),
    json: from.boolean('json'),
  }),
  async handler(opts, io) {
    const source = await openSource(opts.source, io);
    try {
      const mode = opts.fix.mode;
      const docFor = (report: { recipe: string; verdict: string }) => ({
        schemaVersion: DIFF_SCHEMA_VERSION,
        recipe: report.recipe,
        mode,
        verdict: report.verdict,
        source: { root: source.root, tag: source.tag ?? null, commit: source.commit ?? null, repo: source.repo ?? null },
      });
      if (opts.write !== undefined || opts.check !== undefined) {
        // A reviewed patch is made from the tag's content, not from the work tree (diffReview.ts).
        const { reviewPatch } = await import('./diffReview.js');
        return await reviewPatch(
          { source, mode, write: opts.write, check: opts.check, json: opts.json, docFor, sourceFlag: sourceFlag(opts.source) },
          io,
        );
      }
      const { report, changes } = await prepareRewrite(source.root, mode);
      refuseOtherMode(report, mode, source.root);
      const doc = docFor(report);
      // jsdiff is loaded only by the commands that render a diff (start-up time, see bench-scan).
      const { renderDiff } = await import('../engine/diff.js');
      const text = renderDiff(changes);
      if (opts.json) {
        io.stdout.write(JSON.stringify({ ...doc, files: changes.map((c) => c.path).sort(), diff: text }, null, 2) + '\n');
        return EXIT.ok;
      }
      if (changes.length === 0) io.stderr.write(`kpatch: ${nothingToDo(report, mode)}\n`);
      const { paintDiff, painter } = await import('../colour.js');
      io.stdout.write(paintDiff(text, painter(io.stdout, io.env)));
      return EXIT.ok;
    } finally {
      await source.release();
    }
  },
};
