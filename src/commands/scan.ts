/** `kpatch scan`: report every kmem-enabling call site in a tree and the verdict. */
import type { Command } from './command.js';
import { SUMMARIES } from './summaries.js';
import { EXIT, fail } from '../errors.js';
import { loadTargets } from '../engine/loadTargets.js';
import type { ScanReport } from '../engine/recipe.js';
import type { Io } from '../io.js';
import { DEFAULT_RECIPE } from '../recipes.js';
import { checkSourceArgs, sourceFrom, withSourceOptions } from './sourceOptions.js';
import { openSource, type SourceSpec, type SourceTree } from '../source/openSource.js';

/** Version of the `scan --json` document. */
export const SCAN_SCHEMA_VERSION = 1;

/** What `kpatch scan` runs with. */
export interface ScanOptions {
  source: SourceSpec;
  json: boolean;
  /** `--fail-on affected`: exit 1 when the tree is affected. */
  failOnAffected: boolean;
}

/** The `kpatch scan` command: flags, checks and handler (see the module comment and docs/commands/). */
export const scanCommand: Command<ScanOptions> = {
  ...SUMMARIES.scan,
  builder: (y) =>
    withSourceOptions(y)
      .option('json', { type: 'boolean', default: false, describe: 'print the findings as JSON' })
      .option('fail-on', { type: 'string', choices: ['affected'], describe: 'exit 1 when the tree is affected (for CI)' }),
  check: checkSourceArgs,
  options: (from) => ({ source: sourceFrom(from), json: from.boolean('json'), failOnAffected: from.string('fail-on') === 'affected' }),
  async handler(opts, io) {
    const source = await openSource(opts.source, io);
    try {
      const targets = await loadTargets(source.root, DEFAULT_RECIPE);
      const report = DEFAULT_RECIPE.scan(targets.files);
      if (opts.json) io.stdout.write(JSON.stringify(scanJson(report, source), null, 2) + '\n');
      else printScan(report, source, io);
      if (opts.failOnAffected && report.verdict === 'affected') {
        fail('scan_affected', { where: source.root });
      }
      return EXIT.ok;
    } finally {
      await source.release();
    }
  },
};

/** The `scan --json` document. */
export function scanJson(report: ScanReport, source: SourceTree): Record<string, unknown> {
  return {
    schemaVersion: SCAN_SCHEMA_VERSION,
    recipe: report.recipe,
    verdict: report.verdict,
    ...report.facts,
    source: { root: source.root, tag: source.tag, commit: source.commit, repo: source.repo },
    files: report.files,
    sites: report.sites,
    markers: report.markers,
  };
}

function printScan(report: ScanReport, source: SourceTree, io: Io): void {
  const w = (s: string) => io.stdout.write(s + '\n');
  w(
    `${report.recipe}: ${report.verdict}  (${source.tag ?? source.root}; ${report.files.length} file(s) read, ${report.sites.length} call site(s))`,
  );
  for (const s of report.sites) w(`  ${s.file}:${s.line}:${s.column}  ${s.function}  ${s.status}  (${s.reason ?? ''})`);
  for (const m of report.markers) w(`  ${m.file}:${m.line}  kpatch marker (${m.mode})`);
  if (report.files.length === 0) {
    io.stderr.write(
      'kpatch: warning: no runc cgroups code found under this folder; is it the root of a Kubernetes or runc tree? (a symlinked vendor/ is not followed)\n',
    );
  }
  for (const line of DEFAULT_RECIPE.renderFacts(report)) w(line);
  if (report.verdict === 'affected') w('next: `kpatch diff` to review the fix, `kpatch patch` to apply it');
}
