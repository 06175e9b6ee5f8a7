/**
 * A clean install (issue 15 §8): `npm ci` on every Node that package.json's
 * `engines` admits must print no EBADENGINE and no deprecation warning. npm
 * prints EBADENGINE when an installed package's own `engines.node` excludes the
 * running Node, so every locked package must admit the lowest Node of each
 * major line kpatch supports; and npm prints "deprecated" for a locked package
 * whose registry entry says so, which the lock records as `deprecated`.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/cli.js';

const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
const lock = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package-lock.json'), 'utf8'));
type Locked = { version?: string; engines?: { node?: string }; deprecated?: string };
/**
 * Every locked package npm installed here (as `npm ci` left node_modules):
 * optional platform bindings for another CPU (rolldown's wasm32 build and its
 * wasm runtime) are skipped by npm, engines check included.
 */
const locked = Object.entries(lock.packages as Record<string, Locked>).filter(
  ([key]) => key !== '' && existsSync(path.join(REPO_ROOT, key, 'package.json')),
);

/** The lowest version each `||` alternative of the engines range admits (20.19.0, 22.13.0, 24.0.0). */
function lowestPerLine(range: string): string[] {
  return range.split('||').map((part) => semver.minVersion(part.trim())?.version ?? part);
}

describe('clean install', () => {
  const range: string = pkg.engines.node;

  it('this machine runs a Node that package.json supports', () => {
    expect(semver.satisfies(process.version, range), `${process.version} vs engines ${range}`).toBe(true);
  });

  it('every locked package admits the lowest supported Node of each line (no EBADENGINE)', () => {
    expect(locked.map(([key]) => key)).toEqual(
      expect.arrayContaining(['node_modules/yargs', 'node_modules/tree-sitter', 'node_modules/vitest']),
    );
    const lows = lowestPerLine(range);
    expect(lows).toEqual(['20.19.0', '22.13.0', '24.0.0']);
    const refused = locked.flatMap(([key, entry]) =>
      lows
        .filter((v) => entry.engines?.node && !semver.satisfies(v, entry.engines.node))
        .map((v) => `${key}@${entry.version} needs node ${entry.engines?.node}, not ${v}`),
    );
    expect(refused).toEqual([]);
  });

  it('no locked package is deprecated', () => {
    expect(locked.filter(([, entry]) => entry.deprecated).map(([key, entry]) => `${key}: ${entry.deprecated}`)).toEqual([]);
  });
});
