/**
 * The matrix in each CI engine's own form: GitHub Actions reads
 * `{"include": [...]}` through `fromJSON` into `strategy.matrix`; GitLab CI
 * reads a `parallel: matrix:` list of variable sets; `json` is kpatch's own
 * versioned document for other tools.
 */
import { fail } from '../errors.js';
import type { MatrixEntry } from './buildMatrix.js';

/** Version of the `matrix --format json` document. */
export const MATRIX_SCHEMA_VERSION = 1;

/** Output formats. */
export const MATRIX_FORMATS = ['github', 'gitlab', 'json'] as const;

/** One of {@link MATRIX_FORMATS}. */
export type MatrixFormat = (typeof MATRIX_FORMATS)[number];

/** The engines' limits: a bigger matrix is refused by the engine, so refuse it here with a clearer message. */
const LIMITS: Record<MatrixFormat, number | undefined> = { github: 256, gitlab: 200, json: undefined };

/** Renders the entries; ends with a newline. */
export function renderMatrix(entries: MatrixEntry[], format: MatrixFormat, commandLine: string): string {
  const limit = LIMITS[format];
  if (limit !== undefined && entries.length > limit) {
    fail('usage', { where: `--format ${format}`, detail: `${entries.length} jobs; ${format === 'github' ? 'GitHub Actions' : 'GitLab CI'} runs at most ${limit} from one matrix: split the tags over several matrices` });
  }
  if (format === 'github') {
    // One line: it goes into $GITHUB_OUTPUT as `matrix=<json>`. No schemaVersion here:
    // every top-level key of a GitHub matrix is a matrix dimension.
    return JSON.stringify({ include: entries }) + '\n';
  }
  if (format === 'json') return JSON.stringify({ schemaVersion: MATRIX_SCHEMA_VERSION, include: entries }, null, 2) + '\n';
  return gitlab(entries, commandLine);
}

/**
 * GitLab variables are strings; values are written as JSON strings, which are
 * valid YAML double-quoted scalars, so no value can break the YAML. GitLab
 * names each job after all its values (at most 255 characters), so only
 * what a job needs is there: no id (GitLab names artifacts per job).
 */
function gitlab(entries: MatrixEntry[], commandLine: string): string {
  const q = (s: string) => JSON.stringify(s);
  const lines = [
    `# ${commandLine}`,
    `# ${entries.length} job(s). Put this under a job; its script runs: npx kpatch $KPATCH_ARGS`,
    'parallel:',
    '  matrix:',
  ];
  for (const e of entries) {
    lines.push(
      `    - KPATCH_TAG: ${q(e.tag)}`,
      `      KPATCH_PLATFORM: ${q(e.platform)}`,
      `      KPATCH_OUT: ${q(e.out)}`,
      `      KPATCH_ARGS: ${q(e.args.join(' '))}`,
    );
  }
  return lines.join('\n') + '\n';
}
