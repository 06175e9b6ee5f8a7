/**
 * Compiles the TypeScript once before the tests, so tests that run the real
 * bin/kpatch.js never run a stale dist/. A type error fails the run; set
 * KPATCH_TEST_ALLOW_TYPE_ERRORS=1 to run the tests on what tsc still emits
 * while a change is half done.
 *
 * `npm test` starts vitest twice (the fast project, then the real one), and a
 * developer runs single files many times: tsc is skipped when dist/ was made
 * by a clean compile of exactly the sources there are now (a hash of every
 * input file's path and content, stored after tsc exits 0). A changed,
 * added or removed source, a changed tsconfig.json or a missing dist/ compiles
 * again; a compile with type errors never writes the stamp, so its errors are
 * shown again on the next run.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './helpers/cli.js';

const STAMP = path.join(REPO_ROOT, 'node_modules/.cache/kpatch-dist.sha256');

/** The hash of tsc's inputs: tsconfig.json, package.json and every .ts under src/ and patches/. */
export function sourcesHash(root = REPO_ROOT): string {
  const files: string[] = ['tsconfig.json', 'package.json'];
  const walk = (rel: string): void => {
    for (const e of readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const r = path.posix.join(rel, e.name);
      if (e.isDirectory()) walk(r);
      else if (e.name.endsWith('.ts') || e.name.endsWith('.json')) files.push(r);
    }
  };
  for (const top of ['src', 'patches']) if (existsSync(path.join(root, top))) walk(top);
  const h = createHash('sha256');
  for (const f of files.sort())
    h.update(`${f}\0`)
      .update(readFileSync(path.join(root, f)))
      .update('\0');
  return h.digest('hex');
}

export default function setup(): void {
  const hash = sourcesHash();
  const stamped = existsSync(STAMP) ? readFileSync(STAMP, 'utf8').trim() : '';
  if (stamped === hash && existsSync(path.join(REPO_ROOT, 'dist/src/cli.js'))) return;
  rmSync(STAMP, { force: true });
  try {
    execFileSync(process.execPath, [`${REPO_ROOT}/node_modules/typescript/bin/tsc`, '-p', 'tsconfig.json'], {
      cwd: REPO_ROOT,
      stdio: 'inherit',
    });
  } catch (e) {
    if (process.env.KPATCH_TEST_ALLOW_TYPE_ERRORS !== '1') throw e;
    return;
  }
  mkdirSync(path.dirname(STAMP), { recursive: true });
  writeFileSync(STAMP, hash + '\n');
}
