/**
 * A JSON record of an artifact folder (manifest.json, provenance.json,
 * sbom.spdx.json) read as its bytes say, once: UTF-8 (RFC 8259) decoded
 * strictly, so no byte is silently replaced; JSON.parse; and no object with
 * one key twice. JSON.parse keeps the last of two equal keys, other readers
 * the first (`{"mode": "none", "mode": "nokmem"}` reads two ways), so a
 * repeated key is a finding, whatever the values. jsonc-parser's scanner
 * reports each key as decoded (`"\u006dode"` is `mode`), as JSON.parse sees it.
 */
import { visit, type JSONPath } from 'jsonc-parser';
import { strictUtf8 } from '../manifest/fileNames.js';
import { repeated } from './repeated.js';
import type { Findings } from './verifyResult.js';

/** Where in the document a path points, as a JSON pointer (`/source`, `/artifacts/0`); `/` for the top. */
const pointer = (p: JSONPath) => (p.length ? p.map((s) => `/${String(s)}`).join('') : '/');

/** The keys that occur twice in one object of `text` (valid JSON), as `"key" (in /pointer)`. */
export function repeatedKeys(text: string): string[] {
  const stack: { keys: string[]; at: string }[] = [];
  const out: string[] = [];
  let path: JSONPath = [];
  visit(text, {
    onObjectBegin: (_o, _l, _sl, _sc, pathSupplier) => {
      path = pathSupplier();
      stack.push({ keys: [], at: pointer(path) });
    },
    onObjectProperty: (key) => void stack[stack.length - 1]?.keys.push(key),
    onObjectEnd: () => {
      const o = stack.pop();
      if (o) out.push(...repeated(o.keys).map((k) => `${JSON.stringify(k)} (in ${o.at})`));
    },
  });
  return out;
}

/** The record's document; undefined, with a finding naming `name`, when it is not UTF-8 JSON with each key once per object. */
export function parseJsonRecord(name: string, bytes: Buffer, found: Findings): unknown {
  const text = strictUtf8(bytes);
  if (text === undefined) {
    found.fail(name, 'is not UTF-8: JSON records are UTF-8, and a byte that is not would read as U+FFFD');
    return undefined;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    found.fail(name, `not valid JSON: ${(e as Error).message}`);
    return undefined;
  }
  const twice = repeatedKeys(text);
  if (twice.length) {
    found.fail(name, `has the key ${twice.join(', ')} twice: readers that take the first and the last value read different records`);
    return undefined;
  }
  return doc;
}
