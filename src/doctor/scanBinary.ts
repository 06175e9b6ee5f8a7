/**
 * Tells from a kubelet or runc binary's bytes, without running it, whether it
 * looks fixed. Running a binary found on a node is a side effect (and a risk)
 * a read-only check must not take; the markers below are plain strings that
 * the Go linker keeps in the file.
 *
 * - `+kpatch.<mode>`: the version note kpatch stamps into the binaries it
 *   builds (`v1.12.4+kpatch.guard`), whatever the mode.
 * - "kernel memory accounting disabled in this runc build": the error text of
 *   runc's `kmem_disabled.go` (from runc commit 8a4629f, late 2018), compiled
 *   in only when the `nokmem` build tag is set.
 * - `EnableKernelMemoryAccounting`: the name of the function that switches
 *   kmem on; Go keeps function names in its symbol table even in stripped
 *   binaries. A Go binary without it was built from runc rc94 or later (the
 *   call was removed), so there is nothing to fix.
 */
import { openForReading } from './nodeFs.js';

/** The version note kpatch adds to the binaries it builds. */
export const KPATCH_NOTE = '+kpatch.';
/** Error text compiled into runc's libcontainer only with the `nokmem` build tag. */
export const NOKMEM_PROOF = 'kernel memory accounting disabled in this runc build';
/** Name of the function that switches kmem accounting on. */
export const KMEM_FUNCTION = 'EnableKernelMemoryAccounting';

const GO_MARKERS = [Buffer.from('\xff Go buildinf:', 'latin1'), Buffer.from('Go build ID: "')];

/** What the bytes of one binary show. */
export interface BinaryFacts {
  /** The path as given, resolved. */
  path: string;
  size: number;
  /** `patched`: a kpatch note or the nokmem proof; `not-affected`: a Go binary without the kmem function; `unpatched`: no sign of a fix. */
  looks: 'patched' | 'not-affected' | 'unpatched';
  /** The kpatch version note (`v1.12.4+kpatch.guard`, or just `+kpatch.guard`), when found. */
  kpatchNote?: string;
  /** True when the nokmem proof string is in the binary. */
  nokmemProof: boolean;
  /** True when the kmem-enabling function's name is in the binary. */
  kmemFunction: boolean;
  /** True when the file carries a Go build marker. */
  goBinary: boolean;
}

const CHUNK = 4 << 20;
/** Bytes kept from the end of one chunk for the next: the longest needle plus the note's context. */
const OVERLAP = 128;

/** Reads the whole file in chunks (binaries are 50-150 MB) and looks for the markers. */
export async function scanBinary(hostPath: string, signal?: AbortSignal): Promise<BinaryFacts> {
  const fh = await openForReading(hostPath);
  try {
    const size = (await fh.stat()).size;
    const needles = { note: Buffer.from(KPATCH_NOTE), proof: Buffer.from(NOKMEM_PROOF), kmem: Buffer.from(KMEM_FUNCTION) };
    let kpatchNote: string | undefined;
    let nokmemProof = false;
    let kmemFunction = false;
    let goBinary = false;
    let carry = Buffer.alloc(0);
    const buf = Buffer.alloc(CHUNK);
    for (;;) {
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
      const { bytesRead } = await fh.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) break;
      const window = Buffer.concat([carry, buf.subarray(0, bytesRead)]);
      if (kpatchNote === undefined) {
        const at = window.indexOf(needles.note);
        // A note at the very end is left for the next window (or the end of file), which has its tail.
        if (at >= 0 && at + needles.note.length + 32 <= window.length) kpatchNote = noteAt(window, at);
      }
      nokmemProof ||= window.includes(needles.proof);
      kmemFunction ||= window.includes(needles.kmem);
      goBinary ||= GO_MARKERS.some((m) => window.includes(m));
      carry = Buffer.from(window.subarray(Math.max(0, window.length - OVERLAP)));
    }
    if (kpatchNote === undefined) {
      const at = carry.indexOf(needles.note);
      if (at >= 0) kpatchNote = noteAt(carry, at);
    }
    const looks = kpatchNote !== undefined || nokmemProof ? 'patched' : goBinary && !kmemFunction ? 'not-affected' : 'unpatched';
    return { path: hostPath, size, looks, kpatchNote, nokmemProof, kmemFunction, goBinary };
  } finally {
    await fh.close();
  }
}

/**
 * The note and the version in front of it. Go packs strings without
 * separators, so take the mode as a known mode (else lowercase letters) and the version as the
 * longest `v1.2.3[-pre]` that ends right before the `+`.
 */
function noteAt(window: Buffer, at: number): string {
  const after = window.subarray(at, Math.min(window.length, at + 40)).toString('latin1');
  // The known modes first, so `guardgo1.10` (the next string glued on) still reads `guard`.
  const note = /^\+kpatch\.(?:guard|remove|nokmem|[a-z]+)/.exec(after)?.[0] ?? KPATCH_NOTE;
  const before = window.subarray(Math.max(0, at - 64), at).toString('latin1');
  const version = /v\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/.exec(before)?.[0] ?? '';
  return version + note;
}
