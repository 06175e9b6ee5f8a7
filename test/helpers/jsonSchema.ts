/**
 * Validates kpatch's `--json` documents against the schemas in `schemas/`
 * with ajv (JSON Schema 2020-12, strict mode but for `required` inside `not`/`oneOf`
 * branches, which name keys declared one level up; every error reported), so a
 * test fails on any key, type or value the documented schema does not allow.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { expect } from 'vitest';
import { REPO_ROOT } from './cli.js';

/** Folder of the published schemas. */
export const SCHEMA_DIR = path.join(REPO_ROOT, 'schemas');

let ajv: Ajv2020 | undefined;

function load(): Ajv2020 {
  if (ajv) return ajv;
  ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
  for (const f of readdirSync(SCHEMA_DIR)
    .filter((n) => n.endsWith('.schema.json'))
    .sort()) {
    ajv.addSchema(JSON.parse(readFileSync(path.join(SCHEMA_DIR, f), 'utf8')));
  }
  return ajv;
}

/** The `$id` of `schemas/<name>` (with an optional `#/$defs/...` fragment). */
export function schemaId(name: string): string {
  return `https://kpatch.invalid/schemas/${name}`;
}

/** The list of problems ajv finds in `doc` for schema `name` (empty when valid). */
export function schemaErrors(name: string, doc: unknown): string[] {
  const validate = load().getSchema(schemaId(name));
  if (!validate) throw new Error(`no schema ${name} in ${SCHEMA_DIR}`);
  if (validate(doc)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}

/** Parses `text` as JSON and asserts it is valid against `schemas/<name>`; returns the document. */
export function expectValidJson<T = Record<string, any>>(name: string, text: string): T {
  const doc = JSON.parse(text) as T;
  expect(schemaErrors(name, doc), `${name}: ${text.slice(0, 400)}`).toEqual([]);
  return doc;
}
