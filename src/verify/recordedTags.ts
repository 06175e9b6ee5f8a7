/**
 * Every Go build tag a folder's records say the build was given, wherever
 * they say it: GOFLAGS (`-tags=a,b`, `--tags a,b`), runc's BUILDTAGS
 * (`seccomp nokmem`), and the same inside recorded command lines (`-e
 * GOFLAGS=...`, `BUILDTAGS=...`), in manifest.json, provenance.json and the
 * SBOM's annotations. A tag recorded anywhere is a claim the binaries must
 * bear out, whatever the mode says.
 */
import type { Manifest } from '../manifest/manifest.js';

/** One tag and the record that names it (`manifest.json goflags`). */
export interface RecordedTag {
  tag: string;
  where: string;
}

/** The tags of a GOFLAGS value: each `-tags`/`--tags` entry, `=value` or the next field, comma-separated. */
export function tagsOfGoflags(goflags: string): string[] {
  const fields = goflags.split(/\s+/).filter(Boolean);
  const out: string[] = [];
  fields.forEach((f, i) => {
    const m = /^--?tags(?:=(.*))?$/.exec(f);
    if (m) out.push(...(m[1] ?? fields[i + 1] ?? '').split(',').filter(Boolean));
  });
  return out;
}

/** The tags of a BUILDTAGS value (runc's Makefile: space-separated; kpatch's --buildtags also takes commas). */
export function tagsOfBuildtags(buildtags: string): string[] {
  return buildtags.split(/[\s,]+/).filter(Boolean);
}

/** The tags a command line gives: `GOFLAGS=...` and `BUILDTAGS=...` assignments, and `-tags` arguments. */
export function tagsOfCommand(args: readonly string[]): string[] {
  const out: string[] = [];
  args.forEach((a, i) => {
    const env = /^(GOFLAGS|BUILDTAGS)=(.*)$/s.exec(a);
    if (env) out.push(...(env[1] === 'GOFLAGS' ? tagsOfGoflags(env[2]) : tagsOfBuildtags(env[2])));
    else if (/^--?tags(=|$)/.test(a)) out.push(...tagsOfGoflags(`${a} ${args[i + 1] ?? ''}`));
  });
  return out;
}

const str = (x: unknown): string | undefined => (typeof x === 'string' ? x : undefined);
const strings = (x: unknown): string[] | undefined => (Array.isArray(x) && x.every((s) => typeof s === 'string') ? x : undefined);
const obj = (x: unknown): Record<string, unknown> => (typeof x === 'object' && x !== null ? (x as Record<string, unknown>) : {});

/** The parts of a record that say how the build was run, read the same way in each record. */
function fromParameters(params: Record<string, unknown>, prefix: string): RecordedTag[] {
  const out: RecordedTag[] = [];
  const add = (where: string, tags: string[]) => out.push(...tags.map((tag) => ({ tag, where: `${prefix}${where}` })));
  const goflags = str(params.goflags);
  if (goflags) add('goflags', tagsOfGoflags(goflags));
  const buildtags = str(params.buildtags);
  if (buildtags) add('buildtags', tagsOfBuildtags(buildtags));
  const command = strings(params.command);
  if (command) add('command', tagsOfCommand(command));
  if (Array.isArray(params.commands)) for (const c of params.commands) add('commands', tagsOfCommand(strings(c) ?? []));
  return out;
}

/**
 * Every tag recorded in the folder's records (the provenance and SBOM as
 * parsed, when the folder has them), with where each is named.
 */
export function recordedTags(m: Manifest, provenance: unknown, sbom: unknown): RecordedTag[] {
  const out = fromParameters(m as unknown as Record<string, unknown>, 'manifest.json ');
  const def = obj(obj(obj(provenance).predicate).buildDefinition);
  const internal = obj(def.internalParameters);
  out.push(...fromParameters(internal, 'provenance.json internalParameters.'));
  out.push(...fromParameters(obj(internal.reproducibleWith), 'provenance.json internalParameters.reproducibleWith.'));
  const external = strings(obj(def.externalParameters).buildTags);
  if (external) out.push(...external.map((tag) => ({ tag, where: 'provenance.json externalParameters.buildTags' })));
  const packages = Array.isArray(obj(sbom).packages) ? (obj(sbom).packages as unknown[]) : [];
  for (const p of packages) {
    for (const a of Array.isArray(obj(p).annotations) ? (obj(p).annotations as unknown[]) : []) {
      const comment = str(obj(a).comment) ?? '';
      const set = /\b(GOFLAGS|BUILDTAGS)=(.*)$/s.exec(comment);
      if (!set) continue;
      const tags = set[1] === 'GOFLAGS' ? tagsOfGoflags(set[2]) : tagsOfBuildtags(set[2]);
      out.push(...tags.map((tag) => ({ tag, where: `sbom.spdx.json annotation of ${str(obj(p).SPDXID) ?? 'a package'}` })));
    }
  }
  return out;
}
