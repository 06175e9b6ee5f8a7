/**
 * `kpatch doctor --format npd`: node-problem-detector's custom-plugin
 * protocol. NPD runs the plugin, keeps its exit status (0 OK, 1 problem,
 * anything else unknown) and the first `max_output_length` characters of its
 * trimmed stdout (80 by default) as the node condition's message. So the
 * line says the state first and the key number right after, and never runs
 * past 80 characters: what is cut is detail, not the verdict. The same line
 * serves kured's sentinel command ({@link renderSentinel}).
 */
import type { DoctorReport } from './runDoctor.js';
import { stateRow } from './decideVerdict.js';

/** NPD's default `max_output_length`: the part of the line a condition keeps. */
export const NPD_LINE_MAX = 80;

/** The exit status and the one line for NPD. */
export function renderNpd(r: DoctorReport): { code: 0 | 1 | 2; line: string } {
  return { code: stateRow(r.state).npd, line: npdLine(r) };
}

/**
 * `kpatch doctor --format sentinel`: kured's `--reboot-sentinel-command`.
 * kured reboots the node (cordon, drain, reboot, one node at a time) when
 * the command exits 0, and logs its stdout; so the status is 0 for
 * `reboot-needed` only, the table's `sentinel` column, and the line is the
 * NPD one, which says why in one line for kured's log.
 */
export function renderSentinel(r: DoctorReport): { code: 0 | 1; line: string } {
  return { code: stateRow(r.state).sentinel, line: npdLine(r) };
}

/** The one line: the state first, then the key numbers while they fit in {@link NPD_LINE_MAX}. */
function npdLine(r: DoctorReport): string {
  return fit(npdParts(r)) + '\n';
}

/** An NPD line for an error that stopped doctor before a report (exit 2: unknown). */
export function npdErrorLine(message: string): string {
  return fit([`kmem unknown: ${message}`]) + '\n';
}

/** Joins the parts with ", " while they fit; the first is cut to the limit if it must be. */
function fit(parts: string[]): string {
  let line = parts[0].replace(/\s+/g, ' ');
  for (const p of parts.slice(1)) {
    if (line.length + 2 + p.length > NPD_LINE_MAX) break;
    line += `, ${p}`;
  }
  return line.length > NPD_LINE_MAX ? line.slice(0, NPD_LINE_MAX - 3) + '...' : line;
}

function npdParts(r: DoctorReport): string[] {
  const m = r.memory;
  const ids = m.row ? `${m.row.numCgroups}/${m.limit} memory cgroup IDs in use` : 'memory cgroup IDs unknown';
  // After the verdict, the same number in fewer words, so it fits.
  const idsShort = m.row ? `${m.row.numCgroups}/${m.limit} IDs in use` : 'IDs in use unknown';
  const held = m.heldByDeleted !== undefined ? `${m.heldByDeleted} held by deleted cgroups` : undefined;
  const checks = r.kmem?.checks ?? [];
  const kubepodsOn = checks.some((c) => (c.kind === 'kubepods' || c.kind === 'qos') && c.state === 'on');
  const onWhere = kubepodsOn
    ? 'kmem on in kubepods'
    : checks.some((c) => c.state === 'on')
      ? `kmem on in ${checks.filter((c) => c.state === 'on').length} cgroups checked`
      : undefined;
  const unfixed = (['kubelet', 'runc'] as const).filter((n) => r.binaries[n]?.looks === 'unpatched');
  const el7 = r.kernel.leakProne === 'yes' ? 'el7 kernel' : r.kernel.leakProne === 'unknown' ? 'kernel unknown' : undefined;
  const defined = (xs: (string | undefined)[]) => xs.filter((x): x is string => x !== undefined);

  switch (r.state) {
    case 'leaking':
      return defined([`kmem leak: ${ids}`, held, onWhere, el7]);
    case 'id-pressure':
      return defined([`memcg ID pressure: ${idsShort}`, held]);
    case 'vulnerable':
      return defined([
        `kmem vulnerable: ${onWhere ?? `${unfixed.join(' and ')} not fixed`}`,
        el7,
        idsShort,
        onWhere && unfixed.length ? `${unfixed.join(' and ')} not fixed` : undefined,
      ]);
    case 'reboot-needed':
      return defined([`kmem fix not in effect: ${onWhere ?? 'kmem on'} with fixed binaries on disk, reboot`, idsShort]);
    case 'mitigated':
      return [`kmem mitigated: cgroup.memory=nokmem, kmem observed off`, idsShort];
    case 'fixed':
      return [
        checks.length > 0 ? `kmem fixed: kmem off in all ${checks.length} cgroups checked` : 'kmem fixed: kubelet and runc look fixed',
        idsShort,
      ];
    case 'not-affected':
      return [`kmem not affected: ${notAffectedWhy(r)}`, idsShort];
    case 'unknown':
      return [
        `kmem unknown: ${r.reasons.find((x) => /cannot|could not|no cgroup hierarchy/.test(x)) ?? 'a fact needed could not be read'}`,
      ];
  }
}

function notAffectedWhy(r: DoctorReport): string {
  if (!r.cgroups.memoryV1) return r.cgroups.memoryOnV2 ? 'memory controller on cgroup v2' : 'no v1 memory controller';
  if (r.memory.row && !r.memory.row.enabled) return 'memory controller disabled';
  if (r.kernel.leakProne === 'no') return `kernel ${r.kernel.release} is not el7`;
  return 'no kubepods cgroup (no kubelet here)';
}
