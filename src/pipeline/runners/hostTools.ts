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

/**
 * Every program a target's make runs on the host, its Debian package, and why
 * each target's make runs it (absent: that make does not). One table, so a
 * program's package is written once for both targets.
 * - kubelet: Kubernetes' `make WHAT=cmd/kubelet` (every era from 1.8: the same harness shape).
 * - runc: runc's own make (rc5 to 1.1), `go build` with cgo (nsenter), SOURCES found with find/grep.
 */
const HOST_TOOLS: { program: string; debian: string; kubelet?: string; runc?: string }[] = [
  { program: 'go', debian: 'golang-go', kubelet: 'the Go toolchain', runc: 'the Go toolchain' },
  { program: 'make', debian: 'make', kubelet: 'runs build/root/Makefile', runc: "runs runc's Makefile" },
  { program: 'bash', debian: 'bash', kubelet: "the Makefile's SHELL and every hack/ script", runc: "the Makefile's SHELL" },
  { program: 'rsync', debian: 'rsync', kubelet: 'hack/lib/golang.sh copies the built binaries with `find ... -exec rsync`' },
  { program: 'gcc', debian: 'gcc', kubelet: 'the kubelet is built with cgo', runc: 'runc is built with cgo (nsenter)' },
  {
    program: 'find',
    debian: 'findutils',
    kubelet: 'Makefile.generated_files and hack/lib/golang.sh',
    runc: 'the Makefile lists SOURCES with find',
  },
  { program: 'xargs', debian: 'findutils', kubelet: 'Makefile.generated_files' },
  { program: 'awk', debian: 'mawk', kubelet: 'hack/lib/golang.sh (parallelism from /proc/meminfo)' },
  { program: 'sed', debian: 'sed', kubelet: 'hack/lib/golang.sh, hack/lib/version.sh, Makefile.generated_files', runc: 'the Makefile' },
  { program: 'grep', debian: 'grep', kubelet: 'hack/lib/*.sh and Makefile.generated_files', runc: 'the Makefile lists SOURCES with grep' },
  { program: 'diff', debian: 'diffutils', kubelet: 'Makefile.generated_files (API rule check)' },
  { program: 'cat', debian: 'coreutils', kubelet: 'hack/lib/*.sh and the Makefiles', runc: 'the Makefile reads VERSION with cat' },
  ...'basename cut date dirname env head ln ls mkdir readlink rm sort touch uname uniq'
    .split(' ')
    .map((program) => ({ program, debian: 'coreutils', kubelet: 'hack/lib/*.sh and the Makefiles' })),
];

/** The programs `target`'s make runs on the host. */
export function hostNeeds(target: 'kubelet' | 'runc'): HostNeed[] {
  return HOST_TOOLS.filter((t) => t[target]).map((t) => ({ program: t.program, debian: t.debian, why: t[target]! }));
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
