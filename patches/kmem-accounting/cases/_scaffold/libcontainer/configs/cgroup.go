// Package configs is a small stand-in for runc's configs package: only the
// fields the cgroup code of these fixtures reads.
package configs

// Cgroup names a cgroup and carries the limits asked for it.
type Cgroup struct {
	Name   string
	Parent string

	*Resources
}

// Resources are the limits of a cgroup, in bytes.
type Resources struct {
	Memory       int64
	MemorySwap   int64
	KernelMemory int64
}
