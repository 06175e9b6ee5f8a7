/**
 * Reads a package with the package managers' own tools, never by parsing
 * the formats here: `rpm -qp` for an RPM's header, `rpm2cpio | cpio` for a
 * file of its payload; `dpkg-deb --field`/`--contents` for a DEB and
 * `dpkg-deb --fsys-tarfile | tar` for a file of its data. Used by packaging
 * (each package is read back before it is recorded) and by `kpatch verify`
 * (packageChecks.ts), where the package is untrusted input: the tools only
 * list and stream it, nothing is unpacked to disk.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fail } from '../errors.js';
import { childEnv, runCapture } from '../process/childProcess.js';
import type { PackageRecord } from '../manifest/manifest.js';
import type { PackageFormat } from './layout.js';
import { rpmlibProblems } from './rpmlib.js';

/** One entry of a package's file list. */
export interface ListedFile {
  /** Absolute path as installed (`/usr/bin/kubelet`). */
  path: string;
  /** Permission bits. */
  mode: number;
  dir: boolean;
}

/** What the header of a package says. */
export interface PackageInfo {
  name: string;
  version: string;
  release: string;
  arch: string;
  files: ListedFile[];
  /** RPM: the requirements as `rpm -qp --requires` prints them. */
  requires?: string[];
  /** RPM: the payload compressor (`xz`, `gzip`, `zstd`). */
  payloadCompressor?: string;
  /** RPM: the file digest algorithm (8 is SHA-256). */
  fileDigestAlgo?: string;
}

const TIMEOUT_MS = 5 * 60_000;

/** Why a package could not be read: the tool's own words. */
export class UnreadablePackage extends Error {}

async function capture(cmd: string, args: string[], env: Record<string, string | undefined>, signal?: AbortSignal): Promise<string> {
  const r = await runCapture(cmd, args, { env: childEnv({ PATH: env.PATH, LC_ALL: 'C', HOME: env.HOME }), timeoutMs: TIMEOUT_MS, signal });
  if (r.exitCode !== 0)
    throw new UnreadablePackage(
      `${cmd} ${args[0]}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ') || `exit ${r.exitCode}`}`,
    );
  return r.stdout;
}

/** The header facts and file list of `file`. Throws UnreadablePackage when the tool refuses it (damaged, not a package). */
export async function readPackage(
  format: PackageFormat,
  file: string,
  env: Record<string, string | undefined>,
  signal?: AbortSignal,
): Promise<PackageInfo> {
  if (format === 'rpm') {
    const q = ['-qp', '--nosignature', '--nodigest'];
    const head = (
      await capture(
        'rpm',
        [...q, '--qf', '%{NAME}\\n%{VERSION}\\n%{RELEASE}\\n%{ARCH}\\n%{PAYLOADCOMPRESSOR}\\n%{FILEDIGESTALGO}\\n', file],
        env,
        signal,
      )
    ).split('\n');
    const listing = await capture('rpm', [...q, '--qf', '[%{FILEMODES:octal}\\t%{FILENAMES}\\n]', file], env, signal);
    const requires = (await capture('rpm', [...q, '--requires', file], env, signal)).split('\n').filter(Boolean);
    const files = listing
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [mode, p] = l.split('\t');
        const n = parseInt(mode, 8);
        return { path: p, mode: n & 0o7777, dir: (n & 0o170000) === 0o040000 };
      });
    return {
      name: head[0],
      version: head[1],
      release: head[2],
      arch: head[3],
      payloadCompressor: head[4],
      fileDigestAlgo: head[5],
      files,
      requires,
    };
  }
  const fields = await capture('dpkg-deb', ['--field', file, 'Package', 'Version', 'Architecture'], env, signal);
  const get = (k: string) => new RegExp(`^${k}: (.*)$`, 'm').exec(fields)?.[1]?.trim() ?? '';
  const full = get('Version');
  const cut = full.lastIndexOf('-');
  const listing = await capture('dpkg-deb', ['--contents', file], env, signal);
  const files = listing
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      // tar -tv: `-rwxr-xr-x root/root 1234 2018-12-03 18:00 ./usr/bin/kubelet`
      const m = /^(\S{10})\s+\S+\s+\d+\s+\S+\s+\S+\s+\.(\/.*?)(?: -> .*)?$/.exec(l);
      if (!m) throw new UnreadablePackage(`dpkg-deb --contents: an entry it lists cannot be read: ${JSON.stringify(l)}`);
      return { path: m[2].replace(/\/$/, '') || '/', mode: modeOf(m[1]), dir: m[1][0] === 'd' };
    })
    .filter((f) => f.path !== '/');
  return {
    name: get('Package'),
    version: cut > 0 ? full.slice(0, cut) : full,
    release: cut > 0 ? full.slice(cut + 1) : '',
    arch: get('Architecture'),
    files,
  };
}

