/**
 * Builds fake node roots for doctor tests: real folders and files standing in
 * for /proc and /sys/fs/cgroup in a temporary folder.
 *
 * Convention for kmem state (a fake root has regular files only, so the real
 * "Input/output error" of `memory.kmem.slabinfo` cannot be reproduced):
 * - on:  `memory.kmem.slabinfo` holds a slabinfo header, usage is non-zero;
 * - off: `memory.kmem.slabinfo` is absent (stands for EIO), usage is 0.
 * The limit file always holds the kernel's "unlimited" default.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, chmodSync, utimesSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';

/** kmem state to give a cgroup folder. */
export type FakeKmem = 'on' | 'off' | 'empty-slabinfo';

/** What the fake node looks like. */
export interface FakeNodeSpec {
  mode: 'v1' | 'hybrid' | 'v2';
  /** `/proc/sys/kernel/osrelease`. */
  kernel?: string;
  /** `/proc/cmdline`. */
  cmdline?: string;
  /** The `memory` row's num_cgroups in `/proc/cgroups` (default: the folders created, root included). */
  memoryCount?: number;
  /** Memory cgroup folders relative to the memory mount, with their kmem state; parents are created too (kmem off). */
  cgroups?: Record<string, FakeKmem>;
  /** Leave `/proc/cgroups` out. */
  noProcCgroups?: boolean;
  /** Folder to create the root in (default: the system temp folder). */
  base?: string;
  /**
   * Processes under /proc: `comm` (left out when `comm` is undefined, as when
   * it cannot be read), `cmdline`, and `exe`, a symbolic link to a host file,
   * as the kernel's /proc/<pid>/exe is a link to the running binary.
   */
  processes?: { pid: number; comm?: string; cmdline?: string[]; exe?: string }[];
  /** Text files under the root, by node path (container runtime configs). */
  files?: Record<string, string>;
  /** Host files copied under the root, by node path (binaries on the node's PATH). */
  copies?: Record<string, string>;
  /** Leave out /sys/fs/cgroup and the mount table: no cgroup hierarchy readable. */
  noCgroups?: boolean;
  /**
   * Write the mount table as a container that mounts the host's /proc and
   * /sys/fs/cgroup under the root sees it (the DaemonSet in docs/examples/npd):
   * the host's hierarchies under the root's path, and the container's own
   * memory cgroup sub-tree at /sys/fs/cgroup/memory.
   */
  containerView?: boolean;
}

export const SLABINFO =
  'slabinfo - version: 2.1\n# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>\n';
const UNLIMITED = '9223372036854771712\n';

const V1_MOUNTS = [
  '25 30 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw',
  '26 30 0:4 / /proc rw,nosuid,nodev,noexec,relatime shared:13 - proc proc rw',
  '31 25 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:8 - tmpfs tmpfs ro,mode=755',
  '32 31 0:27 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:9 - cgroup cgroup rw,xattr,release_agent=/usr/lib/systemd/systemd-cgroups-agent,name=systemd',
  '35 31 0:30 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,cpuacct,cpu',
  '36 31 0:31 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup rw,memory',
  '37 31 0:32 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:18 - cgroup cgroup rw,pids',
];
const UNIFIED_MOUNT = '33 31 0:28 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate';
const V2_MOUNTS = [
  '25 30 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw',
  '26 30 0:4 / /proc rw,nosuid,nodev,noexec,relatime shared:13 - proc proc rw',
  '31 25 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot',
];

