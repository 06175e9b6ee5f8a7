/**
 * SHA256SUMS.sig: a detached ECDSA P-256 / SHA-256 signature over the
 * folder's SHA256SUMS, as base64 of the DER signature: the form `cosign
 * sign-blob --key` writes, so `cosign verify-blob --key pub.pem --signature
 * SHA256SUMS.sig SHA256SUMS` and `openssl dgst -sha256 -verify pub.pem`
 * (after `base64 -d`) both accept it. SHA256SUMS lists every other file of
 * the folder (binaries, patch, manifest, provenance, SBOM), so this one
 * signature covers them all. Node's own crypto: no signing tool is needed.
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { fail } from '../errors.js';
import { readUserText } from '../safeFiles.js';

/** Name of the signature file in an artifact folder. */
export const SIGNATURE_FILE = 'SHA256SUMS.sig';

/** The one curve kpatch signs with: what cosign's own keys use (NIST P-256). */
const CURVE = 'prime256v1';

/** The longest DER ECDSA signature on P-256: a SEQUENCE of two INTEGERs of at most 33 bytes each. */
const MAX_SIGNATURE_BYTES = 72;

/** A private key read and checked before any build starts. */
export interface SigningKey {
  /** The file, as the user named it (for messages). */
  file: string;
  key: KeyObject;
}

/** Reads a PEM file the user named; a missing, odd or empty file is key_unreadable naming the flag. */
async function readPem(file: string, flag: string, signal?: AbortSignal): Promise<string> {
  let text: string | undefined;
  try {
    text = await readUserText(file, flag, signal);
  } catch (e) {
    // readUserText says `usage`; a key has its own error id and hint.
    const detail = e instanceof Error && 'detail' in e ? String((e as { detail?: string }).detail) : String(e);
    fail('key_unreadable', { where: `${flag} ${file}`, detail });
  }
  if (text === undefined) fail('key_unreadable', { where: `${flag} ${file}`, detail: 'no such file' });
  if (!text.includes('-----BEGIN ')) fail('key_unreadable', { where: `${flag} ${file}`, detail: 'not a PEM file (no "-----BEGIN" line)' });
  return text;
}

/** Refuses an encrypted private key with one message for `--sign-key` and `--key`: kpatch asks for no passphrase. */
function refuseEncrypted(pem: string, where: string): void {
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(pem) || /Proc-Type: 4,ENCRYPTED/.test(pem)) {
    fail('key_unreadable', {
      where,
      detail: 'the private key is encrypted (a cosign.key is, too); decrypt it first: openssl ec -in key.pem -out plain.pem',
    });
  }
}

/** Refuses a key that is not EC P-256: another curve, RSA, Ed25519 would give a signature cosign's P-256 keys never make. */
function checkCurve(key: KeyObject, where: string): void {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== 'ec' || curve !== CURVE) {
    const what =
      key.asymmetricKeyType === 'ec' ? `an EC key on curve ${curve ?? 'unknown'}` : `a ${key.asymmetricKeyType ?? 'unknown'} key`;
    fail('key_unreadable', {
      where,
      detail: `${what}; kpatch signs and verifies with ECDSA on P-256 (prime256v1) only, as cosign's keys are`,
    });
  }
}

/**
 * `--sign-key FILE`: an EC P-256 private key in PEM (PKCS#8 or SEC1, not
 * encrypted: CI hands it over from a secret store). Read and checked before
 * the build, so a bad key costs seconds, not a build.
 */
export async function loadSigningKey(file: string, signal?: AbortSignal): Promise<SigningKey> {
  const where = `--sign-key ${file}`;
  const pem = await readPem(file, '--sign-key', signal);
  refuseEncrypted(pem, where);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (e) {
    fail('key_unreadable', {
      where,
      detail: `not a private key in PEM: ${(e as Error).message}${/PUBLIC KEY/.test(pem) ? ' (this is a public key; --sign-key takes the private one)' : ''}`,
    });
  }
  checkCurve(key, where);
  return { file, key };
}

/** `verify --key FILE`: the public key (a private key is accepted too: its public half is used). */
export async function loadVerifyKey(file: string, signal?: AbortSignal): Promise<KeyObject> {
  const where = `--key ${file}`;
  const pem = await readPem(file, '--key', signal);
  // A private key is accepted (its public half is used), but an encrypted one cannot be read without its passphrase.
  refuseEncrypted(pem, where);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (e) {
    fail('key_unreadable', { where, detail: `not a public key in PEM: ${(e as Error).message}` });
  }
  checkCurve(key, where);
  return key;
}

/** The signature file's text for `sums` (the bytes of SHA256SUMS as written): base64 of DER, no newline, as cosign writes it. */
export function signSums(sums: Buffer, key: SigningKey): string {
  return sign('sha256', sums, { key: key.key, dsaEncoding: 'der' }).toString('base64');
}

/**
 * The DER signature a signature file holds, read as `cosign verify-blob`
 * reads one: base64 as Go's standard encoding takes it (padded, the standard
 * alphabet, line breaks ignored anywhere: `openssl dgst -sign | base64`
 * wraps at 76 columns), or else the file's bytes as they are (the raw DER
 * `openssl dgst -sign` writes).
 */
export function signatureBytes(file: Buffer): Buffer {
  const b64 = file.toString('latin1').replace(/[\r\n]/g, '');
  if (b64.length > 0 && b64.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return Buffer.from(b64, 'base64');
  return file;
}

/**
 * Whether the signature file `sigFile` holds a valid signature of `sums`
 * (SHA256SUMS's bytes, never re-encoded) by `key`, as `openssl dgst -sha256
 * -verify` decides it: the same bytes, the same strict DER.
 */
export function checkSignature(sums: Buffer, sigFile: Buffer, key: KeyObject): { ok: true } | { ok: false; reason: string } {
  // `openssl dgst -verify` reads at most the key's largest signature (EVP_PKEY_size) and ignores what follows: the same here, so both decide alike.
  const sig = signatureBytes(sigFile).subarray(0, MAX_SIGNATURE_BYTES);
  if (!sig.length) return { ok: false, reason: 'is empty (cosign and kpatch write the DER signature in base64)' };
  try {
    return verify('sha256', sums, { key, dsaEncoding: 'der' }, sig)
      ? { ok: true }
      : {
          ok: false,
          reason:
            'does not match SHA256SUMS with this key: SHA256SUMS was changed, the folder was signed with another key, or the file is neither base64 nor DER of an ECDSA signature',
        };
  } catch (e) {
    return { ok: false, reason: `is not a DER ECDSA signature: ${(e as Error).message}` };
  }
}
