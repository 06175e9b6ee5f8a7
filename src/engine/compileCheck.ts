/**
 * Compiling the packages a rewrite changes, with the real Go toolchain,
 * before anything is written: a patch that parses can still fail to
 * type-check (a shadowed name, an unused variable), and such a tree must
 * never be reported as patched.
 *
 * How: the tree is linked into a temporary GOPATH under its import path (as
 * Kubernetes' own build does for the releases kpatch targets, GO111MODULE=off,
 * so vendor/ resolves the imports), and `go build -overlay` compiles the
 * changed packages with the new contents, which exist only in temporary
 * files. When the unpatched package does not compile here either (no Go, a
 * tree without its dependencies, cgo without a C compiler), nothing can be
 * learned: the result says so, and why, instead of passing or failing.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fail } from '../errors.js';
import type { PlannedChange } from './rewrite.js';
import type { GoFile } from './sourceFile.js';

/** What the compile check found. */
export interface CompileCheck {
  /** `passed`: the patched packages compile; `skipped`: the check could not run or tell (see `detail`). */
  status: 'passed' | 'skipped';
  /** One line for humans: the packages and the Go version, or why nothing was checked. */
  detail: string;
}

/** Longest a check may take; a cold build of runc's cgroupfs package and its vendored imports takes seconds. */
const TIMEOUT_MS = 300_000;

/**
 * Compiles every package holding a changed file, as patched. Throws
 * `unsupported_shape` (naming the compiler's errors) when the patched
 * packages do not compile but the unpatched ones do; `interrupted` on abort.
 */
