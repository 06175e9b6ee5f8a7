/**
 * The records a build folder publishes (issue 16): provenance.json (in-toto
 * Statement v1 + SLSA provenance v1), sbom.spdx.json (SPDX 2.3) and, with
 * --sign-key, SHA256SUMS.sig, checked the way a consumer checks them: the
 * JSON schemas written from the specifications, `sha256sum -c`, `openssl
 * dgst -sha256 -verify`, and `kpatch verify --key`, which must fail naming
 * the file on a tampered subject, binary, SBOM, or a wrong key. One guard
 * build of the stand-in v1.12.4 (local runner) serves every assertion.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kpatch } from '../helpers/cli.js';
import { schemaErrors } from '../helpers/jsonSchema.js';
import { makeStandinRemote, type StandinRemote } from '../helpers/standin-repo.js';
import { spdxIdProblems } from '../../src/verify/checkRecords.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'kpatch-records-'));
const env = { CI: '1', KPATCH_CACHE_DIR: path.join(tmp, 'cache'), HOME: path.join(tmp, 'home') };
const built = path.join(tmp, 'built');
const KEY = path.join(tmp, 'key.pem');
const PUB = path.join(tmp, 'pub.pem');
const OTHER_PUB = path.join(tmp, 'other-pub.pem');
const KUBELET = 'linux-amd64/kubelet';
const PATCH = 'patches/0001-kmem-accounting-guard.patch';
let remote: StandinRemote;
let copies = 0;

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const json = (dir: string, name: string) => JSON.parse(readFileSync(path.join(dir, name), 'utf8'));
const failLines = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('FAIL'));

function newKey(priv: string, pub: string): void {
  execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', priv]);
  execFileSync('openssl', ['ec', '-in', priv, '-pubout', '-out', pub], { stdio: 'pipe' });
}

/** What a consumer runs: `base64 -d SHA256SUMS.sig | openssl dgst -sha256 -verify pub.pem -signature /dev/stdin SHA256SUMS`. */
function opensslVerify(dir: string, pub: string): { code: number; out: string } {
  const r = spawnSync(
    'sh',
    ['-c', 'base64 -d SHA256SUMS.sig | openssl dgst -sha256 -verify "$1" -signature /dev/stdin SHA256SUMS', 'sh', pub],
    { cwd: dir, encoding: 'utf8' },
  );
  return { code: r.status ?? 1, out: r.stdout + r.stderr };
}

function flip(file: string): void {
  const bytes = readFileSync(file);
  bytes[bytes.length >> 1] ^= 0xff;
  writeFileSync(file, bytes);
}

function copy(): string {
  const dir = path.join(tmp, `copy-${++copies}`);
  cpSync(built, dir, { recursive: true });
  return dir;
}

