/**
 * The matrix in each CI engine's own form: GitHub Actions reads
 * `{"include": [...]}` through `fromJSON` into `strategy.matrix`; GitLab CI
 * reads a `parallel: matrix:` list of variable sets; `json` is kpatch's own
 * versioned document for other tools.
 *
 * Each engine caps one matrix (GitHub 256 jobs, GitLab 200), so a bigger one
 * is split into shards, one matrix per shard in the format's own framing:
 * GitHub one JSON line per shard, GitLab one YAML document per shard. A matrix
 * that fits in one shard prints exactly what it printed before sharding, so
 * workflows written for it keep working.
 */
import { fail } from '../errors.js';
import type { MatrixEntry } from './buildMatrix.js';

/** Version of the `matrix --format json` document. */
export const MATRIX_SCHEMA_VERSION = 1;

/** Output formats. */
export const MATRIX_FORMATS = ['github', 'gitlab', 'json'] as const;

/** One of {@link MATRIX_FORMATS}. */
export type MatrixFormat = (typeof MATRIX_FORMATS)[number];

/**
 * The engines' limits on one matrix, which are also the default shard sizes:
 * GitHub Actions runs at most 256 jobs from one matrix, GitLab's
 * `parallel: matrix:` at most 200 per job. `json` is not sharded.
 */
export const SHARD_LIMITS: Record<MatrixFormat, number | undefined> = { github: 256, gitlab: 200, json: undefined };

/**
 * The shard size to use: `requested` (`--shard-size`) when given, else the
 * engine's limit. A size the engine would refuse, or one that is not a whole
 * number of at least 1, is a usage error.
 */
export function shardSize(format: MatrixFormat, requested: string | undefined): number | undefined {
  const limit = SHARD_LIMITS[format];
  if (requested === undefined) return limit;
  const where = `--shard-size ${requested}`;
  const n = /^[0-9]+$/.test(requested.trim()) ? Number(requested) : NaN;
  if (limit === undefined)
    fail('usage', { where, detail: 'the json format is one document with every entry; shard with --format github or gitlab' });
  if (!Number.isInteger(n) || n < 1 || n > limit) {
    const engine = format === 'github' ? 'GitHub Actions' : 'GitLab CI';
    fail('usage', {
      where,
      detail: `a shard holds 1 to ${limit} jobs (${engine} runs at most ${limit} from one matrix)`,
      hint: `give a whole number from 1 to ${limit}, or leave --shard-size out for ${limit}`,
    });
  }
  return n;
}

/**
 * Splits entries, in order, into the fewest shards of at most `size`, their
 * sizes as even as possible (400 jobs in shards of 256: 200 + 200, not
 * 256 + 144), so that shards running side by side finish together.
 */
export function splitShards<T>(entries: T[], size: number): T[][] {
  const count = Math.max(1, Math.ceil(entries.length / size));
  const shards: T[][] = [];
  let start = 0;
  for (let i = 0; i < count; i++) {
    const n = Math.floor(entries.length / count) + (i < entries.length % count ? 1 : 0);
    shards.push(entries.slice(start, start + n));
    start += n;
  }
  return shards;
}

/** Renders the entries, sharded for `github` and `gitlab` by `size` (checked by {@link shardSize}; default: the engine's limit); ends with a newline. */
export function renderMatrix(entries: MatrixEntry[], format: MatrixFormat, commandLine: string, size?: number): string {
  if (format === 'json') return JSON.stringify({ schemaVersion: MATRIX_SCHEMA_VERSION, include: entries }, null, 2) + '\n';
  const shards = splitShards(entries, size ?? SHARD_LIMITS[format]!);
  if (format === 'github') {
    // One line per shard: a shard goes into $GITHUB_OUTPUT as `matrix=<json>`. No
    // schemaVersion here: every top-level key of a GitHub matrix is a matrix dimension.
    return shards.map((s) => JSON.stringify({ include: s }) + '\n').join('');
  }
  return gitlab(shards, entries.length, commandLine);
}

/**
 * GitLab variables are strings; values are written as JSON strings, which are
 * valid YAML double-quoted scalars, so no value can break the YAML. GitLab
 * names each job after all its values (at most 255 characters), so only
 * what a job needs is there: no id (GitLab names artifacts per job).
 * Several shards are several YAML documents, each starting with `---`.
 */
function gitlab(shards: MatrixEntry[][], total: number, commandLine: string): string {
  const q = (s: string) => JSON.stringify(s);
  const lines = [`# ${commandLine}`];
  if (shards.length === 1) {
    lines.push(`# ${total} job(s). Put this under a job; its script runs: npx kpatch $KPATCH_ARGS`);
  } else {
    lines.push(
      `# ${total} job(s) in ${shards.length} shards of at most ${Math.max(...shards.map((s) => s.length))}: one YAML document per shard.`,
      "# Put each under its own job (GitLab runs at most 200 from one job's matrix); its script runs: npx kpatch $KPATCH_ARGS",
    );
  }
  for (const shard of shards) {
    if (shards.length > 1) lines.push('---');
    lines.push('parallel:', '  matrix:');
    for (const e of shard) {
      lines.push(
        `    - KPATCH_TAG: ${q(e.tag)}`,
        `      KPATCH_PLATFORM: ${q(e.platform)}`,
        `      KPATCH_OUT: ${q(e.out)}`,
        `      KPATCH_ARGS: ${q(e.args.join(' '))}`,
      );
    }
  }
  return lines.join('\n') + '\n';
}
