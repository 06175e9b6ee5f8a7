/**
 * The rewriter never corrupts code: every golden case of the kmem-accounting
 * recipe (patches/kmem-accounting/cases/*.txtar), perturbed in ways the Go
 * compiler does not care about (perturb.ts), at least 2,000 variants per run,
 * each rewritten in every mode of its case through the engine's API
 * (loadTargets, the recipe's scan, rewrite), in-process.
 *
 * A variant has exactly one of two outcomes, and the same one as its
 * unperturbed case:
 *   - the rewrite succeeds: every result parses, differs from its input only
 *     in the statements of the unguarded calls (rewriteOracle.ts), keeps its
 *     line endings, and a second rewrite of the result finds nothing to do;
 *     1 in GO_SAMPLE variants is also compiled and vetted (GOPATH mode, like
 *     the golden test), with the case's probe test run where it has one;
 *   - it is refused with a KpatchError naming the problem (parse_error,
 *     unsupported_shape), which writes nothing.
 * 1 in CLI_SAMPLE variants also goes through the real `kpatch patch`, which
 * must write exactly what the API computed, or nothing.
 *
 * Seeded: the seed is printed; KPATCH_SEED=<seed> reproduces a run, and each
 * failure names its case, variant number and the perturbations applied.
 * KPATCH_PERTURB_VARIANTS overrides the number of variants per run.
 */
import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KpatchError } from '../../src/errors.js';
import { otherModeMarkers } from '../../src/rewrite/prepareRewrite.js';
import { loadTargets } from '../../src/engine/loadTargets.js';
import { parseGo, syntaxProblems } from '../../src/engine/parse.js';
import { rewrite, type PlannedChange } from '../../src/engine/rewrite.js';
import { DEFAULT_RECIPE } from '../../src/recipes.js';
import { kpatch } from '../helpers/cli.js';
import { go, goLayout } from '../helpers/goTree.js';
import { caseNames as listCases, loadGoldenCase } from '../helpers/goldenCase.js';
import { applyChecked, PERTURBATIONS, Rng, seedOf } from '../helpers/perturb.js';
import { checkRewrite } from '../helpers/rewriteOracle.js';

const SEED = process.env.KPATCH_SEED ? Number(process.env.KPATCH_SEED) : randomInt(2 ** 31);
const TOTAL = Number(process.env.KPATCH_PERTURB_VARIANTS ?? 2000);
const GO_SAMPLE = Number(process.env.KPATCH_PERTURB_GO_SAMPLE ?? 50);
const CLI_SAMPLE = 100;
const caseNames = listCases();
const PER_CASE = Math.ceil(TOTAL / caseNames.length);
const ROOT = mkdtempSync(path.join(os.tmpdir(), 'kpatch-perturb-'));
afterAll(() => rmSync(ROOT, { recursive: true, force: true }));

console.log(`perturbation seed: ${SEED} (reproduce with KPATCH_SEED=${SEED}); ${PER_CASE} variants for each of ${caseNames.length} cases`);

/** Totals over the run, for the summary test and the README's figures. */
const totals = {
  variants: 0,
  rewrites: 0,
  rewritten: 0,
  unchanged: 0,
  refused: 0,
  compiled: 0,
  cli: 0,
  perturbations: new Map<string, number>(),
};

type Outcome =
  | { kind: 'rewritten'; changes: PlannedChange[]; callLines: Map<string, number[]> }
  | { kind: 'unchanged' }
  | { kind: 'refused'; id: string; message: string };

/** Runs the engine on the tree at `dir` the way `kpatch patch` does, without writing. */
async function engine(dir: string, mode: string): Promise<Outcome> {
  try {
    const { files } = await loadTargets(dir, DEFAULT_RECIPE);
    const report = DEFAULT_RECIPE.scan(files);
    if (report.verdict !== 'affected') return { kind: 'unchanged' };
    const changes = rewrite(files, report, DEFAULT_RECIPE, mode);
    const callLines = new Map<string, number[]>();
    for (const s of report.sites.filter((x) => x.status === 'unguarded')) callLines.set(s.file, [...(callLines.get(s.file) ?? []), s.line]);
    return changes.length ? { kind: 'rewritten', changes, callLines } : { kind: 'unchanged' };
  } catch (e) {
    // The only acceptable failure is a refusal the user can read; anything else is the third outcome.
    if (!(e instanceof KpatchError))
      throw new Error(`the engine failed with something other than a KpatchError: ${(e as Error).stack ?? e}`);
    return { kind: 'refused', id: e.id, message: e.render() };
  }
}

