/**
 * Reading Go build constraints (`//go:build expr` and the older `// +build`
 * lines) from a file's header, to tell whether a file is compiled only when a
 * build tag is set.
 */

/** The constraint lines before the `package` clause, as written. */
export function buildConstraintLines(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '').trim();
    if (line.startsWith('package ')) break;
    if (/^\/\/go:build\s/.test(line) || /^\/\/\s*\+build\s/.test(line)) out.push(line);
  }
  return out;
}

/**
 * True when the file's constraints mention `tag` un-negated, i.e. the file is
 * compiled because the tag is set (`//go:build linux && nokmem`,
 * `// +build linux,nokmem`), as opposed to only when it is not (`!nokmem`).
 */
export function selectsTag(text: string, tag: string): boolean {
  const positive = new RegExp(`(^|[^!\\w.])${tag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w.])`);
  return buildConstraintLines(text).some((line) => {
    const expr = line.replace(/^\/\/go:build\s+/, '').replace(/^\/\/\s*\+build\s+/, '');
    return positive.test(expr);
  });
}
