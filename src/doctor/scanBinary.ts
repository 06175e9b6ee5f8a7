/**
 * Tells from a kubelet or runc binary's bytes, without running it, whether it
 * looks fixed. Running a binary found on a node is a side effect (and a risk)
 * a read-only check must not take; the markers below are plain strings that
 * the Go linker keeps in the file.
 *
 * - `+kpatch.<mode>`: the version note kpatch stamps into the binaries it
 *   builds (`v1.12.4+kpatch.guard`), whatever the mode.
 * - the recipe's build-tag proof (`buildTag.knownProofStrings`): text only
 *   the tag's variant compiles in (for kmem-accounting, runc's nokmem error).
 * - the recipe's `targetSymbol`: the function the fix is about; Go keeps
 *   function names in its symbol table even in stripped binaries. A Go binary
 *   without it does not hold that code (for kmem-accounting: runc rc94 or
 *   later), so there is nothing to fix.
 * The recipe owns those words (patches/kmem-accounting/facts.ts); this file
 * only looks for them.
 */
import { DEFAULT_RECIPE_FACTS } from '../recipeFacts.js';
import { openRegular } from '../readBounded.js';

/** The version note kpatch adds to the binaries it builds. */
export const KPATCH_NOTE = '+kpatch.';

const RECIPE = DEFAULT_RECIPE_FACTS;
/** Text only the recipe's build-tag variant compiles in (any one of them is proof). */
const TAG_PROOFS = (RECIPE.buildTag?.knownProofStrings ?? []).map((p) => Buffer.from(p));
/** The kpatch modes a version note can name: the recipe's edit modes and its build tag. */
const NOTE_MODES = [...RECIPE.modes, ...(RECIPE.buildTag ? [RECIPE.buildTag.name] : [])];
const NEEDLES = { note: Buffer.from(KPATCH_NOTE), kmem: Buffer.from(RECIPE.targetSymbol) };
/** Bytes kept from the end of one chunk for the next: the longest needle plus the note's context. */
const OVERLAP = Math.max(128, ...TAG_PROOFS.map((p) => p.length), RECIPE.targetSymbol.length);

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

/**
 * Reads the whole file in chunks (binaries are 50-150 MB) and looks for the
 * markers. One buffer for the whole read: each chunk is read in behind the
 * previous chunk's tail, so a marker cut in two is still found, and nothing
 * is allocated per chunk (a fleet probe's peak memory stays the buffer's).
 */
export async function scanBinary(hostPath: string, signal?: AbortSignal): Promise<BinaryFacts> {
  // Only a regular file is read (a FIFO or a link to /dev/zero where a binary should be is refused: UnsafeFile).
  const { fh, size } = await openRegular(hostPath);
  try {
    let kpatchNote: string | undefined;
    let nokmemProof = false;
    let kmemFunction = false;
    let goBinary = false;
    const buf = Buffer.allocUnsafe(OVERLAP + CHUNK);
    let carried = 0;
    let window = buf.subarray(0, 0);
    for (;;) {
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
      const { bytesRead } = await fh.read(buf, carried, CHUNK, null);
      if (bytesRead === 0) break;
      window = buf.subarray(0, carried + bytesRead);
      if (kpatchNote === undefined) {
        const at = window.indexOf(NEEDLES.note);
        // A note at the very end is left for the next window (or the end of file), which has its tail.
        if (at >= 0 && at + NEEDLES.note.length + 32 <= window.length) kpatchNote = noteAt(window, at);
      }
      nokmemProof ||= TAG_PROOFS.some((p) => window.includes(p));
      kmemFunction ||= window.includes(NEEDLES.kmem);
      goBinary ||= GO_MARKERS.some((m) => window.includes(m));
      carried = Math.min(OVERLAP, window.length);
      window.copy(buf, 0, window.length - carried);
      window = buf.subarray(0, carried);
    }
    if (kpatchNote === undefined) {
      const at = window.indexOf(NEEDLES.note);
      if (at >= 0) kpatchNote = noteAt(window, at);
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
  const note = new RegExp(`^\\+kpatch\\.(?:${NOTE_MODES.join('|')}|[a-z]+)`).exec(after)?.[0] ?? KPATCH_NOTE;
  const before = window.subarray(Math.max(0, at - 64), at).toString('latin1');
  const version = /v\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/.exec(before)?.[0] ?? '';
  return version + note;
}
