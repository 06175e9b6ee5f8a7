/**
 * The kmem-accounting recipe: find runc's `EnableKernelMemoryAccounting`
 * calls in a Kubernetes (vendored) or runc (own checkout) tree, say which
 * switch kmem accounting on for every cgroup, and guard or remove them.
 * Why and references: README.md beside this file.
 */
import type { Recipe, ScanReport, Verdict } from '../../src/engine/recipe.js';
import { commentsStartingWith } from '../../src/engine/goSyntax.js';
import { positionOf, type GoFile } from '../../src/engine/sourceFile.js';
import { classifyCalls, UNSUPPORTED } from './classify.js';
import { nokmemFiles, nokmemProofStrings } from './nokmem.js';
import { copyOf, nokmemProofStringsByCopy, nokmemUncovered } from './copies.js';
import { planEdits } from './plan.js';
import { kmemAccountingFacts } from './facts.js';
import { ISSUE_URL, MARKER_PREFIX, MARKERS, NOKMEM_TAG, QUERIES, TARGET_PATH, type EditMode } from './rules.js';

/** The recipe object the engine and the commands use. */
export const kmemAccounting: Recipe = {
  ...kmemAccountingFacts,
  renderFacts,
  queries: QUERIES,
  buildTag: {
    ...kmemAccountingFacts.buildTag,
    files: nokmemFiles,
    proofStrings: nokmemProofStrings,
    uncovered: nokmemUncovered,
    proofStringsByCopy: nokmemProofStringsByCopy,
  },
  copyOf,

  isTargetFolder(dirRel: string): boolean {
    const dir = `${dirRel}/`;
    return dir.includes(TARGET_PATH.vendored) || dir.startsWith(TARGET_PATH.runcRoot);
  },

  isTarget(rel: string): boolean {
    if (!rel.endsWith('.go') || rel.endsWith('_test.go')) return false;
    return rel.includes(TARGET_PATH.vendored) || rel.startsWith(TARGET_PATH.runcRoot);
  },

  needsFix: (site) => site.status === 'unguarded' || site.status === UNSUPPORTED,

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
    if (sites.some((s) => kmemAccounting.needsFix(s))) verdict = 'affected';
    else if (markers.length > 0 || sites.some((s) => s.status === 'patched')) verdict = 'patched';
    const nokmem = nokmemFiles(files);
    const report: ScanReport = { recipe: 'kmem-accounting', verdict, files: files.map((f) => f.path), sites, markers, facts: {} };
    // nokmem is a fix only when every copy that switches kmem on has the variant.
    const uncovered = nokmemUncovered(files, report);
    const copies = [...new Set(files.map((f) => copyOf(f.path)))];
    report.facts = {
      nokmem: nokmem.length > 0 && uncovered.length === 0,
      nokmemFiles: nokmem,
      ...(copies.length > 1 ? { copies } : {}),
      ...(nokmem.length && uncovered.length ? { nokmemUncovered: uncovered } : {}),
    };
    return report;
  },

  describe(report: ScanReport, mode: string) {
    const fixed = report.sites.filter((s) => s.status === 'unguarded');
    const subject =
      mode === 'remove'
        ? 'runc: stop enabling kmem accounting for every memory cgroup (kubernetes#61937)'
        : 'runc: enable kmem accounting only when a kmem limit is set (kubernetes#61937)';
    const how =
      mode === 'remove'
        ? 'This patch removes the EnableKernelMemoryAccounting calls that run for every\nnew memory cgroup.'
        : 'This patch restores the `KernelMemory != 0` guard (as runc had from 11222ee\nuntil fe898e7), so kmem accounting is switched on only when a kmem limit is\nasked for.';
    const body = [
      'The vendored runc switches kernel-memory accounting on for every memory',
      'cgroup it creates. On CentOS/RHEL 7 (3.10) kernels such cgroups are never',
      'freed; after enough pods, creating a container fails with',
      '"no space left on device". See',
      ISSUE_URL,
      '',
      how,
      '',
      `Call sites (kpatch ${'kmem-accounting'}, mode ${mode}):`,
      ...report.sites.map(
        (s) =>
          `  ${s.file}:${s.line} ${s.function}: ${s.status}${fixed.includes(s) ? ` -> ${mode === 'remove' ? 'removed' : 'guarded'}` : ''}`,
      ),
    ].join('\n');
    // DEP-3: the fix is kpatch's own (vendor), for the Kubernetes issue; upstream fixed it another way (runc rc94 ignores kmem), so nothing is forwarded.
    return {
      subject,
      body,
      dep3: { origin: `vendor, kpatch recipe kmem-accounting (mode ${mode})`, bug: ISSUE_URL, forwarded: 'not-needed' },
    };
  },

  plan(files: GoFile[], _report: ScanReport, mode: string) {
    if (!(mode in MARKERS)) throw new Error(`kmem-accounting has no mode ${mode}`);
    return planEdits(classifyCalls(files), mode as EditMode);
  },
};

/** Whether the `nokmem` build tag is a fix for the tree, as `kpatch scan` prints it. */
function renderFacts(report: ScanReport): string[] {
  const nokmem = report.facts.nokmemFiles as string[] | undefined;
  const uncovered = report.facts.nokmemUncovered as string[] | undefined;
  if (nokmem?.length && uncovered?.length)
    return [`${NOKMEM_TAG} build tag: not a fix for this tree: ${nokmem.join(', ')} have it, but ${uncovered.join('; ')}`];
  if (nokmem?.length) return [`${NOKMEM_TAG} build tag: available (${nokmem.join(', ')})`];
  return [`${NOKMEM_TAG} build tag: not available in this tree (a source patch is the only fix)`];
}
