/**
 * Adding a build tag to GOFLAGS. Go (1.11 and later) reads GOFLAGS from the
 * environment and Kubernetes' build harness passes it through (1.18 to 1.21
 * pick the `-tags=` value out of it and add their own), whereas runc's
 * `BUILDTAGS` is silently ignored by Kubernetes: GOFLAGS is the one way a tag
 * reaches the compiler in every runner.
 */

/**
 * GOFLAGS with `tag` added to its `-tags` list, keeping everything else the
 * user set. GOFLAGS is a space-separated list of flags; a `-tags` entry that is
 * there already gets the tag appended with a comma (the list syntax of Go 1.13
 * and later), a missing one is added as `-tags=<tag>`. A later `-tags` entry
 * would override an earlier one, so all of them are merged into the last.
 */
export function goflagsWithTag(goflags: string | undefined, tag: string): string {
  const fields = (goflags ?? '').split(/\s+/).filter(Boolean);
  const isTags = (f: string) => /^--?tags=/.test(f);
  const tags: string[] = [];
  for (const f of fields.filter(isTags)) {
    for (const t of f.replace(/^--?tags=/, '').split(',')) if (t && !tags.includes(t)) tags.push(t);
  }
  if (!tags.includes(tag)) tags.push(tag);
  return [...fields.filter((f) => !isTags(f)), `-tags=${tags.join(',')}`].join(' ');
}
