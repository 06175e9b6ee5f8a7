/**
 * Real Go binaries for doctor's tests, built once per test file with the host
 * Go: small programs written here (not runc's code) that stand for a kubelet
 * or runc by what doctor reads in their bytes. Go keeps every function name in
 * the binary's symbol table, so the kmem-enabling function is found by name
 * exactly as in a real kubelet.
 * - `unpatched`: calls the kmem-enabling function, as an affected kubelet or runc does;
 * - `fixed`: the function is there but a no-op twin, built with kpatch's version
 *   note and the nokmem error text, as a `nokmem` build by kpatch is;
 * - `unaffected`: no such function at all, as runc rc94 and later.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** What the built program stands for. */
export type GoKind = 'unpatched' | 'fixed' | 'unaffected';

const SOURCES: Record<GoKind, string> = {
  unpatched: `package main

import (
	"fmt"
	"os"
)

var version = "v0.0.0"

//go:noinline
func EnableKernelMemoryAccounting(path string) error {
	fmt.Println("would write 1 then -1 to", path+"/memory.kmem.limit_in_bytes")
	return nil
}

func main() {
	if len(os.Args) > 1 {
		_ = EnableKernelMemoryAccounting(os.Args[1])
	}
	fmt.Println(version)
}
`,
  fixed: `package main

import (
	"errors"
	"fmt"
	"os"
)

var version = "v0.0.0"

//go:noinline
func EnableKernelMemoryAccounting(path string) error {
	return nil
}

//go:noinline
func setKernelMemory(path string, limit int64) error {
	if limit > 0 {
		return errors.New("kernel memory accounting disabled in this runc build")
	}
	return nil
}

func main() {
	if len(os.Args) > 2 {
		_ = EnableKernelMemoryAccounting(os.Args[1])
		fmt.Println(setKernelMemory(os.Args[1], int64(len(os.Args[2]))))
	}
	fmt.Println(version)
}
`,
  unaffected: `package main

import (
	"fmt"
	"os"
)

var version = "v0.0.0"

func main() {
	fmt.Println(version, len(os.Args))
}
`,
};

/** Builds the program for `kind` into `dir/<kind>` and returns its path. */
export function buildGoBinary(dir: string, kind: GoKind, version = kind === 'fixed' ? 'v1.20.2+kpatch.nokmem' : 'v1.20.2'): string {
  const src = path.join(dir, `src-${kind}`);
  mkdirSync(src, { recursive: true });
  writeFileSync(path.join(src, 'go.mod'), `module example.invalid/${kind}\n\ngo 1.16\n`);
  writeFileSync(path.join(src, 'main.go'), SOURCES[kind]);
  const out = path.join(dir, kind);
  execFileSync('go', ['build', '-o', out, '-ldflags', `-s -w -X main.version=${version}`, '.'], {
    cwd: src,
    env: {
      ...process.env,
      GO111MODULE: 'on',
      GOFLAGS: '-mod=mod',
      CGO_ENABLED: '0',
      GOCACHE: path.join(os.tmpdir(), 'kpatch-test-gocache'),
      GOPATH: path.join(dir, 'gopath'),
    },
    stdio: 'pipe',
  });
  return out;
}
