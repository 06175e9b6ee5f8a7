/**
 * Makes one package file with the real tools: the files are laid out under a
 * private work folder (the binary copied byte for byte, every time and mode
 * fixed), then `rpmbuild -bb` or `dpkg-deb --build` packs them. Two runs on
 * the same layout give the same bytes: SOURCE_DATE_EPOCH is the tag's commit
 * time, every file's time is set to it, owners are root, the order is the
 * tools' own sorted order, HOME is the work folder (no ~/.rpmmacros), the
 * locale and zone are fixed and xz runs on one thread.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fail } from '../errors.js';
import { childEnv, runCapture } from '../process/childProcess.js';
import { debConffiles, debControl, debScripts } from './debControl.js';
import type { PackageLayout } from './layout.js';
import { RPM_MACROS, rpmSpec } from './rpmSpec.js';
import { packageFileName } from './versionScheme.js';

/** What one package is made from. */
export interface MakeRequest {
  layout: PackageLayout;
  /** The folder's verified binary (absolute). */
  binary: string;
  /** Where the package file goes (a folder; created when missing). */
  outDir: string;
  /** A folder on the same file system for the private work folder. */
  workParent: string;
  /** The tag commit's time: the build time of the package and the time of every file in it. */
  sourceDateEpoch: number;
  env: Record<string, string | undefined>;
  signal?: AbortSignal;
}

/** Builds can take a while for a 100 MB kubelet under xz on a busy machine. */
const TOOL_TIMEOUT_MS = 20 * 60_000;

/** Lays out the files of `l` under `root`, each with its mode and the fixed time. */
async function layOut(l: PackageLayout, root: string, binary: string, epoch: number): Promise<number> {
  let kib = 0;
  const dirs = new Set<string>();
  for (const f of l.files) {
    const dest = path.join(root, f.path);
    for (let d = path.dirname(f.path); d !== '/'; d = path.dirname(d)) dirs.add(d);
    if (f.kind === 'dir') {
      await mkdir(dest, { recursive: true });
      dirs.add(f.path);
      continue;
    }
    await mkdir(path.dirname(dest), { recursive: true });
    if (f.kind === 'binary') await copyFile(binary, dest);
    else await writeFile(dest, f.content ?? '');
    await chmod(dest, f.mode);
    kib += Math.ceil((await stat(dest)).size / 1024);
  }
  for (const d of dirs) await chmod(path.join(root, d), l.files.find((f) => f.path === d)?.mode ?? 0o755);
  await touchAll(root, epoch);
  return kib + dirs.size;
}

/** Sets every time under `dir` (itself included) to `epoch`. */
async function touchAll(dir: string, epoch: number): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) await touchAll(p, epoch);
    else await utimes(p, epoch, epoch);
  }
  await utimes(dir, epoch, epoch);
}

/** The environment both tools run in: the caller's PATH, nothing of the user's set-up. */
function toolEnv(env: Record<string, string | undefined>, home: string, epoch: number): Record<string, string> {
  return childEnv({ PATH: env.PATH, HOME: home, LC_ALL: 'C', TZ: 'UTC', SOURCE_DATE_EPOCH: String(epoch) });
}

async function run(cmd: string, args: string[], env: Record<string, string>, cwd: string, signal?: AbortSignal): Promise<void> {
  const r = await runCapture(cmd, args, { env, cwd, timeoutMs: TOOL_TIMEOUT_MS, signal });
  if (r.exitCode === 0) return;
  const tail = (r.stderr || r.stdout).trim().split('\n').slice(-12).join('\n');
  fail('package_failed', {
    where: cmd,
    detail: `${r.timedOut ? 'stopped after 20 minutes' : `exited ${r.exitCode}`}:\n${tail}`,
  });
}

/** Makes the package; returns its file's absolute path in `outDir`. */
export async function makePackage(r: MakeRequest): Promise<string> {
  const l = r.layout;
  const work = await mkdtemp(path.join(r.workParent, '.kpatch-package-'));
  try {
    const root = path.join(work, 'root');
    const kib = await layOut(l, root, r.binary, r.sourceDateEpoch);
    const env = toolEnv(r.env, work, r.sourceDateEpoch);
    const name = packageFileName(l.format, l.name, l.version, l.release, l.arch);
    let made: string;
    if (l.format === 'rpm') {
      const spec = path.join(work, `${l.name}.spec`);
      await writeFile(spec, rpmSpec(l));
      const defines = { ...RPM_MACROS, _topdir: path.join(work, 'top'), _tmppath: path.join(work, 'tmp'), kpatch_root: root };
      await mkdir(defines._tmppath, { recursive: true });
      const args = ['-bb', '--quiet', '--target', l.arch, ...Object.entries(defines).flatMap(([k, v]) => ['--define', `${k} ${v}`]), spec];
      await run('rpmbuild', args, env, work, r.signal);
      made = path.join(defines._topdir, 'RPMS', l.arch, name);
    } else {
      const debian = path.join(root, 'DEBIAN');
      await mkdir(debian);
      await writeFile(path.join(debian, 'control'), debControl(l, kib));
      const conffiles = debConffiles(l);
      if (conffiles) await writeFile(path.join(debian, 'conffiles'), conffiles);
      await writeFile(path.join(debian, 'md5sums'), await md5sums(l, root));
      for (const [file, text] of Object.entries(debScripts(l.scripts))) {
        await writeFile(path.join(debian, file), text);
        await chmod(path.join(debian, file), 0o755);
      }
      await chmod(debian, 0o755);
      await touchAll(root, r.sourceDateEpoch);
      made = path.join(work, name);
      const args = ['--root-owner-group', '-Zxz', '-z6', '--threads-max=1', '--build', root, made];
      await run('dpkg-deb', args, env, work, r.signal);
    }
    if (!(await stat(made).catch(() => undefined))?.isFile())
      fail('package_failed', { where: l.format === 'rpm' ? 'rpmbuild' : 'dpkg-deb', detail: `exited 0 but wrote no ${name}` });
    await mkdir(r.outDir, { recursive: true });
    const dest = path.join(r.outDir, name);
    await rename(made, dest);
    return dest;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** DEBIAN/md5sums: every regular file but the conffiles (dpkg keeps their sums itself), as dh_md5sums writes it. */
async function md5sums(l: PackageLayout, root: string): Promise<string> {
  const lines: string[] = [];
  for (const f of [...l.files].sort((a, b) => a.path.localeCompare(b.path))) {
    if (f.kind === 'dir' || f.kind === 'config') continue;
    const h = createHash('md5');
    for await (const chunk of createReadStream(path.join(root, f.path))) h.update(chunk as Buffer);
    lines.push(`${h.digest('hex')}  ${f.path.slice(1)}`);
  }
  return lines.map((x) => x + '\n').join('');
}
