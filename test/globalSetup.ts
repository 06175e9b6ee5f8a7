/**
 * Compiles the TypeScript once before the tests, so tests that run the real
 * bin/kpatch.js never run a stale dist/.
 */
import { execFileSync } from 'node:child_process';
import { REPO_ROOT } from './helpers/cli.js';

export default function setup(): void {
  execFileSync(process.execPath, [`${REPO_ROOT}/node_modules/typescript/bin/tsc`, '-p', 'tsconfig.json'], { cwd: REPO_ROOT, stdio: 'inherit' });
}
