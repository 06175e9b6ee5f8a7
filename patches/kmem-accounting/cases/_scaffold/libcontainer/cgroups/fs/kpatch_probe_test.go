package fs

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/opencontainers/runc/libcontainer/configs"
)

// TestKpatchProbe creates two memory cgroups under a temporary directory that
// stands in for /sys/fs/cgroup/memory, the first without and the second with
// a kernel memory limit, and checks which of them had kmem accounting switched
// on (memory.kmem.limit_in_bytes written). KPATCH_PROBE_MODE says what the
// tree is: none (unpatched), guard or remove (patched by kpatch in that mode).
func TestKpatchProbe(t *testing.T) {
	var wantPlain, wantLimited bool
	switch mode := os.Getenv("KPATCH_PROBE_MODE"); mode {
	case "none":
		wantPlain, wantLimited = true, true
	case "guard":
		wantPlain, wantLimited = false, true
	case "remove":
		wantPlain, wantLimited = false, false
	case "":
		t.Skip("KPATCH_PROBE_MODE is not set")
	default:
		t.Fatalf("KPATCH_PROBE_MODE=%q: want none, guard or remove", mode)
	}
	root := t.TempDir()
	for _, c := range []struct {
		name string
		kmem int64
		want bool
	}{
		{"pod-without-kmem-limit", 0, wantPlain},
		{"pod-with-kmem-limit", 1 << 20, wantLimited},
	} {
		d := &cgroupData{
			root: root,
			config: &configs.Cgroup{
				Parent:    "kubepods",
				Name:      c.name,
				Resources: &configs.Resources{Memory: 64 << 20, KernelMemory: c.kmem},
			},
			pid: os.Getpid(),
		}
		if err := (&MemoryGroup{}).Apply(d); err != nil {
			t.Fatalf("%s: Apply: %v", c.name, err)
		}
		_, err := os.Stat(filepath.Join(root, "kubepods", c.name, "memory.kmem.limit_in_bytes"))
		if got := err == nil; got != c.want {
			t.Errorf("%s (KernelMemory=%d): kmem accounting switched on = %v, want %v", c.name, c.kmem, got, c.want)
		}
	}
}