const label = (o: Outcome) => (o.kind === 'refused' ? `refused:${o.id}` : o.kind);

/** Writes `files` into `dir` (every variant of a case has the same file names, so files are overwritten in place). */
function writeTree(dir: string, files: Map<string, string>): void {
  for (const [rel, text] of files) {
    const abs = path.join(dir, rel);
    try {
      writeFileSync(abs, text);
    } catch {
      mkdirSync(path.dirname(abs), { recursive: true });
      writeFileSync(abs, text);
    }
  }
}

/** One case's tree (LF, the shared scaffold overlaid, as golden.test.ts sees it) and options. */
function loadCase(name: string): { tree: Map<string, string>; crlf: boolean; modes: string[] } {
  const { tree, crlf, modes } = loadGoldenCase(name);
  return { tree, crlf, modes };
}

/** Variant `i` of a case: its files (final line endings applied) and what was done to them. */
function variant(name: string, c: ReturnType<typeof loadCase>, i: number): { files: Map<string, string>; steps: string[] } {
  const rng = new Rng(seedOf(SEED, name, i));
  const files = new Map(c.tree);
  const targets = [...files.keys()].filter((rel) => DEFAULT_RECIPE.isTarget(rel) && syntaxProblems(parseGo(files.get(rel)!)).length === 0);
  const steps: string[] = [];
  const kinds = Object.keys(PERTURBATIONS);
  const want = 1 + rng.int(4);
  for (let attempt = 0; targets.length && steps.length < want && attempt < 20; attempt++) {
    const kind = rng.pick(kinds);
    const rel = rng.pick(targets);
    const r = applyChecked(kind, PERTURBATIONS[kind], files.get(rel)!, rng);
    if (!r) continue;
    files.set(rel, r.text);
    steps.push(`${rel}: ${r.what}`);
    totals.perturbations.set(kind, (totals.perturbations.get(kind) ?? 0) + 1);
  }
  if (c.crlf || rng.chance(0.15)) {
    for (const [rel, text] of files) files.set(rel, text.replace(/\r?\n/g, '\r\n'));
    steps.push('CRLF line endings');
    totals.perturbations.set('crlf', (totals.perturbations.get('crlf') ?? 0) + 1);
  }
  return { files, steps };
}

/** Compiles and vets the tree at `dir` in GOPATH mode, and runs its probe test for `mode`. */
function compile(dir: string, files: Map<string, string>, mode: string): void {
  const probes = [...files.keys()].filter((p) => p.endsWith('/kpatch_probe_test.go')).map((p) => path.posix.dirname(p));
  const layout = goLayout(dir, probes);
  // vet type-checks every package with its tests (what a compile checks); the probe test compiles, links and runs.
  go(layout, ['vet', ...layout.patterns]);
  for (const pkg of layout.probePackages) go(layout, ['test', '-count=1', '-run', 'TestKpatchProbe', pkg], { KPATCH_PROBE_MODE: mode });
}

/** The real CLI on a committed copy of the variant: it must write what the API computed, or nothing. */
async function throughCli(files: Map<string, string>, mode: string, expected: Outcome): Promise<string[]> {
  const dir = path.join(ROOT, `cli-${totals.cli}`);
  writeTree(dir, files);
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@kpatch.invalid', '-c', 'core.autocrlf=false', ...args], {
      cwd: dir,
      stdio: 'pipe',
    });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-qm', 'variant');
  // Where the API has nothing to change because the tree is patched in another mode, patch says so (mode_mismatch).
  const otherMode =
    expected.kind === 'unchanged' && otherModeMarkers(DEFAULT_RECIPE.scan((await loadTargets(dir, DEFAULT_RECIPE)).files), mode).length > 0;
  const refusal = expected.kind === 'refused' ? expected.id : otherMode ? 'mode_mismatch' : undefined;
  const r = kpatch(['patch', '--src', dir, '--mode', mode]);
  const problems: string[] = [];
  const want = new Map(files);
  if (expected.kind === 'rewritten') for (const ch of expected.changes) want.set(ch.path, ch.after);
  if (refusal ? r.code === 0 || !r.stderr.includes(`error[${refusal}]`) : r.code !== 0)
    problems.push(`kpatch patch exited ${r.code}: ${r.stderr}`);
  for (const [rel, text] of want)
    if (readFileSync(path.join(dir, rel), 'utf8') !== text) problems.push(`kpatch patch left ${rel} different from what the API computed`);
  return problems;
}

const base = new Map<string, Outcome>();

