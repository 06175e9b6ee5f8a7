/**
 * The `--json` doctor report, for exporters in the style of
 * node-problem-detector. The shape is spelled out here, field by field, and
 * not derived from the internal types, so it only changes on purpose: every
 * key is always present (null when unknown), and a breaking change bumps
 * `schemaVersion`.
 */
import type { DoctorReport } from './runDoctor.js';
import type { BinaryFacts } from './scanBinary.js';
import type { BinarySearch } from './findBinaries.js';
import { LEAK_GAP, WARN_RATIO } from './readMemoryIds.js';

/** Version of the JSON shape below. */
export const DOCTOR_SCHEMA_VERSION = 1;

/** The JSON document (schema version 1). */
export function doctorJson(r: DoctorReport, exitCode: number): Record<string, unknown> {
  const c = r.cgroups;
  const m = r.memory;
  return {
    schemaVersion: DOCTOR_SCHEMA_VERSION,
    root: r.root,
    verdict: r.verdict,
    state: r.state,
    exitCode,
    reasons: r.reasons,
    nextSteps: r.nextSteps,
    cgroups: {
      mode: c.mode,
      source: c.source,
      memoryController: c.memoryV1 ? 'v1' : c.memoryOnV2 ? 'v2' : 'none',
      memoryMountPoint: c.memoryV1?.mountPoint ?? null,
      memoryMountRoot: c.memoryV1?.mountRoot ?? null,
      unifiedMountPoint: c.unifiedMountPoint ?? null,
    },
    kernel: {
      release: r.kernel.release ?? null,
      leakProne: r.kernel.leakProne,
      cmdlineNokmem: r.kernel.cmdlineNokmem ?? null,
    },
    memory: {
      limit: m.limit,
      warnAt: m.warnAt,
      warnRatio: WARN_RATIO,
      leakGap: LEAK_GAP,
      inUse: m.row?.numCgroups ?? null,
      hierarchy: m.row?.hierarchy ?? null,
      enabled: m.row?.enabled ?? null,
      error: m.rowError ?? null,
      present: m.present?.dirs ?? null,
      presentComplete: m.present ? m.present.complete && !m.present.capped : null,
      capped: m.present?.capped ?? null,
      countMs: m.present?.elapsedMs ?? null,
      heldByDeleted: m.heldByDeleted ?? null,
      heldByDeletedCaveat: m.gapCaveat ?? null,
    },
    kmem: {
      checked: r.kmem !== undefined,
      roots: r.kmem?.roots ?? [],
      podsFound: r.kmem?.podsFound ?? 0,
      podsSampled: r.kmem?.podsSampled ?? 0,
      cgroups: (r.kmem?.checks ?? []).map((x) => ({ path: x.path, kind: x.kind, state: x.state, evidence: x.evidence })),
      total: r.kmem?.total ?? { checked: 0, on: 0, off: 0, unknown: 0 },
    },
    binaries: {
      kubelet: binary(r.binaries.kubelet),
      runc: binary(r.binaries.runc),
      search: {
        kubelet: search(r.search.kubelet),
        runc: search(r.search.runc),
        skipped: r.scanSkipped ?? null,
      },
    },
  };
}

function search(s: BinarySearch): Record<string, unknown> {
  return { source: s.source, path: s.path, looked: s.looked };
}

function binary(b: BinaryFacts | undefined): Record<string, unknown> | null {
  if (!b) return null;
  return {
    path: b.path,
    size: b.size,
    looks: b.looks,
    kpatchNote: b.kpatchNote ?? null,
    nokmemProof: b.nokmemProof,
    kmemFunction: b.kmemFunction,
    goBinary: b.goBinary,
  };
}
