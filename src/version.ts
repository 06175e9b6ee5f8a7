import { readFileSync } from 'node:fs';

/**
 * kpatch's own version, read from package.json so there is one source of truth.
 * Resolved relative to this module, which lives at src/ (tests) or dist/src/ (bin).
 */
export const KPATCH_VERSION: string = readVersion();

function readVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'kpatch' && pkg.version) return pkg.version;
    } catch {
      // try the next candidate
    }
  }
  return '0.0.0-unknown';
}
