/**
 * Records are bytes: `kpatch verify --key` decides a signature exactly as
 * `openssl dgst -sha256 -verify` does on the same SHA256SUMS bytes and the
 * same DER (read from base64 as cosign reads it: line breaks anywhere, or
 * raw DER), and names that are not UTF-8 are refused, never shown as their
 * U+FFFD twin. Hand-made folders (untrusted.ts): the lines looked at are the
 * signature's and the names', whatever else the folder fails.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Sums } from '../../src/manifest/checksums.js';
import { KpatchError } from '../../src/errors.js';
import { kpatch } from '../helpers/cli.js';
import { artifactFolder } from '../helpers/untrusted.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'kpatch-bytes-'));
const env = { CI: '1', KPATCH_CACHE_DIR: path.join(tmp, 'cache'), HOME: path.join(tmp, 'home') };
const KEY = path.join(tmp, 'key.pem');
const PUB = path.join(tmp, 'pub.pem');
let rows = 0;

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

beforeAll(() => {
  mkdirSync(env.HOME, { recursive: true });
  execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', KEY]);
  execFileSync('openssl', ['ec', '-in', KEY, '-pubout', '-out', PUB], { stdio: 'pipe' });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A hand-made artifact folder whose SHA256SUMS gets `extra` lines (bytes) and files. */
function folder(extra: { name: Buffer; data: Buffer }[] = []): string {
  const dir = artifactFolder(path.join(tmp, `row-${++rows}`));
  const sums = path.join(dir, 'SHA256SUMS');
  const lines = [readFileSync(sums)];
  for (const e of extra) {
    writeFileSync(Buffer.concat([Buffer.from(dir + '/'), e.name]), e.data);
    lines.push(Buffer.concat([Buffer.from(`${sha(e.data)}  `), e.name, Buffer.from('\n')]));
  }
  writeFileSync(sums, Buffer.concat(lines));
  return dir;
}

/** The raw DER signature openssl makes over the folder's SHA256SUMS bytes. */
const opensslSign = (dir: string): Buffer => execFileSync('openssl', ['dgst', '-sha256', '-sign', KEY, 'SHA256SUMS'], { cwd: dir });

/** An openssl signature of exactly `n` bytes (ECDSA signatures vary: 70 to 72 bytes on P-256). */
function signatureOfLength(dir: string, n: number): Buffer {
  for (let i = 0; i < 200; i++) {
    const der = opensslSign(dir);
    if (der.length === n) return der;
  }
  throw new Error(`no ${n}-byte signature in 200 tries`);
}

/** openssl's verdict on the folder's SHA256SUMS bytes and a DER signature. */
function opensslVerifies(dir: string, der: Buffer): boolean {
  const f = path.join(tmp, `sig-${rows}.der`);
  writeFileSync(f, der);
  return spawnSync('openssl', ['dgst', '-sha256', '-verify', PUB, '-signature', f, 'SHA256SUMS'], { cwd: dir }).status === 0;
}

/** kpatch's verdict on the folder's signature file: its SHA256SUMS.sig line. */
function kpatchVerifies(dir: string): boolean {
  const r = kpatch(['verify', dir, '--key', PUB], { env });
  const line = r.stdout.split('\n').find((l) => / SHA256SUMS\.sig: /.test(l));
  expect(line, r.stdout + r.stderr).toBeDefined();
  return line!.startsWith('ok ');
}

/** base64 wrapped at 76 columns, as `openssl dgst -sign | base64` writes it. */
const wrapped = (der: Buffer, eol = '\n') => (der.toString('base64').match(/.{1,76}/g) ?? []).join(eol) + eol;

