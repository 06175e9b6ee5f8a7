/**
 * Loads a golden case of the kmem-accounting recipe with its shared compile
 * scaffold overlaid. Every runner of the cases (golden.test.ts,
 * perturbation.test.ts) goes through here, so they all see the same tree.
 *
 * A case (patches/kmem-accounting/cases/NAME.txtar) keeps only what differs:
 * its input files under `tree/`, `scan.json`, expected outputs and diffs. The
 * Go files that only make a runc package compile (apply_raw.go, the configs
 * package, the probe test, ...) live once in `cases/_scaffold/`, laid out as
 * runc lays them out (`libcontainer/...`). A case asks for them in its comment:
 *
 *     scaffold: vendor/github.com/opencontainers/runc apply_raw.go cgroup.go
 *
 * puts `_scaffold/libcontainer/cgroups/fs/apply_raw.go` and
 * `_scaffold/libcontainer/configs/cgroup.go` under that runc root (`.` is the
 * tree itself). One line per runc copy. A `tree/` file of the case at the same
 * path wins over the scaffold's: a case may deliberately change a scaffold file.
 * Go itself ignores folders starting with `_`, so the scaffold is never built
 * as part of anything else.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './cli.js';
import { caseOptions, parseTxtar, type Txtar } from './txtar.js';

/** Where the cases live. */
export const CASES_DIR = path.join(REPO_ROOT, 'patches/kmem-accounting/cases');
/** Where the shared scaffold lives. */
export const SCAFFOLD_DIR = path.join(CASES_DIR, '_scaffold');

/** The case files, sorted (the scaffold folder is not a case). */
export function caseNames(casesDir = CASES_DIR): string[] {
  return readdirSync(casesDir)
    .filter((f) => f.endsWith('.txtar'))
    .sort();
}

/** A case as its runners see it. */
export interface GoldenCase {
  /** The case file's path. */
  file: string;
  /** The case file as written (without the scaffold): what KPATCH_UPDATE_GOLDEN rewrites. */
  archive: Txtar;
  /** The `key: value` lines of the comment. */
  options: Record<string, string>;
  crlf: boolean;
  modes: string[];
  /** The input tree, relative to its root, LF line endings: scaffold overlaid by the case's own `tree/` files, sorted by path. */
  tree: Map<string, string>;
  /** The tree paths that came from the scaffold (not overridden by the case). */
  fromScaffold: string[];
}

/** The scaffold's files (paths relative to `scaffoldDir`) by base name; each base name must be unique there. */
export function scaffoldFiles(scaffoldDir = SCAFFOLD_DIR): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string): void => {
    for (const e of readdirSync(path.join(scaffoldDir, rel), { withFileTypes: true })) {
      const r = path.posix.join(rel, e.name);
      if (e.isDirectory()) walk(r);
      else {
        if (out.has(e.name)) throw new Error(`the scaffold has two files named ${e.name}: ${out.get(e.name)} and ${r}`);
        out.set(e.name, r);
      }
    }
  };
  walk('');
  return out;
}

/** The `scaffold:` lines of a case's comment: runc root and the scaffold files it takes. */
export function scaffoldRequests(comment: string): { root: string; names: string[] }[] {
  return comment
    .split('\n')
    .map((l) => /^scaffold:\s*(\S+)\s+(.+)$/.exec(l.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ root: m[1], names: m[2].split(/\s+/) }));
}

/**
 * Loads case `name` from `casesDir` and overlays the scaffold it asks for
 * (from `casesDir/_scaffold`); an unknown scaffold name fails the load.
 */
export function loadGoldenCase(name: string, casesDir = CASES_DIR): GoldenCase {
  const scaffoldDir = path.join(casesDir, '_scaffold');
  const file = path.join(casesDir, name);
  const archive = parseTxtar(readFileSync(file, 'utf8'));
  const options = caseOptions(archive.comment);
  const own = new Map(archive.files.filter((f) => f.name.startsWith('tree/')).map((f) => [f.name.slice(5), f.data]));
  const shared = scaffoldFiles(scaffoldDir);
  const tree = new Map<string, string>();
  const fromScaffold: string[] = [];
  for (const { root, names } of scaffoldRequests(archive.comment)) {
    for (const n of names) {
      const rel = shared.get(n);
      if (!rel) throw new Error(`${name}: scaffold file ${n} does not exist in ${scaffoldDir} (has: ${[...shared.keys()].join(', ')})`);
      const at = path.posix.normalize(path.posix.join(root, rel));
      if (own.has(at)) continue; // the case's own version wins
      tree.set(at, readFileSync(path.join(scaffoldDir, rel), 'utf8'));
      fromScaffold.push(at);
    }
  }
  for (const [rel, data] of own) tree.set(rel, data);
  const sorted = new Map([...tree].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return {
    file,
    archive,
    options,
    crlf: options.crlf === 'true',
    modes: (options.modes ?? 'guard,remove').split(',').map((m) => m.trim()),
    tree: sorted,
    fromScaffold,
  };
}