/** `-rwxr-xr-x` as 0o755 (set-id and sticky bits included). */
function modeOf(s: string): number {
  let n = 0;
  for (let i = 1; i < 10; i++) if (s[i] !== '-' && s[i] !== 'S' && s[i] !== 'T') n |= 1 << (9 - i);
  if (/[sS]/.test(s[3])) n |= 0o4000;
  if (/[sS]/.test(s[6])) n |= 0o2000;
  if (/[tT]/.test(s[9])) n |= 0o1000;
  return n;
}

/**
 * The sha256 and size of the file at `installPath` inside the package,
 * streamed out by the tools; undefined when the package has no such file.
 */
export async function packagedFileHash(
  format: PackageFormat,
  file: string,
  installPath: string,
  env: Record<string, string | undefined>,
  signal?: AbortSignal,
): Promise<{ sha256: string; size: number } | undefined> {
  const member = `.${installPath}`;
  const [first, second] =
    format === 'rpm'
      ? [
          ['rpm2cpio', [file]],
          ['cpio', ['-i', '--quiet', '--to-stdout', member]],
        ]
      : [
          ['dpkg-deb', ['--fsys-tarfile', file]],
          ['tar', ['-xOf', '-', member]],
        ];
  return pipeHash(first as [string, string[]], second as [string, string[]], env, signal);
}

/** Runs `a | b` without a shell and hashes b's output; undefined when b found no such member (or only an empty one). */
function pipeHash(
  [aCmd, aArgs]: [string, string[]],
  [bCmd, bArgs]: [string, string[]],
  env: Record<string, string | undefined>,
  signal?: AbortSignal,
): Promise<{ sha256: string; size: number } | undefined> {
  const e = childEnv({ PATH: env.PATH, LC_ALL: 'C' });
  return new Promise((resolve, reject) => {
    const a = spawn(aCmd, aArgs, { env: e, stdio: ['ignore', 'pipe', 'pipe'] });
    const b = spawn(bCmd, bArgs, { env: e, stdio: ['pipe', 'pipe', 'pipe'] });
    const h = createHash('sha256');
    let size = 0;
    let errText = '';
    const codes: (number | null)[] = [];
    const onAbort = () => {
      a.kill('SIGKILL');
      b.kill('SIGKILL');
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const failed = (err: NodeJS.ErrnoException, cmd: string) => {
      signal?.removeEventListener('abort', onAbort);
      reject(err.code === 'ENOENT' ? new UnreadablePackage(`${cmd} is not installed`) : err);
    };
    a.once('error', (err) => failed(err, aCmd));
    b.once('error', (err) => failed(err, bCmd));
    a.stdout.pipe(b.stdin);
    // b may stop reading early (tar found its member): a's EPIPE is not an error.
    b.stdin.on('error', () => {});
    a.stderr.on('data', (d: Buffer) => (errText += d.toString()));
    b.stderr.on('data', (d: Buffer) => (errText += d.toString()));
    b.stdout.on('data', (d: Buffer) => {
      size += d.length;
      h.update(d);
    });
    // a may end on SIGPIPE when b has read all it needs; any other failure of either is the package's.
    const done = (code: number | null, sig: NodeJS.Signals | null) => {
      codes.push(sig === 'SIGPIPE' ? 0 : code);
      if (codes.length < 2) return;
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) return reject(new UnreadablePackage('interrupted'));
      const why = (cmd: string, c: number | null) => `${cmd}: ${errText.trim().split('\n').slice(-2).join(' ') || `exit ${c}`}`;
      // No such member: tar says "Not found in archive" and fails (and dpkg-deb with it); cpio copies nothing and succeeds.
      if (size === 0 && /Not found in archive/.test(errText)) return resolve(undefined);
      if (codes[0] !== 0) return reject(new UnreadablePackage(why(aCmd, codes[0])));
      if (size === 0 && codes[1] === 0) return resolve(undefined);
      if (codes[1] !== 0) return reject(new UnreadablePackage(why(bCmd, codes[1])));
      resolve({ sha256: h.digest('hex'), size });
    };
    a.once('close', done);
    b.once('close', done);
  });
}

