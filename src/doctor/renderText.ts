/**
 * The human-readable doctor report: one block of facts, then the verdict line,
 * the reasons and the next steps. Aligned columns, no colour, so it reads the
 * same in a terminal, a log file and a ticket.
 */
import type { DoctorReport } from './runDoctor.js';
import type { BinaryFacts } from './scanBinary.js';
import type { State } from './decideVerdict.js';

/** One line per state, as the text report and the docs name them. */
export const STATE_LABEL: Readonly<Record<State, string>> = {
  leaking: 'leaking now: memory cgroup IDs are being lost',
  'id-pressure': 'memory cgroup IDs near the limit, not from the kmem leak',
  vulnerable: "kmem accounting on for the kubelet's cgroups on an el7 kernel, or unfixed binaries",
  'reboot-needed': 'fixed binaries on disk, not yet in effect: reboot',
  mitigated: 'mitigated by the kernel: cgroup.memory=nokmem, kmem observed off',
  fixed: 'fixed: kmem accounting observed off',
  'not-affected': 'the leak does not apply here',
  unknown: 'could not tell: a fact needed was unreadable',
};

const W = 12;

/** Renders `r` as text (ends with a newline). */
export function renderText(r: DoctorReport): string {
  const out: string[] = [];
  const row = (label: string, text: string) => out.push(`${label.padEnd(W)}${text}`);
  const more = (text: string) => out.push(`${''.padEnd(W)}${text}`);

  out.push(`kpatch doctor: node at ${r.root}`);
  const c = r.cgroups;
  const where = c.memoryV1
    ? `memory controller on v1 at ${c.memoryV1.mountPoint}${c.memoryV1.mountRoot !== '/' ? ` (sub-tree ${c.memoryV1.mountRoot})` : ''}`
    : c.memoryOnV2
      ? 'memory controller on cgroup v2: the leak does not apply'
      : 'no v1 memory hierarchy';
  row(
    'cgroups',
    `${c.mode} (from ${c.source === 'mountinfo' ? '/proc/self/mountinfo' : c.source === 'filesystem' ? 'the folders under /sys/fs/cgroup' : 'nothing found'}); ${where}`,
  );

  const k = r.kernel;
  const prone =
    k.leakProne === 'yes' ? 'a 3.10 el7 kernel: the leak happens here' : k.leakProne === 'no' ? 'not a 3.10 el7 kernel' : 'release unknown';
  row('kernel', `${k.release ?? 'unknown'} (${prone})`);
  more(
    `cgroup.memory=nokmem on the command line: ${k.cmdlineNokmem === undefined ? 'unknown (/proc/cmdline unreadable)' : k.cmdlineNokmem ? 'yes' : 'no'}`,
  );

  const m = r.memory;
  if (m.row) {
    const pct = ((100 * m.row.numCgroups) / m.limit).toFixed(1);
    row(
      'memory IDs',
      `${m.row.numCgroups} of ${m.limit} in use (${pct}%; warning at ${m.warnAt}, 80%)${m.row.enabled ? '' : ', controller disabled'}`,
    );
  } else {
    row('memory IDs', `unknown: ${m.rowError}`);
  }
  if (m.present) {
    const capped = m.present.capped ? `, stopped early: ${m.present.capped}` : '';
    more(
      `${m.present.dirs}${m.present.capped || !m.present.complete ? '+' : ''} memory cgroup folders present (counted in ${m.present.elapsedMs} ms${capped})`,
    );
  }
  if (m.heldByDeleted !== undefined) more(`${m.heldByDeleted} IDs held by deleted cgroups`);
  else if (m.gapCaveat) more(`IDs held by deleted cgroups: not computed, ${m.gapCaveat}`);

  if (!r.kmem) {
    row('kmem', 'not checked: no v1 memory hierarchy');
  } else if (r.kmem.roots.length === 0) {
    row('kmem', `no kubepods cgroup under ${c.memoryV1?.mountPoint} (no kubelet here, or another cgroup root)`);
  } else {
    const t = r.kmem.total;
    row(
      'kmem',
      `${t.on} on, ${t.off} off, ${t.unknown} unknown of ${t.checked} cgroups checked (${r.kmem.podsSampled} newest of ${r.kmem.podsFound} pods, one container each)`,
    );
    const paths = r.kmem.checks.map((x) => shortIds(x.path));
    const width = Math.max(...paths.map((p) => p.length));
    r.kmem.checks.forEach((x, i) => more(`${x.state.padEnd(8)}${paths[i].padEnd(width)}  ${x.evidence.join('; ')}`));
  }

  for (const name of ['kubelet', 'runc'] as const) {
    const found = r.search[name];
    const facts = r.binaries[name];
    if (facts)
      row(
        name,
        `${describe(facts, `--${name}`)}${found.source && found.source !== 'flag' ? ` (found: ${found.source === 'path' ? 'on the PATH' : found.source === 'process' ? 'the running process' : `${found.source}'s config`})` : ''}`,
      );
    else if (found.path) row(name, `${found.path}: not read (${r.scanSkipped ?? 'skipped'})`);
    else row(name, `not found (pass --${name} PATH)`);
    for (const l of found.looked) more(`looked: ${l}`);
  }

  out.push('');
  out.push(`verdict: ${r.verdict}`);
  out.push(`state: ${r.state} (${STATE_LABEL[r.state]})`);
  for (const reason of r.reasons) out.push(`  - ${reason}`);
  out.push('next steps:');
  r.nextSteps.forEach((s, i) => out.push(`  ${i + 1}. ${s}`));
  return out.join('\n') + '\n';
}

function describe(b: BinaryFacts | undefined, flag: string): string {
  if (!b) return `not checked (pass ${flag} PATH)`;
  const facts = [
    b.kpatchNote ? `kpatch note ${b.kpatchNote}` : 'no kpatch note',
    b.nokmemProof ? 'nokmem build' : 'no nokmem proof string',
    b.kmemFunction ? 'has the kmem-enabling function' : 'no kmem-enabling function',
  ];
  return `${b.path}: ${b.looks} (${facts.join(', ')})`;
}

/** Container IDs cut to 12 characters, as `docker ps` shows them; `--json` keeps the full paths. */
function shortIds(p: string): string {
  return p.replace(/\b([0-9a-f]{12})[0-9a-f]{52}\b/g, '$1');
}
