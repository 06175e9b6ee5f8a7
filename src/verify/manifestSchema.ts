/**
 * The manifest of a downloaded artifact folder is untrusted input: before
 * verify looks at any field, the whole document is checked against the
 * published schema (`schemas/build.schema.json`, the manifest branch), so a
 * field of the wrong type (`artifacts: [null]`, a number where a path
 * belongs) is a finding that names the field, never a crash.
 *
 * ajv is a run-time dependency for this: the schema is the contract the
 * README publishes, and a second, hand-written copy of it would drift.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Ajv2020 as Ajv2020Class, ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';

/**
 * ajv (84 CommonJS files) is required on the first validation, not when verify
 * loads: a verify that stops at a missing folder or a bad key should not pay
 * for it (scripts/bench-startup.mjs).
 */
function newAjv(): Ajv2020Class {
  const { Ajv2020 } = createRequire(import.meta.url)('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
  return new Ajv2020({ allErrors: true, strict: false });
}

const SCHEMA_BASE = 'https://kpatch.invalid/schemas/';

let validate: ValidateFunction | undefined;

/** The schemas folder: beside src/ (tests) or dist/src/ (the installed bin). */
function readSchema(name: string): unknown {
  for (const rel of ['../../schemas/', '../../../schemas/']) {
    try {
      return JSON.parse(readFileSync(new URL(rel + name, import.meta.url), 'utf8'));
    } catch {
      // try the next candidate
    }
  }
  throw new Error(`schemas/${name} not found beside kpatch`);
}

function validator(): ValidateFunction {
  if (validate) return validate;
  const ajv = newAjv();
  ajv.addSchema(readSchema('common.schema.json') as object);
  ajv.addSchema(readSchema('build.schema.json') as object);
  validate = ajv.getSchema(`${SCHEMA_BASE}build.schema.json#/$defs/manifest`);
  if (!validate) throw new Error('build.schema.json has no $defs/manifest');
  return validate;
}

/**
 * The ways `doc` breaks the manifest schema, one line each naming the field
 * (`/artifacts/0: must be object`); empty when it is a valid manifest.
 */
export function manifestProblems(doc: unknown, max = 8): string[] {
  const v = validator();
  if (v(doc)) return [];
  const lines = (v.errors ?? []).map(describe);
  const unique = [...new Set(lines)];
  return unique.length > max ? [...unique.slice(0, max), `and ${unique.length - max} more`] : unique;
}

function describe(e: ErrorObject): string {
  const field = e.instancePath || '(the document)';
  const p = e.params as Record<string, unknown>;
  if (e.keyword === 'required') return `${field}: lacks the field ${JSON.stringify(p.missingProperty)}`;
  if (e.keyword === 'additionalProperties') return `${field}: has an unknown field ${JSON.stringify(p.additionalProperty)}`;
  if (e.keyword === 'enum')
    return `${field}: ${e.message ?? 'not allowed'} (${(p.allowedValues as unknown[]).map((x) => JSON.stringify(x)).join(', ')})`;
  return `${field}: ${e.message ?? e.keyword}`;
}

const others = new Map<string, ValidateFunction>();

/**
 * The ways `doc` breaks `schemas/<schema>` (a self-contained schema:
 * provenance.schema.json, spdx-2.3.schema.json), one line each naming the
 * field; empty when it is valid. For the records verify reads besides the
 * manifest: untrusted input, checked whole before any field is used.
 */
export function documentProblems(schema: string, doc: unknown, max = 8): string[] {
  let v = others.get(schema);
  if (!v) {
    v = newAjv().compile(readSchema(schema) as object);
    others.set(schema, v);
  }
  if (v(doc)) return [];
  const unique = [...new Set((v.errors ?? []).filter((e) => !['if', 'anyOf', 'allOf'].includes(e.keyword)).map(describe))];
  return unique.length > max ? [...unique.slice(0, max), `and ${unique.length - max} more`] : unique;
}