/**
 * What a package shows against its manifest record and the binary it must
 * carry: `ok` lines and `problems`, each one sentence. `expected` is the
 * file list the layout says (paths and modes); undefined skips that check
 * (a repackaged file keeps the original's list).
 */
export async function comparePackage(
  r: PackageRecord,
  file: string,
  binarySha256: string,
  expected: { path: string; mode: number }[] | undefined,
  env: Record<string, string | undefined>,
  signal?: AbortSignal,
): Promise<{ ok: string[]; problems: string[] }> {
  const ok: string[] = [];
  const problems: string[] = [];
  const info = await readPackage(r.format, file, env, signal);
  const said = { name: info.name, version: info.version, release: info.release, arch: info.arch };
  const wanted = { name: r.name, version: r.version, release: r.release, arch: r.arch };
  const differ = (Object.keys(wanted) as (keyof typeof wanted)[]).filter((k) => said[k] !== wanted[k]);
  if (differ.length)
    problems.push(
      `its header says ${differ.map((k) => `${k} ${JSON.stringify(said[k])}`).join(', ')}; manifest.json says ${differ.map((k) => JSON.stringify(wanted[k])).join(', ')}`,
    );
  else ok.push(`${r.name} ${r.version}-${r.release} ${r.arch}, as manifest.json records`);
  const inside = await packagedFileHash(r.format, file, r.binary.installPath, env, signal);
  if (!inside) problems.push(`carries no ${r.binary.installPath}`);
  else if (inside.sha256 !== binarySha256)
    problems.push(
      `its ${r.binary.installPath} (sha256 ${inside.sha256.slice(0, 16)}…) is not ${r.binary.artifact} (sha256 ${binarySha256.slice(0, 16)}…): the package carries another binary`,
    );
  else ok.push(`its ${r.binary.installPath} is byte for byte ${r.binary.artifact}`);
  if (expected) {
    // A DEB lists every parent folder too; a folder counts only when the layout owns it or it is not a parent of the layout's files.
    const parent = (d: string) => expected.some((f) => f.path.startsWith(d + '/'));
    const owned = new Set(expected.map((f) => f.path));
    const listed = info.files
      .filter((f) => !f.dir || owned.has(f.path) || !parent(f.path))
      .map((f) => `${f.path} ${f.mode.toString(8).padStart(4, '0')}`);
    const want = expected.map((f) => `${f.path} ${f.mode.toString(8).padStart(4, '0')}`);
    const extra = listed.filter((x) => !want.includes(x));
    const lacking = want.filter((x) => !listed.includes(x));
    if (extra.length || lacking.length)
      problems.push(
        `its files differ from the layout kpatch makes for it: ${[...extra.map((x) => `unexpected ${x}`), ...lacking.map((x) => `missing ${x}`)].join('; ')}`,
      );
    else ok.push(`its ${listed.length} files and modes are the layout's`);
  }
  if (r.format === 'rpm') {
    const el7 = [
      ...rpmlibProblems(info.requires ?? []),
      ...(info.payloadCompressor && !['xz', 'gzip'].includes(info.payloadCompressor)
        ? [`its payload is ${info.payloadCompressor}, which rpm 4.11.3 cannot read (xz or gzip)`]
        : []),
      ...(info.fileDigestAlgo !== '8' ? [`its file digests are not SHA-256 (algorithm ${info.fileDigestAlgo})`] : []),
    ];
    problems.push(...el7);
    if (!el7.length)
      ok.push(`installs on rpm 4.11.3: ${info.payloadCompressor} payload, SHA-256 file digests, only rpmlib() features it provides`);
  }
  return { ok, problems };
}

/**
 * Packaging's own read-back of a package it just made: the same comparison
 * verify runs, without the layout (the layout made it); any problem is a
 * kpatch bug or a broken tool, `package_failed`, and nothing is recorded.
 */
export async function checkMadePackage(
  file: string,
  r: PackageRecord,
  binarySha256: string,
  env: Record<string, string | undefined>,
  signal?: AbortSignal,
): Promise<void> {
  let problems: string[];
  try {
    ({ problems } = await comparePackage(r, file, binarySha256, undefined, env, signal));
  } catch (e) {
    if (!(e instanceof UnreadablePackage)) throw e;
    problems = [e.message];
  }
  if (problems.length)
    fail('package_failed', { where: r.path, detail: `the package just made does not read back as made:\n${problems.join('\n')}` });
}
