// Package cgroups is a small stand-in for runc's cgroups package.
package cgroups

import "os"

// PathExists reports whether path names an existing file or directory.
func PathExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
