/**
 * File names are bytes: Linux allows any byte but `/` and NUL, and Node's
 * default decoding turns every byte that is not UTF-8 into U+FFFD, so two
 * different files can print, hash and compare as one name. kpatch records
 * files by their UTF-8 names (SHA256SUMS, manifest.json, provenance), so a
 * name that is not UTF-8 is refused wherever a folder's entries are read:
 * when build writes SHA256SUMS, and when sign and verify read a folder.
 */

/** Decodes strictly: a byte sequence that is not UTF-8 throws instead of becoming U+FFFD; a BOM stays a character. */
const STRICT = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The text (a name, a record) `bytes` spell in UTF-8, or undefined when they are not UTF-8. */
export function strictUtf8(bytes: Uint8Array): string | undefined {
  try {
    return STRICT.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * A name that is not UTF-8, shown so that it can be told apart from every
 * other name: in double quotes, printable ASCII as it is, every other byte as
 * `\xNN` (`"notes\xff"`).
 */
export function showBytes(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes)
    out += b >= 0x20 && b < 0x7f && b !== 0x5c && b !== 0x22 ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  return `"${out}"`;
}

/** Why such a name is refused, after the name. */
export const NOT_UTF8 =
  'its name is not UTF-8: kpatch records files by their UTF-8 names, and this one would read as another (its bytes that are not UTF-8 become U+FFFD); rename or remove it';