export async function compileCheck(
  root: string,
  files: GoFile[],
  changes: PlannedChange[],
  env: Record<string, string | undefined>,
  signal?: AbortSignal,
): Promise<CompileCheck> {
  if (!changes.length) return { status: 'passed', detail: 'nothing changed' };
  const version = await run('go', ['env', 'GOVERSION'], { env: goEnv(env, ''), cwd: root, signal });
  if (version.code !== 0)
    return {
      status: 'skipped',
      detail: `no Go toolchain (\`go env GOVERSION\`: ${firstLine(version.output) || 'not found on PATH'}), so the patched package was checked for syntax only, not compiled`,
    };
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'kpatch-compile-'));
  try {
    const layout = await linkTree(root, tmp, files, changes);
    const overlay: Record<string, string> = {};
    let n = 0;
    for (const c of changes) {
      const text = path.join(tmp, `patched-${n++}.go`);
      await writeFile(text, c.after);
      for (const f of files.filter((g) => (g.realPath ?? g.path) === c.path)) overlay[layout.goPath(f.path)] = text;
    }
    await writeFile(path.join(tmp, 'overlay.json'), JSON.stringify({ Replace: overlay }));
    const args = (withOverlay: boolean) => [
      'build',
      ...(withOverlay ? ['-overlay', path.join(tmp, 'overlay.json')] : []),
      ...layout.packages,
    ];
    const opts = { env: { ...goEnv(env, layout.gopath), PWD: layout.cwd }, cwd: layout.cwd, signal };
    const patched = await run('go', args(true), opts);
    const what = `${layout.packages.length} package(s) (${layout.packages.join(', ')}) with ${version.output.trim()}`;
    if (patched.code === 0) return { status: 'passed', detail: `compiled the patched ${what}` };
    if (patched.timedOut) return { status: 'skipped', detail: `compiling ${what} took more than ${TIMEOUT_MS / 1000} s; not checked` };
    const pristine = await run('go', args(false), opts);
    if (pristine.code !== 0) {
      return {
        status: 'skipped',
        detail: `the unpatched package does not compile here either (${firstLine(pristine.output)}), so the patch was checked for syntax only, not compiled`,
      };
    }
    fail('unsupported_shape', {
      where: changes.map((c) => c.path).join(', '),
      detail: `the patched package does not compile (the unpatched one does), so the rewrite is wrong for this code:\n${patched.output.trim().split('\n').slice(0, 20).join('\n')}`,
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** The environment for go: GOPATH mode, no GOFLAGS of the user's (`-mod=` is refused there), Linux (the cgroup code is Linux-only). */
function goEnv(env: Record<string, string | undefined>, gopath: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return { ...out, GO111MODULE: 'off', GOFLAGS: '', GOOS: 'linux', GOWORK: 'off', ...(gopath ? { GOPATH: gopath } : {}) };
}

interface Layout {
  gopath: string;
  /** Folder go runs in: the tree's place in GOPATH. */
  cwd: string;
  /** `./dir` patterns of the changed packages, relative to cwd. */
  packages: string[];
  /** Where go sees a tree file (relative path) inside GOPATH. */
  goPath(rel: string): string;
}

/**
 * Links the tree into `tmp/gopath/src/<import path>`. The import path is the
 * go.mod module when there is one, else the one the changed files' own
 * imports imply (`X/libcontainer/configs` imported, `libcontainer/configs`
 * in the tree: the tree is X), else a placeholder (vendored code imports
 * only vendored packages). A `Godeps/_workspace` is added to GOPATH, as
 * Kubernetes' old builds did.
 */
async function linkTree(root: string, tmp: string, files: GoFile[], changes: PlannedChange[]): Promise<Layout> {
  const gopath = path.join(tmp, 'gopath');
  const importPath = moduleOf(root) ?? importRootOf(root, files, changes) ?? 'kpatch.invalid/tree';
  const at = path.join(gopath, 'src', importPath);
  await mkdir(path.dirname(at), { recursive: true });
  await symlink(root, at);
  const workspace = path.join(root, 'Godeps/_workspace');
  const dirs = [
    ...new Set(files.filter((f) => changes.some((c) => c.path === (f.realPath ?? f.path))).map((f) => path.posix.dirname(f.path))),
  ].sort();
  if (existsSync(path.join(workspace, 'src')) && dirs.every((d) => d.startsWith('Godeps/_workspace/src/'))) {
    const cwd = path.join(workspace, 'src');
    return {
      gopath: `${workspace}:${gopath}`,
      cwd,
      packages: dirs.map((d) => './' + path.posix.relative('Godeps/_workspace/src', d)),
      goPath: (rel) => path.join(cwd, path.posix.relative('Godeps/_workspace/src', rel)),
    };
  }
  return { gopath, cwd: at, packages: dirs.map((d) => `./${d}`), goPath: (rel) => path.join(at, rel) };
}

function moduleOf(root: string): string | undefined {
  try {
    return /^module\s+"?([^\s"]+)"?/m.exec(readFileSync(path.join(root, 'go.mod'), 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

function importRootOf(root: string, files: GoFile[], changes: PlannedChange[]): string | undefined {
  for (const f of files) {
    if (!changes.some((c) => c.path === (f.realPath ?? f.path)) || f.path.includes('vendor/')) continue;
    for (const spec of f.tree.rootNode.descendantsOfType('import_spec')) {
      const p = spec.childForFieldName('path')?.text.replace(/^["`]|["`]$/g, '') ?? '';
      const parts = p.split('/');
      for (let i = 1; i < parts.length; i++) {
        const inTree = parts.slice(i).join('/');
        if (isDir(path.join(root, inTree)) && !isDir(path.join(root, 'vendor', p))) return parts.slice(0, i).join('/');
      }
    }
  }
  return undefined;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function firstLine(s: string): string {
  return s.trim().split('\n')[0] ?? '';
}

/** Runs a program in its own process group (so an abort or timeout stops the compilers go started), output combined. */
function run(
  cmd: string,
  args: string[],
  opts: { env: Record<string, string>; cwd: string; signal?: AbortSignal },
): Promise<{ code: number; output: string; timedOut: boolean }> {
  if (opts.signal?.aborted) fail('interrupted');
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => out.push(b));
    const kill = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    let timedOut = false;
    const timer = setTimeout(() => ((timedOut = true), kill()), TIMEOUT_MS);
    opts.signal?.addEventListener('abort', kill, { once: true });
    const done = () => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', kill);
    };
    child.once('error', (e) => {
      done();
      resolve({ code: 127, output: (e as Error).message, timedOut: false });
    });
    child.once('close', (code) => {
      done();
      if (opts.signal?.aborted) {
        try {
          fail('interrupted');
        } catch (e) {
          reject(e);
        }
        return;
      }
      resolve({ code: code ?? 1, output: Buffer.concat(out).toString('utf8'), timedOut });
    });
  });
}
