//go:build linux || darwin

package journal

import (
	"path/filepath"
	"syscall"
)

// freeBytes is the space an unprivileged writer may still use on the
// file system holding path.
func freeBytes(path string) (int64, bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(filepath.Dir(path), &st); err != nil {
		return 0, false
	}
	return int64(st.Bavail) * int64(st.Bsize), true
}
