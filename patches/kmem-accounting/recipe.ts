/**
 * The kmem-accounting recipe: find runc's `EnableKernelMemoryAccounting`
 * calls in a Kubernetes (vendored) or runc (own checkout) tree, say which
 * switch kmem accounting on for every cgroup, and guard or remove them.
 * Why and references: README.md beside this file.
 */
import type { Recipe, ScanReport, Verdict } from '../../src/engine/recipe.js';
import { commentsStartingWith } from '../../src/engine/goSyntax.js';
import { positionOf, type GoFile } from '../../src/engine/sourceFile.js';
import { classifyCalls } from './classify.js';
import { nokmemFiles } from './nokmem.js';
import { planEdits } from './plan.js';
import { MARKER_PREFIX, MARKERS, QUERIES, TARGET_PATH, type EditMode } from './rules.js';

/** The recipe object the engine and the commands use. */
export const kmemAccounting: Recipe = {
  id: 'kmem-accounting',
  title: 'stop runc switching kernel-memory accounting on for every memory cgroup (kubernetes/kubernetes#61937)',
  modes: Object.keys(MARKERS) as EditMode[],
  defaultMode: 'guard',
  queries: QUERIES,

  isTarget(rel: string): boolean {
    if (!rel.endsWith('.go') || rel.endsWith('_test.go')) return false;
    return rel.includes(TARGET_PATH.vendored) || rel.startsWith(TARGET_PATH.runcRoot);
  },

  scan(files: GoFile[]): ScanReport {
    const calls = classifyCalls(files);
    const markers = files.flatMap((f) =>
      commentsStartingWith(f, MARKER_PREFIX).map((c) => ({
        file: f.path,
        line: positionOf(f, c).line,
        mode: c.text.startsWith(MARKERS.guard) ? 'guard' : 'remove',
      })),
    );
    const sites = calls.map(({ node: _n, source: _s, ...site }) => site);
    let verdict: Verdict = 'not-affected';
    if (sites.some((s) => s.status === 'unguarded')) verdict = 'affected';
    else if (markers.length > 0 || sites.some((s) => s.status === 'patched')) verdict = 'patched';
    const nokmem = nokmemFiles(files);
    return {
      recipe: 'kmem-accounting',
      verdict,
      files: files.map((f) => f.path),
      sites,
      markers,
      facts: { nokmem: nokmem.length > 0, nokmemFiles: nokmem },
    };
  },

  plan(files: GoFile[], _report: ScanReport, mode: string) {
    if (!(mode in MARKERS)) throw new Error(`kmem-accounting has no mode ${mode}`);
    return planEdits(classifyCalls(files), mode as EditMode);
  },
};
