/**
 * Does the vendored runc offer the `nokmem` build tag? From runc rc6 (commit
 * 6a2c155) the kmem code sits in `kmem.go` (`linux,!nokmem`) with a no-op twin
 * selected by `nokmem`; older trees have no such file and the tag does nothing.
 *
 * And what does the `nokmem` variant compile in that the default one does
 * not? From runc 8a4629f (late 2018) `kmem_disabled.go` returns an error whose
 * text exists nowhere else; finding it in a built binary proves the tag
 * reached the compiler.
 */
import { selectsTag } from '../../src/engine/buildConstraints.js';
import { findMatches } from '../../src/engine/query.js';
import type { GoFile } from '../../src/engine/sourceFile.js';
import { MIN_PROOF_BYTES, NOKMEM_TAG, QUERIES } from './rules.js';

/** Target files compiled only with the `nokmem` tag, relative paths. */
export function nokmemFiles(files: GoFile[]): string[] {
  return files.filter((f) => selectsTag(f.text, NOKMEM_TAG)).map((f) => f.path);
}

/**
 * The string literals of the nokmem-selected files that can prove, in a
 * binary, that those files were compiled: at least MIN_PROOF_BYTES long, not
 * an import path, and found in no other target file (the `!nokmem` twin
 * would otherwise put the same bytes in an unpatched binary). Literals with
 * escape sequences are skipped rather than decoded: the messages worth
 * proving with are plain text, and a decoding slip would fail good builds.
 * Sorted, without duplicates; empty when the variant has no string of its own.
 */
export function nokmemProofStrings(files: GoFile[]): string[] {
  const selected = files.filter((f) => selectsTag(f.text, NOKMEM_TAG));
  const others = files.filter((f) => !selected.includes(f));
  const out = new Set<string>();
  for (const f of selected) {
    for (const { string: lit } of findMatches(f.tree.rootNode, QUERIES.stringLiteral)) {
      if (lit.parent?.type === 'import_spec') continue;
      if (lit.namedChildren.some((c) => c.type === 'escape_sequence')) continue;
      const value = lit.text.slice(1, -1);
      // Go drops carriage returns from raw strings; such a literal's bytes are not its text.
      if (value.includes('\r') || Buffer.byteLength(value, 'utf8') < MIN_PROOF_BYTES) continue;
      if (others.some((o) => o.text.includes(value))) continue;
      out.add(value);
    }
  }
  return [...out].sort();
}
