/**
 * Whatever Go compiles, kpatch reads (issue 14 §1), end to end through the
 * real CLI, real git, real Go and the stand-in Kubernetes tree:
 *
 * - several vendored copies of runc: a tree whose top copy has the nokmem
 *   variant and whose nested copy (cadvisor's vendor/) does not. The stand-in
 *   kubelet here creates its pod cgroup through the nested copy, so a
 *   `-tags=nokmem` build (what kpatch chose before) still switches kmem on;
 *   `--mode auto` must patch both copies, `--mode nokmem` must be refused;
 * - a linked folder: `.../cgroups/fs` a link to a folder elsewhere in the
 *   tree is read, reported, diffed, patched (at its real path) and built;
 *   a link that leaves the tree is refused; a link back to an ancestor does
 *   not loop;
 * - the compile check of `kpatch patch`: with no Go on PATH it says the
 *   patch was checked for syntax only.
 */
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { binaryVerification } from '../../src/manifest/verification.js';
import { KpatchError } from '../../src/errors.js';
import { kpatch } from '../helpers/cli.js';
import { materializeStandin, STANDIN_MEMORY_GO, STANDIN_RUNC_FS_DIR } from '../helpers/standin-repo.js';
import { kmemSwitchedOn as kmemSwitchedOnUnder, manifestOf } from '../helpers/buildOutput.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'kpatch-copies-links-'));
const env = { CI: '1', KPATCH_CACHE_DIR: path.join(tmp, 'cache'), HOME: path.join(tmp, 'home'), GOFLAGS: undefined };
mkdirSync(env.HOME, { recursive: true });
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const NESTED = 'vendor/github.com/google/cadvisor/vendor/github.com/opencontainers/runc';
const PROOF = 'kernel memory accounting disabled in this runc build';

function git(cwd: string, ...args: string[]): string {
  return execFileSync(
    'git',
    ['-c', 'user.name=kpatch-test', '-c', 'user.email=test@kpatch.invalid', '-c', 'commit.gpgSign=false', ...args],
    { cwd, encoding: 'utf8', stdio: 'pipe' },
  );
}

/** Commits the folder as a repository tagged `tag`, so `--k8s TAG --repo file://...` can fetch it. */
function commitTagged(dir: string, tag: string): string {
  git(dir, 'init', '-q');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', `stand-in ${tag}`);
  git(dir, 'tag', '-a', tag, '-m', tag);
  return `file://${dir}`;
}

/** Runs the stand-in kubelet against a temporary cgroup root; says whether kmem was switched on. */
const kmemSwitchedOn = (kubelet: string) => kmemSwitchedOnUnder(kubelet, tmp);

/**
 * v1.14.10 (runc with the nokmem pair) plus cadvisor vendoring an older runc
 * (v1.12.4's, no nokmem variant) in its own vendor/; the kubelet's pod
 * cgroup is created by cadvisor's code, i.e. through the nested copy.
 */
function twoCopiesTree(dir: string): void {
  materializeStandin('v1.14.10', dir);
  const old = path.join(tmp, 'old-runc');
  if (!existsSync(old)) materializeStandin('v1.12.4', old);
  cpSync(path.join(old, 'vendor/github.com/opencontainers/runc'), path.join(dir, NESTED), { recursive: true });
  mkdirSync(path.join(dir, 'vendor/github.com/google/cadvisor/container'), { recursive: true });
  writeFileSync(
    path.join(dir, 'vendor/github.com/google/cadvisor/container/pod.go'),
    `// Package container stands in for cadvisor code that creates cgroups
// through cadvisor's own vendored copy of runc.
package container

import (
	"github.com/opencontainers/runc/libcontainer/cgroups/fs"
	"github.com/opencontainers/runc/libcontainer/configs"
)

// Create makes the cgroup at cgroupPath under root with the given limits and
// returns its memory directory.
func Create(root, name, cgroupPath string, memory, kmem int64) (string, error) {
	c := &configs.Cgroup{Name: name, Path: cgroupPath, Resources: &configs.Resources{Memory: memory, KernelMemory: kmem}}
	m := &fs.Manager{Cgroups: c, Root: root}
	if err := m.Apply(-1); err != nil {
		return "", err
	}
	if err := m.Set(c); err != nil {
		return "", err
	}
	return m.GetPaths()["memory"], nil
}
`,
  );
  writeFileSync(
    path.join(dir, 'pkg/kubelet/cm/pod_cgroup.go'),
    `// Package cm creates the pod-level cgroups of the stand-in kubelet: the QoS
// parent through Kubernetes' own vendored runc, the pod cgroup through
// cadvisor's vendored runc (a second copy of the cgroupfs driver).
package cm

import (
	"fmt"
	"path"

	"github.com/google/cadvisor/container"
	"github.com/opencontainers/runc/libcontainer/cgroups/fs"
	"github.com/opencontainers/runc/libcontainer/configs"
)

// PodCgroup describes the pod cgroup to create.
type PodCgroup struct {
	Root         string
	UID          string
	MemoryLimit  int64
	KernelMemory int64
}

// Name returns the cgroup name relative to Root.
func (p PodCgroup) Name() string {
	return path.Join("/kubepods", "pod"+p.UID)
}

// Create creates the pod cgroup and returns its memory directory.
func Create(p PodCgroup) (string, error) {
	if p.UID == "" {
		return "", fmt.Errorf("pod UID is empty")
	}
	// The QoS parent through Kubernetes' own copy, the pod cgroup through cadvisor's.
	q := &configs.Cgroup{Name: "kubepods", Path: "/kubepods", Resources: &configs.Resources{KernelMemory: p.KernelMemory}}
	qm := &fs.Manager{Cgroups: q, Root: p.Root}
	if err := qm.Apply(-1); err != nil {
		return "", fmt.Errorf("failed to create cgroup %s: %v", q.Path, err)
	}
	if err := qm.Set(q); err != nil {
		return "", fmt.Errorf("failed to set limits on cgroup %s: %v", q.Path, err)
	}
	return container.Create(p.Root, "pod"+p.UID, p.Name(), p.MemoryLimit, p.KernelMemory)
}
`,
  );
}

