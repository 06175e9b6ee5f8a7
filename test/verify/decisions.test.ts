/**
 * verify's decisions, in-process and without child processes: the tables of
 * patchOutcomes.ts (every row has its words, each outcome once), what a
 * mode claims (fixClaim.ts), where records name build tags
 * (recordedTags.ts), and the readers that must not let one thing be said
 * twice or in two encodings (SHA256SUMS lines, JSON keys, Go build info,
 * signature files).
 */
import { describe, expect, it } from 'vitest';
import { tagsFromBuildInfo } from '../../src/manifest/binaryProof.js';
import type { Manifest } from '../../src/manifest/manifest.js';
import { signatureBytes } from '../../src/manifest/signature.js';
import { claimOf } from '../../src/verify/fixClaim.js';
import { repeatedKeys } from '../../src/verify/jsonRecord.js';
import { decide, FILE_ROWS, FILE_WORDS, PATCH_ROWS, PATCH_WORDS, type PatchFacts } from '../../src/verify/patchOutcomes.js';
import { parseSums } from '../../src/verify/readSums.js';
import { recordedTags, tagsOfCommand, tagsOfGoflags } from '../../src/verify/recordedTags.js';
import { Findings, holdSummary } from '../../src/verify/verifyResult.js';

const manifest = (over: Partial<Manifest>): Manifest => ({ recipe: 'kmem-accounting', mode: 'guard', ...over }) as Manifest;

describe('the patch decision tables', () => {
  it('name each outcome once, and every outcome has its words (and no words lack a row)', () => {
    for (const [rows, words] of [
      [PATCH_ROWS, PATCH_WORDS],
      [FILE_ROWS, FILE_WORDS],
    ] as const) {
      const outcomes = rows.map((r) => r.outcome);
      expect(new Set(outcomes).size).toBe(outcomes.length);
      expect(Object.keys(words).sort()).toEqual([...outcomes].sort());
    }
  });

  const base: PatchFacts = {
    kind: 'edit',
    mode: 'guard',
    recipe: 'kmem-accounting',
    patchedFiles: 0,
    repeatedFiles: [],
    tag: 'v1.12.4',
    repo: 'file:///r.git',
    recordedCommit: 'a'.repeat(40),
    fetchedCommit: 'a'.repeat(40),
    unrecorded: [],
  };
  const outcomes = (f: Partial<PatchFacts>) =>
    decide(PATCH_ROWS, PATCH_WORDS, { ...base, ...f }).map((x) => `${x.status} ${x.file}: ${x.message}`);

  it('a source mode without a patch fails; a build-tag mode without one says nothing', () => {
    expect(outcomes({})).toEqual(['fail manifest.json: mode guard is a source patch, but no patch is recorded']);
    expect(outcomes({ kind: 'tag', mode: 'nokmem' })).toEqual([]);
  });

  it('a patch that applies but leaves the tag affected holds as "applies" and fails as no fix', () => {
    const p = 'patches/0001-kmem-accounting-guard.patch';
    expect(outcomes({ patch: p, file: 'read', apply: 'applies', after: { verdict: 'affected', sites: 'x.go:3 unguarded' } })).toEqual([
      `ok ${p}: applies to v1.12.4 (aaaaaaaaaaaa) from file:///r.git`,
      `fail ${p}: applied to v1.12.4, the tree is still affected (x.go:3 unguarded): it is not a fix of recipe kmem-accounting`,
    ]);
  });

  it('a patch the recipe finds the tag fixed by holds twice: it applies, and it fixes', () => {
    const p = 'patches/0001-kmem-accounting-guard.patch';
    expect(outcomes({ patch: p, file: 'read', apply: 'applies', after: { verdict: 'patched', sites: '' } })).toEqual([
      `ok ${p}: applies to v1.12.4 (aaaaaaaaaaaa) from file:///r.git`,
      `ok ${p}: applied to v1.12.4, recipe kmem-accounting finds the tree patched: nothing left to fix`,
    ]);
  });

  it('a patch in a build-tag mode, a moved tag, and a repeated patched file each fail', () => {
    const got = outcomes({
      kind: 'tag',
      mode: 'nokmem',
      patch: 'patches/0001-x.patch',
      file: 'read',
      fetchedCommit: 'b'.repeat(40),
      repeatedFiles: ['a.go'],
      apply: { fails: 'patch failed: a.go:3' },
    });
    expect(got).toEqual([
      expect.stringMatching(/^fail manifest\.json: records a patch \(patches\/0001-x\.patch\), but mode nokmem changes no source/),
      expect.stringMatching(/^fail manifest\.json: patchedFiles lists a\.go more than once/),
      expect.stringMatching(/^fail manifest\.json: records v1\.12\.4 as commit a+, but file:\/\/\/r\.git has it at b+/),
      'fail patches/0001-x.patch: does not apply to v1.12.4 (bbbbbbbbbbbb): patch failed: a.go:3',
    ]);
  });
});

