/**
 * Compiles the TypeScript once before the tests, so tests that run the real
 * bin/kpatch.js never run a stale dist/. A type error fails the run; set
 * KPATCH_TEST_ALLOW_TYPE_ERRORS=1 to run the tests on what tsc still emits
 * while a change is half done.
 */
import { execFileSync } from 'node:child_process';
import { REPO_ROOT } from './helpers/cli.js';

export default function setup(): void {
  try {
    execFileSync(process.execPath, [`${REPO_ROOT}/node_modules/typescript/bin/tsc`, '-p', 'tsconfig.json'], { cwd: REPO_ROOT, stdio: 'inherit' });
  } catch (e) {
    if (process.env.KPATCH_TEST_ALLOW_TYPE_ERRORS !== '1') throw e;
  }
}
