package pgtest

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// Freeze stops the server's processes with SIGSTOP — the postmaster
// first (it forks no one new), then every backend and worker — as a
// database host that hangs: connections stay open and nothing answers.
// The returned thaw continues them (once; the test's cleanup calls it too).
func (s *Server) Freeze(t testing.TB) (thaw func()) {
	t.Helper()
	pm := s.cmd.Process.Pid
	if err := syscall.Kill(pm, syscall.SIGSTOP); err != nil {
		t.Fatalf("pgtest: freeze postmaster: %v", err)
	}
	kids := children(pm)
	for _, p := range kids {
		_ = syscall.Kill(p, syscall.SIGSTOP) // one that just exited is no matter
	}
	var once sync.Once
	thaw = func() {
		once.Do(func() {
			for _, p := range kids {
				_ = syscall.Kill(p, syscall.SIGCONT)
			}
			_ = syscall.Kill(pm, syscall.SIGCONT)
		})
	}
	t.Cleanup(thaw)
	return thaw
}

// children lists the processes whose parent is pid (from /proc).
func children(pid int) []int {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var out []int
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		// pid (comm) state ppid …: comm may hold spaces and parentheses.
		rest := string(b[strings.LastIndexByte(string(b), ')')+1:])
		fields := strings.Fields(rest)
		if len(fields) < 2 {
			continue
		}
		if ppid, _ := strconv.Atoi(fields[1]); ppid == pid {
			p, _ := strconv.Atoi(filepath.Base(filepath.Dir(f)))
			out = append(out, p)
		}
	}
	return out
}