/** Creates a fake node root and returns its path. */
export function makeFakeNode(spec: FakeNodeSpec): string {
  const root = mkdtempSync(path.join(spec.base ?? os.tmpdir(), 'kpatch-doctor-node-'));
  const put = (rel: string, text: string) => {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  };
  put('proc/sys/kernel/osrelease', (spec.kernel ?? '3.10.0-957.el7.x86_64') + '\n');
  put('proc/cmdline', (spec.cmdline ?? 'BOOT_IMAGE=/vmlinuz ro crashkernel=auto') + '\n');
  for (const p of spec.processes ?? []) {
    const dir = path.join(root, 'proc', String(p.pid));
    mkdirSync(dir, { recursive: true });
    if (p.comm !== undefined) writeFileSync(path.join(dir, 'comm'), p.comm + '\n');
    writeFileSync(path.join(dir, 'cmdline'), (p.cmdline ?? [p.comm ?? 'unknown']).join('\0') + '\0');
    if (p.exe) symlinkSync(p.exe, path.join(dir, 'exe'));
  }
  for (const [rel, text] of Object.entries(spec.files ?? {})) put(rel.replace(/^\//, ''), text);
  for (const [rel, from] of Object.entries(spec.copies ?? {})) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    copyFileSync(from, path.join(root, rel));
  }
  if (spec.noCgroups) {
    if (!spec.noProcCgroups) put('proc/cgroups', procCgroups(0, 1));
    return root;
  }

  if (spec.mode === 'v2') {
    put('proc/self/mountinfo', V2_MOUNTS.join('\n') + '\n');
    put('sys/fs/cgroup/cgroup.controllers', 'cpuset cpu io memory hugetlb pids rdma\n');
    mkdirSync(path.join(root, 'sys/fs/cgroup/kubepods.slice'), { recursive: true });
    if (!spec.noProcCgroups) put('proc/cgroups', procCgroups(0, spec.memoryCount ?? 40));
    return root;
  }

  const mounts = spec.mode === 'hybrid' ? [...V1_MOUNTS, UNIFIED_MOUNT] : V1_MOUNTS;
  put('proc/self/mountinfo', (spec.containerView ? asContainerSees(mounts, root) : mounts).join('\n') + '\n');
  const mem = path.join(root, 'sys/fs/cgroup/memory');
  writeKmem(mem, 'off');
  let folders = 1;
  for (const [rel, state] of Object.entries(spec.cgroups ?? {})) {
    const parts = rel.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const dir = path.join(mem, ...parts.slice(0, i));
      try {
        mkdirSync(dir);
        folders++;
        writeKmem(dir, 'off');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
    writeKmem(path.join(mem, rel), state);
  }
  if (!spec.noProcCgroups) put('proc/cgroups', procCgroups(11, spec.memoryCount ?? folders));
  return root;
}

/** The mount lines as a container with the host's mounts under `root` sees them. */
function asContainerSees(mounts: string[], root: string): string[] {
  const host = mounts.map((l) => l.replace(/^(\S+ \S+ \S+ \S+ )(\/\S*)/, (_, head: string, at: string) => `${head}${root}${at}`));
  const own =
    '90 80 0:31 /kubepods/besteffort/pod0a1b2c3d-9999-4e8f-9a0b-999999999999/0123456789ab /sys/fs/cgroup/memory ro,nosuid,nodev,noexec,relatime - cgroup cgroup rw,memory';
  return [...host, own];
}

/** Writes the kmem files of one cgroup folder for `state`. */
export function writeKmem(dir: string, state: FakeKmem): void {
  mkdirSync(dir, { recursive: true });
  rmSync(path.join(dir, 'memory.kmem.slabinfo'), { force: true });
  if (state === 'on') writeFileSync(path.join(dir, 'memory.kmem.slabinfo'), SLABINFO);
  if (state === 'empty-slabinfo') writeFileSync(path.join(dir, 'memory.kmem.slabinfo'), '');
  writeFileSync(path.join(dir, 'memory.kmem.limit_in_bytes'), UNLIMITED);
  writeFileSync(path.join(dir, 'memory.kmem.usage_in_bytes'), state === 'on' ? '3452928\n' : '0\n');
  writeFileSync(path.join(dir, 'memory.limit_in_bytes'), UNLIMITED);
}

/** Sets a folder's times, so the "newest pods" sample is deterministic. */
export function setAge(dir: string, secondsAgo: number): void {
  const t = Date.now() / 1000 - secondsAgo;
  utimesSync(dir, t, t);
}

function procCgroups(memHierarchy: number, memCount: number): string {
  return [
    '#subsys_name\thierarchy\tnum_cgroups\tenabled',
    'cpuset\t6\t14\t1',
    'cpu\t4\t95\t1',
    'cpuacct\t4\t95\t1',
    `memory\t${memHierarchy}\t${memCount}\t1`,
    'devices\t9\t95\t1',
    'pids\t3\t95\t1',
    '',
  ].join('\n');
}

/** A fake binary: filler bytes with the given strings embedded at the given offsets (default: spread out). */
export function makeBinary(dir: string, name: string, strings: string[], opts: { size?: number; at?: number[] } = {}): string {
  const size = opts.size ?? 256 * 1024;
  const buf = Buffer.alloc(size);
  for (let i = 0; i < size; i++) buf[i] = (i * 131 + 7) & 0x7f ? 0x90 : 0;
  strings.forEach((s, i) => {
    const at = opts.at?.[i] ?? Math.floor(((i + 1) * size) / (strings.length + 2));
    Buffer.from(s, 'latin1').copy(buf, at);
  });
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  writeFileSync(file, buf);
  chmodSync(file, 0o755);
  return file;
}

/** Go build markers and names as they appear in real binaries. */
export const GO_BUILD_ID = '\xff Go build ID: "abcDEF123/xyz"\n \xff';
export const KMEM_FN = 'github.com/opencontainers/runc/libcontainer/cgroups/fs.EnableKernelMemoryAccounting';
export const NOKMEM_TEXT = 'kernel memory accounting disabled in this runc build';

/** Removes a fake root, also after a test made it read-only. */
export function removeFakeNode(root: string): void {
  execFileSync('chmod', ['-R', 'u+w', root]);
  rmSync(root, { recursive: true, force: true });
}
