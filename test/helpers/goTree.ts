/**
 * Compiling and testing fixture trees with the real Go toolchain, in GOPATH
 * mode as Kubernetes' own build does for the releases kpatch targets: the
 * tree is linked into a temporary GOPATH and its vendor folder resolves
 * imports.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Where a tree sits in GOPATH and which packages to build. */
export interface GoLayout {
  env: Record<string, string>;
  /** Folder to run go in. */
  cwd: string;
  /** Package patterns (relative) that cover the tree. */
  patterns: string[];
  /** Relative pattern of each cgroups/fs package that has a probe test. */
  probePackages: string[];
}

const RUNC = 'github.com/opencontainers/runc';

/** Links `tree` into a fresh GOPATH according to its layout. */
export function goLayout(tree: string, probeDirs: string[]): GoLayout {
  const gopath = mkdtempSync(path.join(os.tmpdir(), 'kpatch-gopath-'));
  const base = { GO111MODULE: 'off', GOFLAGS: '', CGO_ENABLED: '0', GOCACHE: path.join(os.tmpdir(), 'kpatch-test-gocache') };
  const link = (importPath: string) => {
    const at = path.join(gopath, 'src', importPath);
    mkdirSync(path.dirname(at), { recursive: true });
    symlinkSync(tree, at);
    return at;
  };
  const rel = (d: string) => './' + d.replace(/\/$/, '');
  if (existsSync(path.join(tree, 'Godeps/_workspace/src'))) {
    const cwd = link('k8s.io/kubernetes');
    const ws = path.join(tree, 'Godeps/_workspace');
    return {
      env: { ...base, GOPATH: `${ws}:${gopath}` },
      cwd: path.join(ws, 'src', RUNC),
      patterns: ['./...'],
      probePackages: probeDirs.map((d) => rel(path.relative(path.join('Godeps/_workspace/src', RUNC), d))),
    };
  }
  if (existsSync(path.join(tree, 'libcontainer'))) {
    return { env: { ...base, GOPATH: gopath }, cwd: link(RUNC), patterns: ['./...'], probePackages: probeDirs.map(rel) };
  }
  return {
    env: { ...base, GOPATH: gopath },
    cwd: link('k8s.io/kubernetes'),
    patterns: ['./...', './vendor/...'],
    probePackages: probeDirs.map(rel),
  };
}

/** Runs a go subcommand; returns its combined output, throws with it on failure. */
export function go(layout: GoLayout, args: string[], extraEnv: Record<string, string> = {}): string {
  try {
    return execFileSync('go', args, {
      cwd: layout.cwd, // PWD makes go see the GOPATH path rather than the link's target, so vendor/ resolves.
      env: { ...process.env, ...layout.env, PWD: layout.cwd, ...extraEnv },
      encoding: 'utf8',
      stdio: 'pipe',
    });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    throw new Error(`go ${args.join(' ')} failed in ${layout.cwd}:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
}

/** Files `gofmt -l` would reformat under `dir` (empty when all are formatted). */
export function gofmtList(dir: string): string[] {
  return execFileSync('gofmt', ['-l', dir], { encoding: 'utf8' }).split('\n').filter(Boolean);
}
