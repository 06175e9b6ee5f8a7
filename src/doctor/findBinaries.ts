/**
 * Finds the kubelet and runc a node really runs, when `--kubelet`/`--runc`
 * are not given, and keeps a record of every place looked at so the report
 * can say where it looked (an operator must be able to tell "fixed" from
 * "not found").
 *
 * - kubelet: the running process. `/proc/<pid>/comm` is `kubelet` (or, when
 *   comm cannot be read, the first word of `/proc/<pid>/cmdline`); its
 *   `/proc/<pid>/exe` is what runs, even when the file on disk was replaced
 *   since (the link then ends in " (deleted)"). The binary is read through
 *   that link, so it is found from inside a container that mounts the host's
 *   /proc, where the target's own path does not exist.
 * - runc: the container runtime's own setting first, as that is what creates
 *   the containers: containerd's `BinaryName` (or the older `runtime_engine`/
 *   `runtime`) in /etc/containerd/config.toml, docker's `runtimes.*.path` in
 *   /etc/docker/daemon.json, cri-o's `runtime_path` (or `runtime`) in
 *   /etc/crio/crio.conf and crio.conf.d; then `runc` on the PATH.
 *
 * Every path is a node path read under the node root. Reads only.
 */
import type { NodeFs } from './nodeFs.js';

/** How one binary was found, or where doctor looked for it. */
export interface BinarySearch {
  /** `flag` when given on the command line, else where it was found, or null when not found. */
  source: 'flag' | 'process' | 'containerd' | 'docker' | 'cri-o' | 'path' | null;
  /** Node path of the binary (the exe link's target for a process). */
  path: string | null;
  /** Host path to read the bytes from (`<root>/proc/<pid>/exe` for a process). */
  readFrom: string | null;
  /** Every place looked at, in order, with what it gave. */
  looked: string[];
}

/** The standard PATH of a node (systemd's default), used when the node's own cannot be known. */
export const NODE_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Finds the running kubelet under the node's /proc. */
export async function findKubelet(fs: NodeFs): Promise<BinarySearch> {
  const looked: string[] = [];
  const pids = (await fs.list('/proc')).filter((e) => /^\d+$/.test(e.name)).map((e) => Number(e.name));
  pids.sort((a, b) => a - b);
  for (const pid of pids) {
    const comm = (await fs.readOptional(`/proc/${pid}/comm`))?.trim();
    const name = comm ?? basename(((await fs.readOptional(`/proc/${pid}/cmdline`)) ?? '').split('\0')[0]);
    if (name !== 'kubelet') continue;
    const target = await fs.readLink(`/proc/${pid}/exe`);
    if (!target) {
      looked.push(`/proc/*/comm: kubelet is pid ${pid}, but /proc/${pid}/exe cannot be read (run doctor as root, with the host's /proc)`);
      continue;
    }
    const deleted = target.endsWith(' (deleted)');
    looked.push(
      `/proc/*/comm: kubelet is pid ${pid}; /proc/${pid}/exe -> ${target}${deleted ? ' (replaced on disk since it started: the running binary is read)' : ''}`,
    );
    return { source: 'process', path: target, readFrom: fs.host(`/proc/${pid}/exe`), looked };
  }
  looked.push(`/proc/*/comm: no kubelet process among ${pids.length} processes`);
  return { source: null, path: null, readFrom: null, looked };
}

/** Finds the runc the container runtime uses, else runc on the PATH. */
export async function findRunc(fs: NodeFs, pathDirs: string[]): Promise<BinarySearch> {
  const looked: string[] = [];
  const candidates: { source: BinarySearch['source']; name: string; from: string }[] = [];

  const containerd = '/etc/containerd/config.toml';
  const toml = await fs.readOptional(containerd);
  if (toml === undefined) looked.push(`${containerd}: not there`);
  else {
    const found = tomlStrings(toml, ['BinaryName', 'runtime_engine', 'runtime']);
    looked.push(
      `${containerd}: ${found.length ? found.map((f) => `${f.key} = "${f.value}"`).join(', ') : 'no BinaryName, runtime_engine or runtime'}`,
    );
    for (const f of found) candidates.push({ source: 'containerd', name: f.value, from: `${containerd} ${f.key}` });
  }

  const docker = '/etc/docker/daemon.json';
  const json = await fs.readOptional(docker);
  if (json === undefined) looked.push(`${docker}: not there`);
  else {
    const paths = dockerRuntimes(json);
    looked.push(
      `${docker}: ${paths === undefined ? 'not valid JSON' : paths.length ? paths.map((p) => `runtime ${p.name} path "${p.path}"`).join(', ') : 'no runtimes (docker uses its bundled runc from the PATH)'}`,
    );
    for (const p of paths ?? []) candidates.push({ source: 'docker', name: p.path, from: `${docker} runtimes.${p.name}.path` });
  }

  const crioFiles = [
    '/etc/crio/crio.conf',
    ...(await fs.list('/etc/crio/crio.conf.d'))
      .filter((e) => e.name.endsWith('.conf'))
      .map((e) => `/etc/crio/crio.conf.d/${e.name}`)
      .sort(),
  ];
  for (const file of crioFiles) {
    const text = await fs.readOptional(file);
    if (text === undefined) {
      looked.push(`${file}: not there`);
      continue;
    }
    const found = tomlStrings(text, ['runtime_path', 'runtime']);
    looked.push(`${file}: ${found.length ? found.map((f) => `${f.key} = "${f.value}"`).join(', ') : 'no runtime_path'}`);
    for (const f of found) candidates.push({ source: 'cri-o', name: f.value, from: `${file} ${f.key}` });
  }
  candidates.push({ source: 'path', name: 'runc', from: 'PATH' });

  for (const c of candidates) {
    const paths = c.name.includes('/') ? [c.name] : pathDirs.map((d) => `${d}/${c.name}`);
    for (const p of paths) {
      if ((await fs.stat(p))?.isFile()) {
        looked.push(`${c.from}: ${p}`);
        return { source: c.source, path: p, readFrom: fs.host(p), looked };
      }
    }
    looked.push(`${c.from}: ${c.name.includes('/') ? `${c.name} not there` : `no ${c.name} in ${pathDirs.join(':')}`}`);
  }
  return { source: null, path: null, readFrom: null, looked };
}

/**
 * `key = "value"` lines of a TOML file, for the given keys, in file order.
 * Only plain string values count: a runtime named by `runtime_type`
 * (`io.containerd.runc.v2`) is a shim, not a binary, and is not matched.
 */
export function tomlStrings(text: string, keys: string[]): { key: string; value: string }[] {
  const out: { key: string; value: string }[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z_]+)\s*=\s*["']([^"']*)["']/.exec(line);
    if (m && keys.includes(m[1]) && m[2] !== '') out.push({ key: m[1], value: m[2] });
  }
  return out;
}

/** docker's `runtimes` (name and path), or undefined when the file is not JSON. */
export function dockerRuntimes(text: string): { name: string; path: string }[] | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  const runtimes = (doc as { runtimes?: Record<string, { path?: unknown }> })?.runtimes ?? {};
  return Object.entries(runtimes)
    .filter(([, r]) => typeof r?.path === 'string' && r.path !== '')
    .map(([name, r]) => ({ name, path: r.path as string }));
}

function basename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}
