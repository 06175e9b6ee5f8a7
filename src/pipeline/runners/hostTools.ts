/**
 * What the release's own make needs on the host, checked before anything is
 * fetched or patched when the build runs there (`--runner local`): a
 * missing rsync would otherwise surface minutes later as "find: 'rsync': No
 * such file or directory" from the middle of Kubernetes' harness.
 *
 * The lists come from the make rules themselves, read on the real Kubernetes
 * v1.20.2 (build/root/Makefile, build/root/Makefile.generated_files,
 * hack/lib/{init,golang,util,logging,version}.sh, hack/make-rules/build.sh)
 * and on runc's Makefile of rc5 to 1.1; only what the kubelet (or runc)
 * build path runs is listed. Container runners need none of this: the image
 * brings it.
 */
import { fail } from '../../errors.js';
import { childEnv, runCapture } from '../../process/childProcess.js';
import { findExecutable } from './findExecutable.js';

/** One program the build runs, the Debian package that provides it, and who runs it. */
export interface HostNeed {
  program: string;
  debian: string;
  why: string;
}

const COREUTILS = 'basename cat cut date dirname env head ln ls mkdir readlink rm sort touch uname uniq';

/** Kubernetes' `make WHAT=cmd/kubelet` (every era from 1.8: the same harness shape). */
const KUBELET_NEEDS: HostNeed[] = [
  { program: 'go', debian: 'golang-go', why: 'the Go toolchain' },
  { program: 'make', debian: 'make', why: 'runs build/root/Makefile' },
  { program: 'bash', debian: 'bash', why: 'the Makefile\'s SHELL and every hack/ script' },
  { program: 'rsync', debian: 'rsync', why: 'hack/lib/golang.sh copies the built binaries with `find ... -exec rsync`' },
  { program: 'gcc', debian: 'gcc', why: 'the kubelet is built with cgo' },
  { program: 'find', debian: 'findutils', why: 'Makefile.generated_files and hack/lib/golang.sh' },
  { program: 'xargs', debian: 'findutils', why: 'Makefile.generated_files' },
  { program: 'awk', debian: 'mawk', why: 'hack/lib/golang.sh (parallelism from /proc/meminfo)' },
  { program: 'sed', debian: 'sed', why: 'hack/lib/golang.sh, hack/lib/version.sh, Makefile.generated_files' },
  { program: 'grep', debian: 'grep', why: 'hack/lib/*.sh and Makefile.generated_files' },
  { program: 'diff', debian: 'diffutils', why: 'Makefile.generated_files (API rule check)' },
  ...COREUTILS.split(' ').map((program) => ({ program, debian: 'coreutils', why: 'hack/lib/*.sh and the Makefiles' })),
];

/** runc's own make (rc5 to 1.1): `go build` with cgo (nsenter), SOURCES found with find/grep. */
const RUNC_NEEDS: HostNeed[] = [
  { program: 'go', debian: 'golang-go', why: 'the Go toolchain' },
  { program: 'make', debian: 'make', why: 'runs runc\'s Makefile' },
  { program: 'bash', debian: 'bash', why: 'the Makefile\'s SHELL' },
  { program: 'gcc', debian: 'gcc', why: 'runc is built with cgo (nsenter)' },
  { program: 'find', debian: 'findutils', why: 'the Makefile lists SOURCES with find' },
  { program: 'grep', debian: 'grep', why: 'the Makefile lists SOURCES with grep' },
  { program: 'sed', debian: 'sed', why: 'the Makefile' },
  { program: 'cat', debian: 'coreutils', why: 'the Makefile reads VERSION with cat' },
];

/** The programs `target`'s make runs on the host. */
export function hostNeeds(target: 'kubelet' | 'runc'): HostNeed[] {
  return target === 'runc' ? RUNC_NEEDS : KUBELET_NEEDS;
}

/**
 * Checks that every program `target`'s make needs is on `env.PATH`, and that
 * gcc finds the C library's start files (libc6-dev: gcc alone cannot link
 * cgo code). Throws `host_tools_missing` naming every missing program and
 * the Debian packages that provide them, in one message.
 */
export async function checkHostTools(target: 'kubelet' | 'runc', env: Record<string, string | undefined>): Promise<void> {
  const missing = hostNeeds(target).filter((n) => !findExecutable(n.program, env));
  if (!missing.some((n) => n.program === 'gcc') && !(await libcDevPresent(env))) {
    missing.push({ program: 'crt1.o (C library start files and headers)', debian: 'libc6-dev', why: 'gcc links cgo code against them' });
  }
  if (!missing.length) return;
  const packages = [...new Set(missing.map((n) => n.debian))];
  const width = Math.max(...missing.map((n) => n.program.length));
  fail('host_tools_missing', {
    where: '--runner local',
    detail: [
      `${target === 'runc' ? "runc's" : "Kubernetes'"} make runs these on the host and they are not on PATH:`,
      ...missing.map((n) => `  ${n.program.padEnd(width)}  (Debian: ${n.debian}) ${n.why}`),
      `Debian/Ubuntu: apt-get install ${packages.join(' ')}`,
    ].join('\n'),
  });
}

/** Whether gcc finds crt1.o (libc6-dev): `gcc -print-file-name` prints a bare name when it does not. */
async function libcDevPresent(env: Record<string, string | undefined>): Promise<boolean> {
  try {
    const r = await runCapture('gcc', ['-print-file-name=crt1.o'], { env: childEnv(env), timeoutMs: 10_000 });
    return r.exitCode === 0 && r.stdout.trim().includes('/');
  } catch {
    return false;
  }
}