describe('several vendored copies of runc, only one with the nokmem variant', () => {
  const src = path.join(tmp, 'two-copies');
  twoCopiesTree(src);
  const url = commitTagged(src, 'v1.14.10');
  const build = (args: string[]) => kpatch(['build', '--k8s', 'v1.14.10', '--repo', url, '--runner', 'local', ...args], { env });

  it('scan reports both copies, and says the nokmem tag is not a fix for this tree', () => {
    const r = kpatch(['scan', '--src', src, '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.verdict).toBe('affected');
    expect(j.nokmem).toBe(false);
    expect(j.sites.filter((s: { status: string }) => s.status === 'unguarded').map((s: { file: string }) => s.file)).toEqual([
      `${NESTED}/libcontainer/cgroups/fs/memory.go`,
      STANDIN_MEMORY_GO,
    ]);
    expect(j.nokmemUncovered.join('\n')).toContain(`${NESTED}/`);
    const text = kpatch(['scan', '--src', src], { env });
    expect(text.stdout).toMatch(
      /nokmem build tag: not a fix for this tree: .*kmem_disabled\.go have it, but vendor\/github.com\/google\/cadvisor\//,
    );
  });

  it('--mode nokmem is refused (exit 2) before anything is built, naming the copy without the variant and why', () => {
    const out = path.join(tmp, 'out-nokmem');
    const r = build(['--mode', 'nokmem', '--out', out]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('error[nokmem_unsupported]');
    expect(r.stderr).toContain(`${NESTED}/: kmem is switched on at ${NESTED}/libcontainer/cgroups/fs/memory.go:`);
    expect(r.stderr).toContain('no file of this copy has a `nokmem` build constraint');
    expect(r.stderr).not.toMatch(/build: started/);
    expect(existsSync(out)).toBe(false);
  });

  it(
    '--mode auto patches both copies, and the kubelet (pod cgroup made through the nested copy) no longer switches kmem on',
    { timeout: 300_000 },
    () => {
      const out = path.join(tmp, 'out-auto');
      const r = build(['--mode', 'auto', '--out', out]);
      expect(r.code, r.stderr).toBe(0);
      const m = manifestOf(out);
      expect(m).toMatchObject({ mode: 'guard', modeRequested: 'auto', verification: { status: 'verified', method: 'source' } });
      expect(m.modeReason).toContain('not in every copy that needs the fix');
      expect(m.modeReason).toContain(`${NESTED}/`);
      expect(m.patchedFiles.map((f: { path: string }) => f.path).sort()).toEqual([
        `${NESTED}/libcontainer/cgroups/fs/memory.go`,
        STANDIN_MEMORY_GO,
      ]);
      expect(m.verification.summary).toContain('2 copies');
      expect(kmemSwitchedOn(path.join(out, 'linux-amd64/kubelet'))).toBe(false);
    },
  );

  it(
    'a -tags=nokmem build of the same tree (what kpatch chose before) carries the proof string yet still switches kmem on',
    { timeout: 300_000 },
    () => {
      const copy = path.join(tmp, 'two-copies-plain');
      cpSync(src, copy, { recursive: true });
      execFileSync('make', ['WHAT=cmd/kubelet'], {
        cwd: copy,
        env: {
          ...process.env,
          GOFLAGS: '-tags=nokmem',
          HOME: env.HOME,
          GO111MODULE: 'off' /* a GOPATH-era tree, as a user's plain make needs with Go >= 1.16 */,
        },
        stdio: 'pipe',
      });
      const kubelet = path.join(copy, '_output/local/bin/linux/amd64/kubelet');
      // What the old proof looked for is there (from the top copy), and kmem is still switched on (by the nested one).
      expect(readFileSync(kubelet).includes(Buffer.from(PROOF))).toBe(true);
      expect(kmemSwitchedOn(kubelet)).toBe(true);
    },
  );
});

describe('several vendored copies, each with the nokmem variant', () => {
  const NESTED_PROOF = "kernel memory accounting disabled in cadvisor's runc build";
  const src = path.join(tmp, 'two-nokmem-copies');
  twoCopiesTree(src);
  // The nested copy becomes an rc6-era runc too, whose nokmem variant has a string of its own.
  const newer = path.join(tmp, 'newer-runc');
  materializeStandin('v1.14.10', newer);
  rmSync(path.join(src, NESTED), { recursive: true });
  cpSync(path.join(newer, 'vendor/github.com/opencontainers/runc'), path.join(src, NESTED), { recursive: true });
  const disabled = path.join(src, NESTED, 'libcontainer/cgroups/fs/kmem_disabled.go');
  writeFileSync(disabled, readFileSync(disabled, 'utf8').replace(PROOF, NESTED_PROOF));
  const url = commitTagged(src, 'v1.14.10');

  it(
    '--mode auto builds with -tags=nokmem; the proof covers both copies, and a string missing from one copy fails the build proof',
    { timeout: 300_000 },
    async () => {
      const out = path.join(tmp, 'out-two-nokmem');
      const r = kpatch(['build', '--k8s', 'v1.14.10', '--repo', url, '--runner', 'local', '--mode', 'auto', '--out', out], { env });
      expect(r.code, r.stderr).toBe(0);
      const m = manifestOf(out);
      expect(m).toMatchObject({ mode: 'nokmem', verification: { status: 'verified', method: 'binary' } });
      expect(m.verification.proofStrings.sort()).toEqual([PROOF, NESTED_PROOF].sort());
      expect(m.verification.artifacts[0].proofStringsFound.sort()).toEqual([PROOF, NESTED_PROOF].sort());
      expect(m.verification.summary).toContain(
        `each of the 2 copies of the vendored code that switch kmem on (${NESTED}/, vendor/github.com/opencontainers/runc/) has the nokmem variant`,
      );
      const kubelet = path.join(out, 'linux-amd64/kubelet');
      expect(kmemSwitchedOn(kubelet)).toBe(false);
      // The same kubelet, checked against a copy whose own string is not in it: refused, naming that copy.
      const refused = await binaryVerification(
        'nokmem',
        [PROOF, 'a string no binary has, of the other copy'],
        [{ path: 'linux-amd64/kubelet', abs: kubelet }],
        { PATH: process.env.PATH },
        'kubelet',
        [
          { copy: 'vendor/github.com/opencontainers/runc/', strings: [PROOF] },
          { copy: `${NESTED}/`, strings: ['a string no binary has, of the other copy'] },
        ],
      ).catch((e) => e);
      expect(refused).toBeInstanceOf(KpatchError);
      expect(refused.detail).toContain(`none of the strings of the nokmem variant of ${NESTED}/ is in the binary`);
    },
  );
});

/** v1.12.4 with `.../cgroups/fs` moved to `third_party/runc-cgroups-fs` and a relative link in its place. */
function linkedFsTree(dir: string, target = path.join(dir, 'third_party/runc-cgroups-fs')): void {
  materializeStandin('v1.12.4', dir);
  mkdirSync(path.dirname(target), { recursive: true });
  renameSync(path.join(dir, STANDIN_RUNC_FS_DIR), target);
  symlinkSync(path.relative(path.dirname(path.join(dir, STANDIN_RUNC_FS_DIR)), target), path.join(dir, STANDIN_RUNC_FS_DIR));
}

describe('a linked cgroups/fs folder', () => {
  const REAL = 'third_party/runc-cgroups-fs/memory.go';

  it('scan reads through the link: affected, the site named where Go compiles it, --fail-on affected exits 1', () => {
    const dir = path.join(tmp, 'link-scan');
    linkedFsTree(dir);
    const r = kpatch(['scan', '--src', dir, '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.verdict).toBe('affected');
    expect(j.sites.map((s: { file: string; status: string }) => [s.file, s.status])).toEqual([[STANDIN_MEMORY_GO, 'unguarded']]);
    const f = kpatch(['scan', '--src', dir, '--fail-on', 'affected'], { env });
    expect(f.code).toBe(1);
    expect(f.stderr).toContain('error[scan_affected]');
  });

  it('diff names the real file (git apply accepts it); patch writes the real file, reports its path and keeps the link', () => {
    const dir = path.join(tmp, 'link-patch');
    linkedFsTree(dir);
    commitTagged(dir, 'v1.12.4');
    const d = kpatch(['diff', '--src', dir], { env });
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toContain(`diff --git a/${REAL} b/${REAL}`);
    execFileSync('git', ['apply', '--check', '-'], { cwd: dir, input: d.stdout });
    const p = kpatch(['patch', '--src', dir], { env });
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout).toContain(`  ${REAL}\n`);
    expect(p.stdout).toMatch(/compiled the patched 1 package/);
    expect(lstatSync(path.join(dir, STANDIN_RUNC_FS_DIR)).isSymbolicLink()).toBe(true);
    expect(readFileSync(path.join(dir, REAL), 'utf8')).toContain('if d.config.KernelMemory != 0 {');
    expect(git(dir, 'status', '--porcelain').trim()).toBe(`M ${REAL}`);
    expect(JSON.parse(kpatch(['scan', '--src', dir, '--json'], { env }).stdout).verdict).toBe('patched');
  });

  it('build patches the linked code and the kubelet no longer switches kmem on', { timeout: 300_000 }, () => {
    const dir = path.join(tmp, 'link-build');
    linkedFsTree(dir);
    const url = commitTagged(dir, 'v1.12.4');
    const out = path.join(tmp, 'out-link');
    const r = kpatch(['build', '--k8s', 'v1.12.4', '--repo', url, '--runner', 'local', '--out', out], { env });
    expect(r.code, r.stderr).toBe(0);
    const m = manifestOf(out);
    expect(m.patchedFiles.map((f: { path: string }) => f.path)).toEqual([REAL]);
    expect(readFileSync(path.join(out, 'patches/0001-kmem-accounting-guard.patch'), 'utf8')).toContain(`a/${REAL}`);
    expect(kmemSwitchedOn(path.join(out, 'linux-amd64/kubelet'))).toBe(false);
  });

  it('a link that leaves the tree is refused, naming the link and where it leads', () => {
    const dir = path.join(tmp, 'link-out');
    const outside = path.join(tmp, 'outside-fs');
    linkedFsTree(dir, outside);
    for (const args of [
      ['scan', '--src', dir],
      ['patch', '--src', dir, '--allow-dirty'],
    ]) {
      const r = kpatch(args, { env });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(`error[unsafe_path]: target file is a symbolic link: ${STANDIN_RUNC_FS_DIR}`);
      expect(r.stderr).toContain(`a link to ${outside}, outside the tree`);
    }
    expect(readFileSync(path.join(outside, 'memory.go'), 'utf8')).not.toContain('kpatch:');
  });

  it('a link back to an ancestor (a build GOPATH link) is not followed: no loop, no file read twice', () => {
    const dir = path.join(tmp, 'link-loop');
    linkedFsTree(dir);
    const before = JSON.parse(kpatch(['scan', '--src', dir, '--json'], { env }).stdout);
    mkdirSync(path.join(dir, '_output/local/go/src/k8s.io'), { recursive: true });
    symlinkSync('../../../../..', path.join(dir, '_output/local/go/src/k8s.io/kubernetes'));
    const r = kpatch(['scan', '--src', dir, '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).files).toEqual(before.files);
  });
});

describe('the compile check of kpatch patch', () => {
  it('with no Go on PATH, patch still patches and says the package was checked for syntax only', () => {
    const dir = path.join(tmp, 'no-go');
    materializeStandin('v1.12.4', dir);
    commitTagged(dir, 'v1.12.4');
    const bin = path.join(tmp, 'bin-git-only');
    mkdirSync(bin, { recursive: true });
    symlinkSync(execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim(), path.join(bin, 'git'));
    const r = kpatch(['patch', '--src', dir, '--json'], { env: { ...env, PATH: bin } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('kpatch: warning: no Go toolchain');
    expect(r.stderr).toContain('checked for syntax only, not compiled');
    expect(JSON.parse(r.stdout).compileCheck).toMatchObject({ status: 'skipped' });
  });
});
