/**
 * What the kmem-accounting recipe says the `nokmem` variant compiles in, on
 * hand-written vendored runc trees: both build-constraint syntaxes, a variant
 * with no string of its own, and trees without the variant or the call.
 * A wrong string here would make `build --mode nokmem` accept a kubelet the
 * tag never reached, or refuse a good one.
 */
import { describe, expect, it } from 'vitest';
import { makeGoFile } from '../../src/engine/sourceFile.js';
import { DEFAULT_RECIPE } from '../../src/recipes.js';

const FS = 'vendor/github.com/opencontainers/runc/libcontainer/cgroups/fs';
const PROOF = 'kernel memory accounting disabled in this runc build';

const tree = (files: Record<string, string>) => Object.entries(files).map(([rel, text]) => makeGoFile(rel, `/t/${rel}`, text));
const tag = DEFAULT_RECIPE.buildTag!;

const KMEM = (header: string) => `${header}

package fs

import "strconv"

const cgroupKernelMemoryLimit = "memory.kmem.limit_in_bytes"

func EnableKernelMemoryAccounting(path string) error { return setKernelMemory(path, 1) }

func setKernelMemory(path string, limit int64) error {
	return writeFile(path, cgroupKernelMemoryLimit, strconv.FormatInt(limit, 10))
}
`;

const DISABLED = (header: string, body: string) => `${header}

package fs

import (
	"errors"
	"github.com/opencontainers/runc/libcontainer/configs"
)

var _ configs.Cgroup

func EnableKernelMemoryAccounting(path string) error { return nil }

func setKernelMemory(path string, limit int64) error {
	${body}
}
`;

const MEMORY = `package fs

func (s *MemoryGroup) Apply(d *cgroupData) error {
	if err := EnableKernelMemoryAccounting(d.path); err != nil {
		return err
	}
	return nil
}
`;

describe('the nokmem variant of a tree', () => {
  it.each([
    ['// +build linux,!nokmem', '// +build linux,nokmem'],
    ['//go:build linux && !nokmem', '//go:build linux && nokmem'],
  ])('%s / %s: the disabled twin is selected and its own message is the proof', (kmemHeader, disabledHeader) => {
    const files = tree({
      [`${FS}/memory.go`]: MEMORY,
      [`${FS}/kmem.go`]: KMEM(kmemHeader),
      [`${FS}/kmem_disabled.go`]: DISABLED(disabledHeader, `return errors.New("${PROOF}")`),
    });
    expect(tag.files(files)).toEqual([`${FS}/kmem_disabled.go`]);
    expect(tag.proofStrings(files)).toEqual([PROOF]);
  });

  it('has no proof when its only strings are short, escaped, import paths or shared with the default variant', () => {
    const files = tree({
      [`${FS}/memory.go`]: MEMORY,
      [`${FS}/kmem.go`]: KMEM('// +build linux,!nokmem'),
      [`${FS}/kmem_disabled.go`]: DISABLED(
        '// +build linux,nokmem',
        'if path == "" {\n\t\treturn errors.New("no path")\n\t}\n\t_ = "memory.kmem.limit_in_bytes"\n\treturn errors.New("kmem disabled:\\tnot compiled in this build")',
      ),
    });
    expect(tag.files(files)).toEqual([`${FS}/kmem_disabled.go`]);
    expect(tag.proofStrings(files)).toEqual([]);
  });

  it('takes raw strings too', () => {
    const files = tree({
      [`${FS}/kmem.go`]: KMEM('//go:build linux && !nokmem'),
      [`${FS}/kmem_disabled.go`]: DISABLED('//go:build linux && nokmem', 'return errors.New(`kmem is compiled out of this runc`)'),
    });
    expect(tag.proofStrings(files)).toEqual(['kmem is compiled out of this runc']);
  });

  it('is absent from a 2017 tree (no kmem_disabled.go) and from a tree with no call', () => {
    const old = tree({ [`${FS}/memory.go`]: MEMORY });
    expect(tag.files(old)).toEqual([]);
    expect(tag.proofStrings(old)).toEqual([]);
    const none = tree({
      [`${FS}/memory.go`]: 'package fs\n\nfunc (s *MemoryGroup) Apply(path string, d *cgroupData) error { return join(path, d) }\n',
    });
    expect(tag.files(none)).toEqual([]);
    expect(DEFAULT_RECIPE.scan(none).verdict).toBe('not-affected');
  });
});
