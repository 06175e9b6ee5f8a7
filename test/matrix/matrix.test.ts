/**
 * `kpatch matrix` in each format, parsed back the way the CI engine reads it:
 * GitHub's `{"include": [...]}` (for `fromJSON`), GitLab's `parallel: matrix:`
 * (parsed with the `yaml` package), and kpatch's own JSON (validated against
 * schemas/matrix.schema.json). One entry per tag x platform, each with the
 * exact `kpatch build` arguments, which the real CLI must accept.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { kpatch } from '../helpers/cli.js';
import { expectValidJson, schemaErrors } from '../helpers/jsonSchema.js';

const TAGS = ['v1.12.4', 'v1.13.12', 'v1.20.15'];
const PLATFORMS = ['linux/amd64', 'linux/arm64'];
const base = ['matrix', '--k8s', '1.12.4,v1.13.12,v1.20.15', '--platform', PLATFORMS.join(',')];

/** Every tag x platform pair, tags in the order given, platforms within a tag. */
const pairs = TAGS.flatMap((tag) => PLATFORMS.map((platform) => ({ tag, platform })));

describe('kpatch matrix', () => {
  it('github: one line of {"include": [...]} with one entry per tag x platform and its build arguments', () => {
    const r = kpatch(base);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(1); // goes into $GITHUB_OUTPUT as matrix=<json>
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc)).toEqual(['include']); // every other top-level key would become a matrix dimension
    expect(schemaErrors('matrix.schema.json#/$defs/github', doc)).toEqual([]);
    expect(doc.include.map((e: { tag: string; platform: string }) => ({ tag: e.tag, platform: e.platform }))).toEqual(pairs);
    const first = doc.include[0];
    expect(first).toEqual({
      target: 'kubelet',
      tag: 'v1.12.4',
      platform: 'linux/amd64',
      os: 'linux',
      arch: 'amd64',
      id: 'v1.12.4-linux-amd64',
      out: '_kpatch/v1.12.4',
      patch: null,
      args: ['build', '--k8s', 'v1.12.4', '--platform', 'linux/amd64', '--mode', 'guard', '--out', '_kpatch/v1.12.4'],
      command: 'kpatch build --k8s v1.12.4 --platform linux/amd64 --mode guard --out _kpatch/v1.12.4',
    });
    expect(new Set(doc.include.map((e: { id: string }) => e.id)).size).toBe(6); // artifact names must be unique
  });

  it("gitlab: a parallel:matrix snippet whose variables hold each job's arguments", () => {
    const r = kpatch([...base, '--format', 'gitlab', '--mode', 'remove', '--registry', 'mirror.corp/k8s']);
    expect(r.code, r.stderr).toBe(0);
    const doc = parseYaml(r.stdout);
    expect(Object.keys(doc)).toEqual(['parallel']);
    const jobs = doc.parallel.matrix as Record<string, string>[];
    expect(jobs).toHaveLength(6);
    for (const [i, job] of jobs.entries()) {
      expect(Object.keys(job)).toEqual(['KPATCH_TAG', 'KPATCH_PLATFORM', 'KPATCH_OUT', 'KPATCH_ARGS']);
      for (const v of Object.values(job)) expect(typeof v).toBe('string'); // GitLab variables are strings
      expect(job.KPATCH_TAG).toBe(pairs[i].tag);
      expect(job.KPATCH_PLATFORM).toBe(pairs[i].platform);
      expect(job.KPATCH_ARGS).toBe(
        `build --k8s ${pairs[i].tag} --platform ${pairs[i].platform} --mode remove --out _kpatch/${pairs[i].tag} --registry mirror.corp/k8s`,
      );
    }
  });

  it("json (and --json): kpatch's versioned document, valid against its schema", () => {
    const r = kpatch([...base, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = expectValidJson('matrix.schema.json', r.stdout);
    expect(doc.schemaVersion).toBe(1);
    expect(doc.include).toHaveLength(6);
    const same = kpatch([...base, '--json']);
    expect(same.stdout).toBe(r.stdout);
  });

  it('the arguments of an entry are ones kpatch build accepts', () => {
    const entry = JSON.parse(kpatch([...base, '--mode', 'auto', '--runner', 'podman', '--image', 'localhost/kube-cross:x']).stdout)
      .include[0];
    // build refuses an existing --out right after parsing and checking every flag, before
    // fetching anything: reaching that error (exit 1, not a usage error) proves the arguments parse.
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'kpatch-matrix-'));
    mkdirSync(path.join(cwd, entry.out), { recursive: true });
    const r = kpatch(entry.args, { cwd, env: { KPATCH_CACHE_DIR: path.join(cwd, 'cache') } });
    expect(r.stderr).toContain('error[out_exists]');
    expect(r.code).toBe(1);
  });

  it('--package adds the packaging to every build and says so in each entry; a format that does not exist is refused', () => {
    const r = kpatch([...base, '--package', 'rpm,deb', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = expectValidJson('matrix.schema.json', r.stdout);
    for (const e of doc.include) {
      expect(e.args.slice(-2)).toEqual(['--package', 'rpm,deb']);
      expect(e.packages).toBe('rpm,deb');
    }
    // Without it, entries are as they always were: no packages key.
    expect(JSON.parse(kpatch(base).stdout).include[0]).not.toHaveProperty('packages');
    const bad = kpatch([...base, '--package', 'rpm,tgz']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/"tgz" is not a package format/);
  });

  it('refuses bad tags, bad platforms, a missing --k8s and arguments CI would split wrongly (exit 2)', () => {
    const bad = [
      [['matrix', '--k8s', 'v1.12'], 'error[tag_invalid]'],
      [['matrix', '--k8s', 'v1.12.4', '--platform', 'linux'], '--platform linux'],
      [['matrix'], '--k8s'],
      [['matrix', '--k8s', 'v1.12.4', '--repo', 'https://mirror/k8s.git; rm -rf /'], 'shell syntax'],
      [['matrix', '--k8s', 'v1.12.4', '--format', 'gitlab', '--json'], '--json is --format json'],
    ] as const;
    for (const [args, message] of bad) {
      const r = kpatch([...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(message);
      expect(r.stdout).toBe('');
    }
  });

  it('splits more jobs than the engine runs from one matrix into shards (test/ci/matrixShards.test.ts has the full range)', () => {
    const tags = Array.from({ length: 101 }, (_, i) => `v1.${i}.0`).join(',');
    const gitlab = kpatch(['matrix', '--k8s', tags, '--platform', 'linux/amd64,linux/arm64', '--format', 'gitlab']);
    expect(gitlab.code, gitlab.stderr).toBe(0);
    expect(gitlab.stdout).toContain('# 202 job(s) in 2 shards of at most 101');
    expect(parseAllDocuments(gitlab.stdout).map((d) => d.toJS().parallel.matrix.length)).toEqual([101, 101]);
    const github = kpatch(['matrix', '--k8s', tags, '--platform', 'linux/amd64,linux/arm64', '--format', 'github']);
    expect(github.code).toBe(0);
    expect(github.stdout.trimEnd().split('\n')).toHaveLength(1); // 202 fits in GitHub's 256
  });
});