describe(`the rewriter on perturbed golden cases (seed ${SEED})`, () => {
  for (const [caseIndex, name] of caseNames.entries()) {
    it(`${name}: ${PER_CASE} variants, every mode`, { timeout: 300_000 }, async () => {
      const c = loadCase(name);
      const dir = path.join(ROOT, name.replace(/\.txtar$/, ''));
      writeTree(dir, c.crlf ? new Map([...c.tree].map(([k, v]) => [k, v.replace(/\n/g, '\r\n')])) : c.tree);
      for (const mode of c.modes) base.set(`${name}:${mode}`, await engine(dir, mode));
      const failures: string[] = [];
      for (let i = 0; i < PER_CASE && failures.length < 5; i++) {
        const v = variant(name, c, i);
        totals.variants++;
        const where = `${name} variant ${i} (KPATCH_SEED=${SEED}):\n  ${v.steps.join('\n  ')}`;
        const modes = c.modes;
        // Sampled variants alternate the mode between samples and between cases.
        const compileMode = i % GO_SAMPLE === 0 ? modes[(caseIndex + i / GO_SAMPLE) % modes.length] : undefined;
        const cliMode = i % CLI_SAMPLE === 7 ? modes[(caseIndex + 1 + (i - 7) / CLI_SAMPLE) % modes.length] : undefined;
        for (const mode of modes) {
          writeTree(dir, v.files);
          totals.rewrites++;
          const got = await engine(dir, mode);
          const want = base.get(`${name}:${mode}`)!;
          const problems: string[] = [];
          if (label(got) !== label(want))
            problems.push(
              `outcome ${label(got)}, but the unperturbed case gives ${label(want)}${got.kind === 'refused' ? `\n${got.message}` : ''}`,
            );
          if (got.kind === 'refused') {
            totals.refused++;
            if (!/hint: /.test(got.message) || !got.message.includes(`error[${got.id}]`)) problems.push(`unclear refusal: ${got.message}`);
          } else if (got.kind === 'unchanged') {
            totals.unchanged++;
          } else {
            totals.rewritten++;
            for (const ch of got.changes) {
              const syntax = syntaxProblems(parseGo(ch.after));
              if (syntax.length) problems.push(`${ch.path}: the result does not parse at line ${syntax[0].line}`);
              for (const p of checkRewrite(ch.before, ch.after, got.callLines.get(ch.path) ?? [], mode as 'guard' | 'remove'))
                problems.push(`${ch.path}: ${p}`);
            }
            // Idempotence: the rewritten tree needs nothing more in its mode (and, for 1 in 10, in the others).
            const after = new Map(v.files);
            for (const ch of got.changes) after.set(ch.path, ch.after);
            writeTree(dir, after);
            for (const m of i % 10 === 0 ? modes : [mode]) {
              const again = await engine(dir, m);
              if (again.kind !== 'unchanged') problems.push(`a second rewrite (${m}) after ${mode} gives ${label(again)}`);
            }
            if (mode === compileMode && problems.length === 0) {
              try {
                compile(dir, after, mode);
                totals.compiled++;
              } catch (e) {
                writeTree(dir, v.files);
                let input = 'the perturbed input compiles';
                try {
                  compile(dir, v.files, 'none');
                } catch {
                  input = 'the perturbed input does not compile either: a bug in perturb.ts';
                }
                problems.push(`the ${mode} result does not compile (${input}):\n${(e as Error).message}`);
              }
            }
          }
          if (mode === cliMode && problems.length === 0) {
            problems.push(...(await throughCli(v.files, mode, got)));
            totals.cli++;
          }
          if (problems.length) failures.push(`${where}\n  mode ${mode}: ${problems.join('\n  ')}`);
        }
      }
      expect(failures, failures.join('\n\n')).toEqual([]);
    });
  }

  it(`ran at least ${TOTAL} variants`, () => {
    const kinds = [...totals.perturbations].map(([k, n]) => `${k} ${n}`).join(', ');
    console.log(
      `perturbation run (seed ${SEED}): ${totals.variants} variants, ${totals.rewrites} rewrites (${totals.rewritten} rewritten, ${totals.unchanged} unchanged, ${totals.refused} refused), ` +
        `${totals.compiled} compiled and vetted, ${totals.cli} through the CLI; perturbations: ${kinds}`,
    );
    expect(totals.variants).toBeGreaterThanOrEqual(TOTAL);
    for (const k of [...Object.keys(PERTURBATIONS), 'crlf'])
      expect(totals.perturbations.get(k) ?? 0, `perturbation ${k} was applied`).toBeGreaterThan(0);
  });
});
