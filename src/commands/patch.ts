/** `kpatch patch`: apply the fix in place, all files or none. */
import type { Command } from './command.js';
import { SUMMARIES } from './summaries.js';
import { EXIT } from '../errors.js';
import { compileCheck, type CompileCheck } from '../engine/compileCheck.js';
import { nothingToDo, prepareRewrite, refuseOtherMode, writeRewrite } from '../rewrite/prepareRewrite.js';
import { editFrom, withModeOption } from './flags.js';
import { DEFAULT_RECIPE_FACTS } from '../recipeFacts.js';
import { checkSourceArgs, sourceFrom, withSourceOptions } from './sourceOptions.js';
import { openSource, type SourceSpec } from '../source/openSource.js';
import type { EditFix } from '../rewrite/fix.js';

/** Version of the `patch --json` document. */
export const PATCH_SCHEMA_VERSION = 1;

/** What `kpatch patch` runs with. */
export interface PatchOptions {
  source: SourceSpec;
  /** The edit to make (`--mode`, or the settings file's mode). */
  fix: EditFix;
  /** `--allow-dirty`: patch files with uncommitted changes too. */
  allowDirty: boolean;
  json: boolean;
}

/** The `kpatch patch` command: flags, checks and handler (see the module comment and docs/commands/). */
export const patchCommand: Command<PatchOptions> = {
  ...SUMMARIES.patch,
  builder: (y) =>
    withModeOption(withSourceOptions(y), DEFAULT_RECIPE_FACTS, 'source')
      .option('allow-dirty', {
        type: 'boolean',
        default: false,
        describe: 'patch files even if they have uncommitted changes',
      })
      .option('json', { type: 'boolean', default: false, describe: 'print what was patched as JSON (schemaVersion 1)' }),
  check: checkSourceArgs,
  options: (from) => ({
    source: sourceFrom(from),
    fix: editFrom(from, DEFAULT_RECIPE_FACTS),
    allowDirty: from.boolean('allow-dirty'),
    json: from.boolean('json'),
  }),
  async handler(opts, io) {
    const source = await openSource(opts.source, io);
    try {
      const mode = opts.fix.mode;
      const { targets, report, changes } = await prepareRewrite(source.root, mode);
      const json = (files: string[], compiled?: CompileCheck) =>
        io.stdout.write(
          JSON.stringify(
            {
              schemaVersion: PATCH_SCHEMA_VERSION,
              recipe: report.recipe,
              mode,
              verdictBefore: report.verdict,
              root: source.root,
              tag: source.tag ?? null,
              files,
              sites: report.sites,
              ...(compiled ? { compileCheck: compiled } : {}),
            },
            null,
            2,
          ) + '\n',
        );
      refuseOtherMode(report, mode, source.root);
      if (changes.length === 0) {
        if (opts.json) json([]);
        else io.stdout.write(`kpatch: ${nothingToDo(report)}\n`);
        return EXIT.ok;
      }
      // A tree whose patched package does not compile is never reported as patched.
      const compiled = await compileCheck(source.root, targets.files, changes, io.env, io.signal);
      if (compiled.status === 'skipped') io.stderr.write(`kpatch: warning: ${compiled.detail}\n`);
      await writeRewrite(source.root, targets.symlinks, changes, {
        checkDirty: !opts.allowDirty,
        what: 'patch edits the tree in place',
        io,
      });
      if (opts.json) {
        json(changes.map((c) => c.path).sort(), compiled);
        return EXIT.ok;
      }
      const sites = report.sites.filter((s) => s.status === 'unguarded').length;
      io.stdout.write(`kpatch: patched ${sites} call site(s) in ${changes.length} file(s) (mode ${mode}):\n`);
      for (const c of changes) io.stdout.write(`  ${c.path}\n`);
      if (compiled.status === 'passed') io.stdout.write(`kpatch: ${compiled.detail}\n`);
      return EXIT.ok;
    } finally {
      await source.release();
    }
  },
};