describe('signatures: kpatch verify --key agrees with openssl dgst -verify', () => {
  const cases: { name: string; make: (dir: string, der: Buffer) => { file: Buffer; der: Buffer }; ok: boolean }[] = [
    {
      name: 'base64 on one line (as kpatch and cosign write it)',
      make: (_d, der) => ({ file: Buffer.from(der.toString('base64')), der }),
      ok: true,
    },
    {
      name: 'base64 wrapped at 76 columns (openssl dgst -sign | base64)',
      make: (_d, der) => ({ file: Buffer.from(wrapped(der)), der }),
      ok: true,
    },
    { name: 'base64 wrapped with CRLF line ends', make: (_d, der) => ({ file: Buffer.from(wrapped(der, '\r\n')), der }), ok: true },
    { name: 'raw DER (openssl dgst -sign), which cosign reads too', make: (_d, der) => ({ file: der, der }), ok: true },
    {
      // openssl dgst reads at most 72 bytes (EVP_PKEY_size of a P-256 key) of the signature and ignores the rest.
      name: 'a 72-byte DER signature with a byte appended (past what openssl reads)',
      make: (dir) => {
        const long = Buffer.concat([signatureOfLength(dir, 72), Buffer.from([0])]);
        return { file: Buffer.from(long.toString('base64')), der: long };
      },
      ok: true,
    },
    {
      name: 'a shorter DER signature with a byte appended (trailing garbage openssl reads)',
      make: (dir) => {
        const long = Buffer.concat([signatureOfLength(dir, 71), Buffer.from([0])]);
        return { file: Buffer.from(long.toString('base64')), der: long };
      },
      ok: false,
    },
    {
      name: 'DER whose sequence length is in long form (not DER, which is canonical)',
      make: (_d, der) => {
        const loose = Buffer.concat([Buffer.from([0x30, 0x81, der[1]]), der.subarray(2)]);
        return { file: Buffer.from(loose.toString('base64')), der: loose };
      },
      ok: false,
    },
    {
      name: 'base64 without its padding: not base64 to cosign, so read as raw bytes',
      make: (_d, der) => {
        const b64 = der.toString('base64');
        // Without its '=' padding, or (when it has none) a character short: either way not a multiple of 4.
        const text = Buffer.from(b64.endsWith('=') ? b64.replace(/=+$/, '') : b64.slice(0, -1));
        return { file: text, der: text };
      },
      ok: false,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const dir = folder();
      const { file, der } = c.make(dir, opensslSign(dir));
      writeFileSync(path.join(dir, 'SHA256SUMS.sig'), file);
      const expected = opensslVerifies(dir, der);
      expect(expected, 'openssl').toBe(c.ok);
      expect(kpatchVerifies(dir), 'kpatch').toBe(expected);
    });
  }

  it('over the bytes of a SHA256SUMS naming a file that is not UTF-8: valid as signed, invalid once that byte changes', () => {
    const dir = folder([{ name: Buffer.from('notes\xff', 'latin1'), data: Buffer.from('x\n') }]);
    const der = opensslSign(dir);
    writeFileSync(path.join(dir, 'SHA256SUMS.sig'), der.toString('base64'));
    expect(opensslVerifies(dir, der)).toBe(true);
    expect(kpatchVerifies(dir)).toBe(true);
    // Another byte that is not UTF-8 either: decoded, both would read as U+FFFD.
    const sums = readFileSync(path.join(dir, 'SHA256SUMS'));
    sums[sums.lastIndexOf(0xff)] = 0xfe;
    writeFileSync(path.join(dir, 'SHA256SUMS'), sums);
    expect(opensslVerifies(dir, der)).toBe(false);
    expect(kpatchVerifies(dir)).toBe(false);
  });
});