describe('what a mode claims', () => {
  it('each mode of the recipe, and none', () => {
    expect(claimOf(manifest({ mode: 'guard' }))).toMatchObject({ kind: 'edit', mode: 'guard' });
    expect(claimOf(manifest({ mode: 'remove' }))).toMatchObject({ kind: 'edit', mode: 'remove' });
    expect(claimOf(manifest({ mode: 'nokmem' }))).toMatchObject({ kind: 'tag', tag: 'nokmem' });
    expect(claimOf(manifest({ mode: 'none' }))).toMatchObject({ kind: 'none' });
  });

  it('an unknown mode or recipe is a problem, never a claim of nothing', () => {
    expect(claimOf(manifest({ mode: 'auto' }))).toEqual({
      problem:
        'mode "auto" is not a mode of recipe kmem-accounting (guard, remove, nokmem, none): nothing says what the binaries must show',
    });
    expect(claimOf(manifest({ mode: 'nokmem ' }))).toHaveProperty('problem');
    expect(claimOf(manifest({ recipe: 'other' }))).toEqual({ problem: 'recipe "other" is not one this kpatch has (kmem-accounting)' });
  });
});

describe('build tags recorded anywhere', () => {
  it('GOFLAGS in its spellings, BUILDTAGS, and both inside command lines', () => {
    expect(tagsOfGoflags('-mod=vendor -tags=a,nokmem')).toEqual(['a', 'nokmem']);
    expect(tagsOfGoflags('--tags nokmem -v')).toEqual(['nokmem']);
    expect(tagsOfCommand(['podman', 'run', '-e', 'GOFLAGS=-tags=nokmem', 'img', 'make'])).toEqual(['nokmem']);
    expect(tagsOfCommand(['make', 'BUILDTAGS=seccomp nokmem'])).toEqual(['seccomp', 'nokmem']);
    expect(tagsOfCommand(['go', 'build', '-tags', 'nokmem', './cmd'])).toEqual(['nokmem']);
  });

  it('in the manifest, the provenance and the SBOM, each named by where it is', () => {
    const got = recordedTags(
      manifest({ goflags: '-tags=nokmem', command: ['make'], commands: [['make', 'BUILDTAGS=nokmem']] }),
      { predicate: { buildDefinition: { internalParameters: { reproducibleWith: { goflags: '-tags=nokmem' } }, externalParameters: {} } } },
      {
        packages: [
          { SPDXID: 'SPDXRef-Source', annotations: [{ comment: 'built by kpatch without a source change: GOFLAGS=-tags=nokmem' }] },
        ],
      },
    );
    expect(got.map((t) => `${t.tag} @ ${t.where}`)).toEqual([
      'nokmem @ manifest.json goflags',
      'nokmem @ manifest.json commands',
      'nokmem @ provenance.json internalParameters.reproducibleWith.goflags',
      'nokmem @ sbom.spdx.json annotation of SPDXRef-Source',
    ]);
  });
});

describe('readers that must not read one thing two ways', () => {
  it('Go build info with two -tags settings is ambiguous (null), never read as either', () => {
    expect(tagsFromBuildInfo('k: go1.19\n\tbuild\t-tags=\n\tbuild\t-tags=nokmem\n')).toBeNull();
  });

  it('SHA256SUMS: a name twice, a name that is not UTF-8, a line of another shape', () => {
    const found = new Findings();
    const a = 'a'.repeat(64);
    const sums = parseSums(
      Buffer.concat([Buffer.from(`${a}  k\n${'b'.repeat(64)} *k\n${a}  odd`), Buffer.from([0xc3, 0x28]), Buffer.from(`\n${a} k2\n`)]),
      found,
    );
    expect([...sums]).toEqual([['k', a]]);
    expect(found.list.map((f) => f.message)).toEqual([
      expect.stringMatching(/^lists k twice \(lines 1 and 2\)/),
      expect.stringMatching(/^line 3 names "odd\\xc3\(": its name is not UTF-8/),
      'line 4 is not "<sha256>  <file>": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa k2"',
    ]);
  });

  it('JSON keys repeated in nested objects, escapes decoded', () => {
    expect(repeatedKeys('{"a":1,"b":{"c":[{"d":1,"\\u0064":2}]},"a":3}')).toEqual(['"d" (in /b/c/0)', '"a" (in /)']);
    expect(repeatedKeys('{"a":{"x":1},"b":{"x":1}}')).toEqual([]);
  });

  it('a signature file: base64 with line breaks anywhere, else its bytes as raw DER', () => {
    const der = Buffer.from([0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02]);
    const b64 = der.toString('base64');
    expect(signatureBytes(Buffer.from(b64))).toEqual(der);
    expect(signatureBytes(Buffer.from(`${b64.slice(0, 4)}\r\n${b64.slice(4)}\n`))).toEqual(der);
    expect(signatureBytes(der)).toEqual(der);
    // A space is not base64 to Go: the file is taken as it is.
    expect(signatureBytes(Buffer.from(`${b64} `))).toEqual(Buffer.from(`${b64} `));
  });
});

describe("verify's closing line", () => {
  it('counts skips apart from the checks that hold', () => {
    const f = new Findings();
    f.ok('a', 'x');
    expect(holdSummary(f.list)).toBe('1 check holds');
    f.skip('SHA256SUMS.sig', 'not checked');
    f.ok('b', 'y');
    expect(holdSummary(f.list)).toBe('2 checks hold, 1 skipped (SHA256SUMS.sig: not checked)');
  });
});
