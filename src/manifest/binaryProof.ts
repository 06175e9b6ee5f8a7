/**
 * Proof, from a built binary, that a build tag reached the Go compiler: the
 * tag's variant compiled in strings of its own (runc's "kernel memory
 * accounting disabled in this runc build"), and Go 1.18 and later record
 * `-tags` in the build info `go version -m` prints. A tag that silently did
 * nothing (BUILDTAGS instead of GOFLAGS, a harness that drops GOFLAGS) shows
 * up here instead of on a node. Used by `build` and by `verify`.
 */
import { open } from 'node:fs/promises';
import { childEnv, runCapture } from '../process/childProcess.js';
import type { ArtifactProof } from './manifest.js';

/** What a binary must show. */
export interface ProofExpectation {
  /** The build tag, e.g. `nokmem`. */
  tag: string;
  /** Strings only the tag's variant compiles in (may be empty). */
  proofStrings: string[];
}

/** An artifact's findings and what they mean. */
export interface ProofOutcome extends ArtifactProof {
  /** Checks that could run (0 to 2). */
  ran: number;
  /** Why the build info check could not run, when it could not. */
  buildInfoUnread?: string;
  /** One line per check that ran and failed. */
  problems: string[];
}

const CHUNK = 4 << 20;

/**
 * Which of `needles` occur in the file. Streams it (kubelets are 100 MB and
 * more) with an overlap of the longest needle, so a string split across two
 * reads is still found.
 */
export async function findStrings(file: string, needles: string[]): Promise<string[]> {
  const wanted = needles.map((n) => ({ text: n, bytes: Buffer.from(n, 'utf8') }));
  const found = new Set<string>();
  if (!wanted.length) return [];
  const overlap = Math.max(...wanted.map((w) => w.bytes.length)) - 1;
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(CHUNK);
    let carry = Buffer.alloc(0);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) break;
      const window = Buffer.concat([carry, buf.subarray(0, bytesRead)]);
      for (const w of wanted) if (!found.has(w.text) && window.includes(w.bytes)) found.add(w.text);
      if (found.size === wanted.length) break;
      carry = Buffer.from(window.subarray(Math.max(0, window.length - overlap)));
    }
  } finally {
    await fh.close();
  }
  return needles.filter((n) => found.has(n));
}

/**
 * The tags a `go version -m` listing records (`build\t-tags=a,b`): `[]` when
 * the binary has build settings but no tags, undefined when it has no build
 * settings at all (built before Go 1.18, which did not record them), so a
 * missing tag is only ever concluded from a listing that could show one.
 * A listing with two `-tags` settings is ambiguous (Go writes one; a binary
 * edited by hand can hold more): null, which no check may read as a tag.
 */
export function tagsFromBuildInfo(listing: string): string[] | undefined | null {
  if (!/^\s*build\s/m.test(listing)) return undefined;
  const all = [...listing.matchAll(/^\s*build\s+-tags=(\S*)\s*$/gm)];
  if (all.length > 1) return null;
  return all.length ? all[0][1].split(',').filter(Boolean) : [];
}

/** A binary's `-tags` as Go recorded them, or why they could not be read (one phrase). */
export type BuildTags = { tags: string[] } | { unread: string };

/**
 * The `-tags` of a binary's Go build info, through the host's `go version -m`
 * (which reads binaries of any platform), or why they could not be read: no
 * host Go, a file Go does not read as its own, no build settings (built
 * before Go 1.18), or two `-tags` settings.
 */
export async function readBuildTags(binary: string, env: Record<string, string | undefined>): Promise<BuildTags> {
  let r;
  try {
    r = await runCapture('go', ['version', '-m', binary], { env: childEnv(env), timeoutMs: 60_000 });
  } catch {
    return { unread: 'no host Go (go version -m reads the build info)' };
  }
  if (r.exitCode !== 0) return { unread: `go version -m cannot read it (${r.stderr.trim().split('\n')[0] || `exit ${r.exitCode}`})` };
  const tags = tagsFromBuildInfo(r.stdout);
  if (tags === undefined) return { unread: 'it records no Go build settings (built before Go 1.18)' };
  if (tags === null) return { unread: 'its Go build info holds two -tags settings, which Go never writes' };
  return { tags };
}

/** Runs every check that can run on one binary. */
export async function proveBinary(
  binary: string,
  artifactPath: string,
  expect: ProofExpectation,
  env: Record<string, string | undefined>,
): Promise<ProofOutcome> {
  const problems: string[] = [];
  let ran = 0;
  let proofStringsFound: string[] | null = null;
  if (expect.proofStrings.length) {
    ran++;
    proofStringsFound = await findStrings(binary, expect.proofStrings);
    // One is enough: each exists only in the tag's variant, and the linker may drop a function it never calls.
    if (!proofStringsFound.length)
      problems.push(
        `none of the ${expect.tag} variant's strings is in the binary (looked for ${expect.proofStrings.map((s) => JSON.stringify(s)).join(', ')})`,
      );
  }
  const info = await readBuildTags(binary, env);
  const tags = 'tags' in info ? info.tags : undefined;
  if (tags) {
    ran++;
    if (!tags.includes(expect.tag))
      problems.push(`its Go build info lists ${tags.length ? `-tags=${tags.join(',')}` : 'no -tags'}, not ${expect.tag}`);
  }
  return {
    path: artifactPath,
    proofStringsFound,
    buildTags: tags ?? null,
    ran,
    problems,
    ...('unread' in info ? { buildInfoUnread: info.unread } : {}),
  };
}
