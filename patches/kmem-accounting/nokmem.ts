/**
 * Does the vendored runc offer the `nokmem` build tag? From runc rc6 (commit
 * 6a2c155) the kmem code sits in `kmem.go` (`linux,!nokmem`) with a no-op twin
 * selected by `nokmem`; older trees have no such file and the tag does nothing.
 */
import { selectsTag } from '../../src/engine/buildConstraints.js';
import type { GoFile } from '../../src/engine/sourceFile.js';
import { NOKMEM_TAG } from './rules.js';

/** Target files compiled only with the `nokmem` tag, relative paths. */
export function nokmemFiles(files: GoFile[]): string[] {
  return files.filter((f) => selectsTag(f.text, NOKMEM_TAG)).map((f) => f.path);
}
