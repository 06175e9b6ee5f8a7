package fs

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/opencontainers/runc/libcontainer/configs"
)

// cgroupData locates one cgroup below the hierarchy mounted at root. The
// fixtures only know the memory hierarchy, so root is its mount point.
type cgroupData struct {
	root   string
	config *configs.Cgroup
	pid    int
}

// path returns the directory of the cgroup in the hierarchy of subsystem.
func (raw *cgroupData) path(subsystem string) (string, error) {
	if raw.config.Name == "" {
		return "", fmt.Errorf("%s cgroup has no name", subsystem)
	}
	return filepath.Join(raw.root, raw.config.Parent, raw.config.Name), nil
}

// join creates the cgroup of subsystem if needed and moves raw.pid into it.
func (raw *cgroupData) join(subsystem string) (string, error) {
	path, err := raw.path(subsystem)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(path, 0755); err != nil {
		return "", err
	}
	if err := writeFile(path, "cgroup.procs", strconv.Itoa(raw.pid)); err != nil {
		return "", err
	}
	return path, nil
}

// writeFile writes data into the control file named file of the cgroup dir.
func writeFile(dir, file, data string) error {
	return os.WriteFile(filepath.Join(dir, file), []byte(data), 0700)
}