/** Rewrites SHA256SUMS from the files (as someone who changed a file would, to hide it from `sha256sum -c`). */
function resum(dir: string): void {
  const lines = readFileSync(path.join(dir, 'SHA256SUMS'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('  ')[1])
    .filter((f) => existsSync(path.join(dir, f)));
  writeFileSync(path.join(dir, 'SHA256SUMS'), lines.map((f) => `${sha(path.join(dir, f))}  ${f}`).join('\n') + '\n');
}

beforeAll(() => {
  mkdirSync(env.HOME, { recursive: true });
  newKey(KEY, PUB);
  newKey(path.join(tmp, 'other.pem'), OTHER_PUB);
  remote = makeStandinRemote(tmp, { tags: ['v1.12.4'] });
  const r = kpatch(['build', '--k8s', 'v1.12.4', '--repo', remote.url, '--runner', 'local', '--sign-key', KEY, '--out', built], { env });
  if (r.code !== 0) throw new Error(`build failed: ${r.stderr}`);
}, 600_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('provenance.json', () => {
  it('is an in-toto Statement v1 with a SLSA provenance v1 predicate, valid against the schema written from both specifications', () => {
    const doc = json(built, 'provenance.json');
    expect(schemaErrors('provenance.schema.json', doc)).toEqual([]);
    expect(doc._type).toBe('https://in-toto.io/Statement/v1');
    expect(doc.predicateType).toBe('https://slsa.dev/provenance/v1');
  });

  it('names every binary with its sha256, the tag commit, the patch, the Go toolchain and what a rebuild must match', () => {
    const doc = json(built, 'provenance.json');
    const m = json(built, 'manifest.json');
    expect(doc.subject).toEqual([{ name: KUBELET, digest: { sha256: sha(path.join(built, KUBELET)) } }]);
    const def = doc.predicate.buildDefinition;
    expect(def.buildType).toBe('https://kpatch.invalid/buildtypes/kpatch-build/v1');
    expect(def.externalParameters).toMatchObject({
      target: 'kubelet',
      tag: 'v1.12.4',
      repository: remote.url,
      mode: 'guard',
      platforms: ['linux/amd64'],
      runner: 'local',
      versionString: 'v1.12.4+kpatch.guard',
    });
    expect(def.internalParameters).toMatchObject({ mode: 'guard', sourceDateEpoch: m.sourceDateEpoch });
    expect(def.internalParameters.reproducibleWith).toMatchObject({
      goVersion: m.goVersion,
      sourceDateEpoch: m.sourceDateEpoch,
      sourceCommit: remote.commits['v1.12.4'],
      patchSha256: sha(path.join(built, PATCH)),
    });
    const deps = Object.fromEntries(def.resolvedDependencies.map((d: { name: string }) => [d.name, d]));
    expect(deps.source).toMatchObject({ uri: `git+${remote.url}@refs/tags/v1.12.4`, digest: { gitCommit: remote.commits['v1.12.4'] } });
    expect(deps.patch.digest).toEqual({ sha256: sha(path.join(built, PATCH)) });
    expect(deps['go-toolchain'].annotations.version).toMatch(/^go1\.\d+/);
    expect(doc.predicate.runDetails.builder.id).toMatch(/^https:\/\/kpatch\.invalid\/builder\/kpatch@\d+\.\d+\.\d+/);
    expect(doc.predicate.runDetails.metadata).toMatchObject({
      invocationId: expect.stringMatching(/^urn:uuid:/),
      startedOn: m.startedAt,
      finishedOn: m.finishedAt,
    });
  });
});

describe('sbom.spdx.json', () => {
  it('is SPDX 2.3, valid against the schema, with unique ids and relationships that resolve', () => {
    const doc = json(built, 'sbom.spdx.json');
    expect(schemaErrors('spdx-2.3.schema.json', doc)).toEqual([]);
    expect(spdxIdProblems(doc)).toEqual([]);
    expect(doc).toMatchObject({ spdxVersion: 'SPDX-2.3', dataLicense: 'CC0-1.0', SPDXID: 'SPDXRef-DOCUMENT' });
    expect(doc.documentNamespace).toMatch(/^https:\/\/kpatch\.invalid\/spdx\//);
  });

  it('has the binary with its SHA256, generated from the source release, and the vendored runc annotated as modified with the patch sha256', () => {
    const doc = json(built, 'sbom.spdx.json');
    const bin = doc.packages.find((p: { packageFileName?: string }) => p.packageFileName === KUBELET);
    expect(bin.checksums).toEqual([{ algorithm: 'SHA256', checksumValue: sha(path.join(built, KUBELET)) }]);
    expect(doc.relationships).toContainEqual({
      spdxElementId: bin.SPDXID,
      relationshipType: 'GENERATED_FROM',
      relatedSpdxElement: 'SPDXRef-Source',
    });
    expect(doc.relationships).toContainEqual({
      spdxElementId: 'SPDXRef-DOCUMENT',
      relationshipType: 'DESCRIBES',
      relatedSpdxElement: bin.SPDXID,
    });
    const source = doc.packages.find((p: { SPDXID: string }) => p.SPDXID === 'SPDXRef-Source');
    expect(source).toMatchObject({
      name: 'kubernetes',
      versionInfo: 'v1.12.4',
      downloadLocation: `git+${remote.url}@${remote.commits['v1.12.4']}`,
    });
    // The stand-in is a GOPATH-era tree: no module list in the binary or the tree, so runc is named from its vendor path.
    const runc = doc.packages.find((p: { name: string }) => p.name === 'github.com/opencontainers/runc');
    expect(runc.annotations[0].comment).toContain(
      `modified by kpatch (recipe kmem-accounting, mode guard): ${PATCH} sha256 ${sha(path.join(built, PATCH))}`,
    );
    expect(doc.relationships).toContainEqual({ spdxElementId: bin.SPDXID, relationshipType: 'CONTAINS', relatedSpdxElement: runc.SPDXID });
  });
});

describe('SHA256SUMS.sig', () => {
  it('SHA256SUMS lists every file, provenance and SBOM included, and sha256sum -c accepts it', () => {
    const names = readFileSync(path.join(built, 'SHA256SUMS'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('  ')[1]);
    expect(names).toEqual(expect.arrayContaining(['provenance.json', 'sbom.spdx.json', 'manifest.json', KUBELET, PATCH]));
    expect(names).not.toContain('SHA256SUMS.sig');
    execFileSync('sha256sum', ['-c', '--quiet', 'SHA256SUMS'], { cwd: built });
  });

  it('is base64 of a DER ECDSA signature that openssl verifies with the public key, and rejects with another', () => {
    expect(readFileSync(path.join(built, 'SHA256SUMS.sig'), 'utf8')).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    expect(opensslVerify(built, PUB)).toEqual({ code: 0, out: expect.stringContaining('Verified OK') });
    expect(opensslVerify(built, OTHER_PUB).code).toBe(1);
  });
});

describe('kpatch verify --key', () => {
  it('holds on the fresh folder: provenance, SBOM and signature each get an ok line', () => {
    const r = kpatch(['verify', built, '--key', PUB], { env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ok   provenance\.json: 1 subject\(s\) match the files/m);
    expect(r.stdout).toMatch(/^ok   sbom\.spdx\.json: SPDX 2\.3/m);
    expect(r.stdout).toContain('ok   SHA256SUMS.sig: a valid ECDSA P-256 signature of SHA256SUMS by --key');
  });

  it('without --key, says the signature was not checked (skip), and still holds', () => {
    const r = kpatch(['verify', built], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('skip SHA256SUMS.sig: not checked: give --key PUB.pem');
  });

  it('fails naming SHA256SUMS.sig with another key', () => {
    const r = kpatch(['verify', built, '--key', OTHER_PUB], { env });
    expect(r.code).toBe(1);
    expect(failLines(r.stdout)).toEqual([expect.stringMatching(/^FAIL SHA256SUMS\.sig: does not match SHA256SUMS with this key/)]);
    expect(r.stderr).toContain('about: SHA256SUMS.sig');
  });

  it('fails naming provenance.json when a subject digest was changed and SHA256SUMS rewritten to match (and the signature then fails too)', () => {
    const dir = copy();
    const doc = json(dir, 'provenance.json');
    doc.subject[0].digest.sha256 = 'f'.repeat(64);
    writeFileSync(path.join(dir, 'provenance.json'), JSON.stringify(doc, null, 2) + '\n');
    resum(dir);
    const r = kpatch(['verify', dir, '--key', PUB], { env });
    expect(r.code).toBe(1);
    expect(failLines(r.stdout)).toEqual([
      expect.stringMatching(new RegExp(`^FAIL provenance\\.json: subject ${KUBELET} says sha256 ffff`)),
      expect.stringMatching(/^FAIL SHA256SUMS\.sig: does not match/),
    ]);
  });

  it('fails naming only the kubelet when one of its bytes is flipped (the records that name it do not repeat it)', () => {
    const dir = copy();
    flip(path.join(dir, KUBELET));
    const r = kpatch(['verify', dir, '--key', PUB], { env });
    expect(r.code).toBe(1);
    expect(failLines(r.stdout)).toEqual([expect.stringMatching(new RegExp(`^FAIL ${KUBELET}: sha256 is \\w+…, but SHA256SUMS says`))]);
  });

  it('fails naming provenance.json, sbom.spdx.json and the signature when the kubelet was changed and manifest.json and SHA256SUMS rewritten to match', () => {
    const dir = copy();
    flip(path.join(dir, KUBELET));
    const m = json(dir, 'manifest.json');
    m.artifacts[0].sha256 = sha(path.join(dir, KUBELET));
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m, null, 2) + '\n');
    resum(dir);
    const r = kpatch(['verify', dir, '--key', PUB], { env });
    expect(r.code).toBe(1);
    expect(failLines(r.stdout)).toEqual([
      expect.stringMatching(new RegExp(`^FAIL provenance\\.json: subject ${KUBELET} says sha256`)),
      expect.stringMatching(new RegExp(`^FAIL sbom\\.spdx\\.json: package \\S+ says ${KUBELET} has SHA256`)),
      expect.stringMatching(/^FAIL SHA256SUMS\.sig: does not match/),
    ]);
  });

  it('fails naming sbom.spdx.json when a checksum in it was changed and SHA256SUMS rewritten', () => {
    const dir = copy();
    const doc = json(dir, 'sbom.spdx.json');
    doc.packages.find((p: { packageFileName?: string }) => p.packageFileName === KUBELET).checksums[0].checksumValue = '0'.repeat(64);
    writeFileSync(path.join(dir, 'sbom.spdx.json'), JSON.stringify(doc, null, 2) + '\n');
    resum(dir);
    const r = kpatch(['verify', dir], { env });
    expect(r.code).toBe(1);
    expect(failLines(r.stdout)).toEqual([
      expect.stringMatching(new RegExp(`^FAIL sbom\\.spdx\\.json: package \\S+ says ${KUBELET} has SHA256 0000`)),
    ]);
  });

  it('fails naming SHA256SUMS.sig when --key is given and the folder is not signed', () => {
    const dir = copy();
    rmSync(path.join(dir, 'SHA256SUMS.sig'));
    const r = kpatch(['verify', dir, '--key', PUB], { env });
    expect(r.code).toBe(1);
    expect(failLines(r.stdout)).toEqual(['FAIL SHA256SUMS.sig: missing: --key was given, but the folder is not signed']);
  });

  it('a folder whose provenance and SBOM were dropped fails naming each (every build writes both); an unsigned one says skip', () => {
    const dir = copy();
    for (const f of ['provenance.json', 'sbom.spdx.json', 'SHA256SUMS.sig']) rmSync(path.join(dir, f));
    resum(dir);
    const r = kpatch(['verify', dir], { env });
    expect(r.code, r.stdout).toBe(1);
    expect(failLines(r.stdout)).toEqual([
      'FAIL provenance.json: missing: every artifact folder kpatch writes has one',
      'FAIL sbom.spdx.json: missing: every artifact folder kpatch writes has one',
    ]);
    expect(r.stdout).toMatch(/^skip SHA256SUMS\.sig: the folder is not signed/m);
  });
});

describe('every record names each file once: verify fails and sign refuses', () => {
  /** A copy spoiled by `spoil`, with SHA256SUMS rewritten to match and no signature (so sign has something to do). */
  const spoiled = (spoil: (dir: string) => void) => {
    const dir = copy();
    rmSync(path.join(dir, 'SHA256SUMS.sig'));
    spoil(dir);
    resum(dir);
    return dir;
  };
  const cases: { name: string; spoil: (dir: string) => void; fail: RegExp }[] = [
    {
      name: "provenance.json with a second subject of the kubelet's name (a made-up digest)",
      spoil: (dir) => {
        const doc = json(dir, 'provenance.json');
        doc.subject.push({ name: KUBELET, digest: { sha256: 'e'.repeat(64) } });
        writeFileSync(path.join(dir, 'provenance.json'), JSON.stringify(doc, null, 2) + '\n');
      },
      fail: new RegExp(`^FAIL provenance\\.json: names the subject "${KUBELET}" more than once`, 'm'),
    },
    {
      name: 'sbom.spdx.json with two packages of one packageFileName',
      spoil: (dir) => {
        const doc = json(dir, 'sbom.spdx.json');
        const bin = doc.packages.find((p: { packageFileName?: string }) => p.packageFileName === KUBELET);
        doc.packages.push({ ...bin, SPDXID: `${bin.SPDXID}-2`, checksums: [{ algorithm: 'SHA256', checksumValue: 'e'.repeat(64) }] });
        writeFileSync(path.join(dir, 'sbom.spdx.json'), JSON.stringify(doc, null, 2) + '\n');
      },
      fail: new RegExp(`^FAIL sbom\\.spdx\\.json: has more than one package with packageFileName "${KUBELET}"`, 'm'),
    },
    {
      name: 'manifest.json listing the kubelet twice in artifacts',
      spoil: (dir) => {
        const m = json(dir, 'manifest.json');
        m.artifacts.push({ ...m.artifacts[0], sha256: 'e'.repeat(64) });
        writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m, null, 2) + '\n');
      },
      fail: new RegExp(`^FAIL manifest\\.json: lists ${KUBELET} more than once in artifacts`, 'm'),
    },
    {
      name: 'SHA256SUMS listing the kubelet twice, a made-up digest first',
      spoil: () => {},
      fail: new RegExp(`^FAIL SHA256SUMS: lists ${KUBELET} twice \\(lines 1 and \\d+\\)`, 'm'),
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const dir = spoiled(c.spoil);
      if (c.name.startsWith('SHA256SUMS'))
        writeFileSync(path.join(dir, 'SHA256SUMS'), `${'e'.repeat(64)}  ${KUBELET}\n` + readFileSync(path.join(dir, 'SHA256SUMS'), 'utf8'));
      const v = kpatch(['verify', dir], { env });
      expect(v.code, v.stdout).toBe(1);
      expect(v.stdout).toMatch(c.fail);
      const s = kpatch(['sign', dir, '--sign-key', KEY], { env });
      expect(s.code).toBe(1);
      expect(s.stderr).toContain('error[artifacts_mismatch]');
      expect(s.stderr).toMatch(new RegExp(c.fail.source.replace(/^\^/, ''), 'm'));
      expect(existsSync(path.join(dir, 'SHA256SUMS.sig'))).toBe(false);
    });
  }

  it('sign refuses a folder holding a file whose name is not UTF-8', () => {
    const dir = spoiled((d) => writeFileSync(Buffer.from(`${d}/notes\xff`, 'latin1'), 'x\n'));
    const s = kpatch(['sign', dir, '--sign-key', KEY], { env });
    expect(s.code).toBe(1);
    expect(s.stderr).toContain('FAIL "notes\\xff": its name is not UTF-8');
    expect(existsSync(path.join(dir, 'SHA256SUMS.sig'))).toBe(false);
  });
});

describe('kpatch sign', () => {
  it('signs a folder built without a key; openssl and verify --key accept it', () => {
    const dir = copy();
    rmSync(path.join(dir, 'SHA256SUMS.sig'));
    const r = kpatch(['sign', dir, '--sign-key', KEY], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(opensslVerify(dir, PUB).out).toContain('Verified OK');
    expect(kpatch(['verify', dir, '--key', PUB], { env }).code).toBe(0);
  });

  it('refuses to sign a SHA256SUMS that does not match the files, and writes nothing', () => {
    const dir = copy();
    rmSync(path.join(dir, 'SHA256SUMS.sig'));
    writeFileSync(path.join(dir, 'notes.txt'), 'added after the build\n');
    const r = kpatch(['sign', dir, '--sign-key', KEY], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error[artifacts_mismatch]');
    expect(r.stderr).toContain('FAIL notes.txt: not listed in SHA256SUMS');
    expect(existsSync(path.join(dir, 'SHA256SUMS.sig'))).toBe(false);
  });
});
