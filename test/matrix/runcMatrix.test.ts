/**
 * `kpatch matrix --runc`: a release pair (a Kubernetes tag and the runc its
 * nodes run) becomes jobs for both binaries, each with its own folder, id and
 * mirror flags, and the build arguments the real CLI accepts.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { BIN, kpatch, REPO_ROOT } from '../helpers/cli.js';
import { schemaErrors } from '../helpers/jsonSchema.js';

describe('kpatch matrix --runc', () => {
  it('builds the kubelet and runc jobs of a release pair, apart, with the right mirror for each', () => {
    const r = kpatch([
      'matrix',
      '--k8s',
      'v1.12.4',
      '--runc',
      '1.0.0-rc5,v1.1.4',
      '--repo',
      'https://mirror.corp/kubernetes.git',
      '--runc-repo',
      'https://mirror.corp/runc.git',
      '--runc-registry',
      'mirror.corp/hub',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(schemaErrors('matrix.schema.json', doc)).toEqual([]);
    expect(doc.include.map((e: { target: string; tag: string; id: string; out: string }) => [e.target, e.tag, e.id, e.out])).toEqual([
      ['kubelet', 'v1.12.4', 'v1.12.4-linux-amd64', '_kpatch/v1.12.4'],
      ['runc', 'v1.0.0-rc5', 'runc-v1.0.0-rc5-linux-amd64', '_kpatch/runc-v1.0.0-rc5'],
      ['runc', 'v1.1.4', 'runc-v1.1.4-linux-amd64', '_kpatch/runc-v1.1.4'],
    ]);
    expect(doc.include[0].args).toEqual([
      'build',
      '--k8s',
      'v1.12.4',
      '--platform',
      'linux/amd64',
      '--mode',
      'guard',
      '--out',
      '_kpatch/v1.12.4',
      '--repo',
      'https://mirror.corp/kubernetes.git',
    ]);
    expect(doc.include[1].args).toEqual([
      'build',
      '--runc',
      'v1.0.0-rc5',
      '--platform',
      'linux/amd64',
      '--mode',
      'guard',
      '--out',
      '_kpatch/runc-v1.0.0-rc5',
      '--repo',
      'https://mirror.corp/runc.git',
      '--registry',
      'mirror.corp/hub',
    ]);
  });

  it('runc alone works; the GitLab snippet carries the runc jobs', () => {
    const r = kpatch(['matrix', '--runc', 'v1.0.0-rc92', '--platform', 'linux/amd64,linux/arm64', '--format', 'gitlab']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^# kpatch matrix --runc v1\.0\.0-rc92 --platform linux\/amd64,linux\/arm64$/m);
    const jobs = parseYaml(r.stdout).parallel.matrix;
    expect(jobs.map((j: { KPATCH_ARGS: string }) => j.KPATCH_ARGS.split(' ').slice(0, 3).join(' '))).toEqual([
      'build --runc v1.0.0-rc92',
      'build --runc v1.0.0-rc92',
    ]);
  });

  it("each entry's arguments are ones kpatch build accepts", () => {
    const r = kpatch([
      'matrix',
      '--runc',
      'v1.0.0-rc5',
      '--runc-image',
      'localhost/runc-build:1.10',
      '--mode',
      'auto',
      '--runner',
      'podman',
      '--json',
    ]);
    const entry = JSON.parse(r.stdout).include[0];
    // build refuses an existing --out right after checking every flag, before fetching anything:
    // reaching that error (exit 1, not a usage error) proves the arguments parse.
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'kpatch-runc-matrix-'));
    mkdirSync(path.join(cwd, entry.out), { recursive: true });
    const b = kpatch(entry.args, { cwd, env: { KPATCH_CACHE_DIR: path.join(cwd, 'cache') } });
    expect(b.stderr).toContain('error[out_exists]');
    expect(b.code).toBe(1);
    rmSync(cwd, { recursive: true, force: true });
  });

  it('refuses bad runc tags, and --runc-image with --runc-registry (exit 2)', () => {
    for (const [args, message] of [
      [['--runc', 'v1.0.0-rc5;id'], 'a runc tag is'],
      [['--runc', 'v1.0.0-rc.5.1'], 'error[tag_invalid]'],
      [['--runc', 'v1.0.0-rc5', '--runc-image', 'a/b:1', '--runc-registry', 'm.corp/hub'], '--runc-image and --runc-registry'],
      [[], '--runc v1.0.0-rc5'],
    ] as const) {
      const r = kpatch(['matrix', ...args]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(message);
    }
  });

  it("the workflow's matrix step builds both binaries of a release pair, or runc alone", () => {
    const wf = parseYaml(readFileSync(path.join(REPO_ROOT, 'scripts/ci/kpatch-build.yml'), 'utf8'));
    expect(Object.keys(wf.on.workflow_dispatch.inputs)).toContain('runc');
    const step = wf.jobs.matrix.steps.find((x: { id?: string }) => x.id === 'matrix');
    expect(step.env.RUNC).toBe('${{ inputs.runc }}');
    // Run the step's script for real, with `npx kpatch` being this checkout's kpatch.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kpatch-wf-'));
    mkdirSync(path.join(dir, 'bin'));
    writeFileSync(
      path.join(dir, 'bin', 'npx'),
      `#!/bin/sh\n[ "$1" = kpatch ] || exit 97\nshift\nexec '${process.execPath}' '${BIN}' "$@"\n`,
    );
    chmodSync(path.join(dir, 'bin', 'npx'), 0o755);
    const jobsOf = (tags: string, runc: string) => {
      const out = path.join(dir, `out-${tags.length}-${runc.length}`);
      writeFileSync(out, '');
      execFileSync('bash', ['-c', step.run], {
        cwd: dir,
        env: {
          ...process.env,
          PATH: `${path.join(dir, 'bin')}:${process.env.PATH}`,
          TAGS: tags,
          RUNC: runc,
          PLATFORMS: 'linux/amd64',
          MODE: 'guard',
          SHARD_SIZE: '256',
          MAX_PARALLEL: '20',
          KPATCH_REVIEWED: 'reviewed-patches',
          GITHUB_OUTPUT: out,
        },
        stdio: 'pipe',
      });
      const line = readFileSync(out, 'utf8')
        .split('\n')
        .find((l) => l.startsWith('shards='))!;
      return JSON.parse(line.replace(/^shards=/, '')).flatMap((s: { include: { id: string }[] }) => s.include.map((e) => e.id));
    };
    expect(jobsOf('v1.12.4', 'v1.0.0-rc5')).toEqual(['v1.12.4-linux-amd64', 'runc-v1.0.0-rc5-linux-amd64']);
    expect(jobsOf('', 'v1.0.0-rc92')).toEqual(['runc-v1.0.0-rc92-linux-amd64']);
    expect(jobsOf('v1.12.4', '')).toEqual(['v1.12.4-linux-amd64']);
    rmSync(dir, { recursive: true, force: true });
  });
});