describe('names that are not UTF-8', () => {
  it('verify fails naming the file by its bytes, and the SHA256SUMS line that names it', () => {
    const dir = folder([{ name: Buffer.from('notes\xff', 'latin1'), data: Buffer.from('x\n') }]);
    const r = kpatch(['verify', dir], { env });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAIL "notes\\xff": its name is not UTF-8');
    expect(r.stdout).toMatch(/^FAIL SHA256SUMS: line 5 names "notes\\xff": its name is not UTF-8/m);
  });

  it('a file whose name is not UTF-8 is not hidden by its U+FFFD twin', () => {
    const dir = folder([{ name: Buffer.from('twin\uFFFD', 'utf8'), data: Buffer.from('listed\n') }]);
    writeFileSync(Buffer.from(`${dir}/twin\xff`, 'latin1'), 'not listed\n');
    expect(readdirSync(dir)).toContain('twin\uFFFD');
    const r = kpatch(['verify', dir], { env });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAIL "twin\\xff": its name is not UTF-8');
    expect(r.stdout).toContain('ok   twin\uFFFD: sha256');
  });

  it('build refuses to write SHA256SUMS over a folder holding one (name_not_utf8)', async () => {
    const dir = path.join(tmp, 'staged');
    mkdirSync(dir);
    writeFileSync(Buffer.from(`${dir}/odd\xff`, 'latin1'), 'x');
    const e = await sha256Sums(dir).catch((x) => x);
    expect(e).toBeInstanceOf(KpatchError);
    expect(e).toMatchObject({ id: 'name_not_utf8' });
    expect(e.detail).toContain('"odd\\xff": its name is not UTF-8');
  });
});

describe('SHA256SUMS and JSON records say each thing once', () => {
  it('SHA256SUMS listing the kubelet twice (a made-up digest first) fails, as sha256sum -c does', () => {
    const dir = folder();
    const sums = path.join(dir, 'SHA256SUMS');
    writeFileSync(sums, `${'0'.repeat(64)}  linux-amd64/kubelet\n` + readFileSync(sums, 'utf8'));
    expect(spawnSync('sha256sum', ['-c', '--quiet', 'SHA256SUMS'], { cwd: dir }).status).not.toBe(0);
    const r = kpatch(['verify', dir], { env });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL SHA256SUMS: lists linux-amd64\/kubelet twice \(lines 1 and 2\)/m);
  });

  it('manifest.json with one key twice in an object fails, whichever value JSON.parse keeps', () => {
    const dir = folder();
    const file = path.join(dir, 'manifest.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"mode": "nokmem",', '"mode": "none",\n  "mode": "nokmem",'));
    const r = kpatch(['verify', dir], { env });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL manifest\.json: has the key "mode" \(in \/\) twice/m);
  });

  it('a key spelled with an escape is the same key', () => {
    const dir = folder();
    const file = path.join(dir, 'manifest.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"mode": "nokmem",', '"mode": "none",\n  "mo\\u0064e": "nokmem",'));
    const r = kpatch(['verify', dir], { env });
    expect(r.stdout).toMatch(/^FAIL manifest\.json: has the key "mode" \(in \/\) twice/m);
  });

  it('manifest.json that is not UTF-8 fails (no byte is read as U+FFFD)', () => {
    const dir = folder();
    const file = path.join(dir, 'manifest.json');
    writeFileSync(file, Buffer.concat([readFileSync(file).subarray(0, -2), Buffer.from('\xff}\n', 'latin1')]));
    const r = kpatch(['verify', dir], { env });
    expect(r.stdout).toMatch(/^FAIL manifest\.json: is not UTF-8/m);
  });
});

describe('verify --key with an encrypted private key', () => {
  it('gets the message sign gives (exit 2, key_unreadable)', () => {
    const enc = path.join(tmp, 'enc.pem');
    execFileSync('openssl', ['pkcs8', '-topk8', '-in', KEY, '-out', enc, '-passout', 'pass:secret'], { stdio: 'pipe' });
    const dir = folder();
    const v = kpatch(['verify', dir, '--key', enc], { env });
    const s = kpatch(['sign', dir, '--sign-key', enc], { env });
    expect(v.code).toBe(2);
    expect(s.code).toBe(2);
    const said = 'the private key is encrypted (a cosign.key is, too); decrypt it first: openssl ec -in key.pem -out plain.pem';
    expect(v.stderr).toContain(`error[key_unreadable]: cannot use the key: --key ${enc}`);
    expect(v.stderr).toContain(said);
    expect(s.stderr).toContain(said);
  });
});
