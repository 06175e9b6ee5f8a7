/**
 * The kernel facts that decide whether the leak can happen: its release (the
 * leak is known on the CentOS/RHEL 7 kernels, 3.10.0-*.el7) and whether the
 * kernel command line asks for kmem accounting to be off (`cgroup.memory=nokmem`).
 */
import type { NodeFs } from './nodeFs.js';

/** Kernel facts. */
export interface KernelFacts {
  /** `uname -r`, from `/proc/sys/kernel/osrelease`; undefined when unreadable. */
  release?: string;
  /**
   * `yes` for a 3.10 el7 kernel (where the leak happens), `no` for any other
   * release, `unknown` when the release could not be read.
   */
  leakProne: 'yes' | 'no' | 'unknown';
  /** True when `/proc/cmdline` has `cgroup.memory=...nokmem...`; undefined when unreadable. */
  cmdlineNokmem?: boolean;
}

/** True for the CentOS/RHEL 7 kernel line (`3.10.0-1160.el7.x86_64` and friends). */
export function isEl7Kernel(release: string): boolean {
  return /^3\.10\.\d+-.*\.el7/.test(release);
}

/** True when the kernel command line switches kmem accounting off. */
export function hasNokmem(cmdline: string): boolean {
  return cmdline
    .trim()
    .split(/\s+/)
    .some((tok) => tok.startsWith('cgroup.memory=') && tok.slice('cgroup.memory='.length).split(',').includes('nokmem'));
}

/** Reads the kernel release and command line under the node root. */
export async function readKernel(fs: NodeFs): Promise<KernelFacts> {
  const release = (await fs.readOptional('/proc/sys/kernel/osrelease'))?.trim() || undefined;
  const cmdline = await fs.readOptional('/proc/cmdline');
  return {
    release,
    leakProne: release === undefined ? 'unknown' : isEl7Kernel(release) ? 'yes' : 'no',
    cmdlineNokmem: cmdline === undefined ? undefined : hasNokmem(cmdline),
  };
}
