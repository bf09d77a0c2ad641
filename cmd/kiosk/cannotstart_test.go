package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestWholeProgramBadConfigStaysUp: the kiosk binary given a configuration
// it cannot use, under systemd's notify protocol (NOTIFY_SOCKET, a 3 s
// watchdog), shows the cannot-start screen, then says READY=1 with the
// reason as STATUS= and keeps pinging the watchdog while the screen loop
// runs: systemd no longer times the unit out and restarts it every 90 s.
func TestWholeProgramBadConfigStaysUp(t *testing.T) {
	n, conn := notifySocket(t)
	dir := t.TempDir()
	writeConfig(t, dir, kit{})
	cfg := filepath.Join(dir, "kiosk.toml")
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// A misspelt key: the loader refuses the file, naming it.
	if err := os.WriteFile(cfg, append([]byte("idle_timout = \"60s\"\n"), b...), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &screen{t: t, sock: filepath.Join(dir, "tmux.sock"), dir: dir}
	cmd := fmt.Sprintf("%s --config %s; echo KIOSK-EXITED $?; sleep 60", kioskBin, cfg)
	s.tmux("new-session", "-d", "-x", "100", "-y", "30", "-e", "TERM=xterm-256color",
		"-e", "NOTIFY_SOCKET="+n.socket, "-e", "WATCHDOG_USEC=3000000", cmd)
	t.Cleanup(func() { s.tmux("kill-server") })
	s.waitFor("idle_timout", 20*time.Second)

	got := next(t, conn)
	if !strings.HasPrefix(got, "READY=1\nSTATUS=cannot start: ") || !strings.Contains(got, "idle_timout") {
		t.Fatalf("first notification %q, want READY=1 and STATUS= naming the key", got)
	}
	// WATCHDOG_USEC 3 s: a ping every second while the loop goes round.
	for i := range 3 {
		if got := next(t, conn); got != "WATCHDOG=1" {
			t.Fatalf("notification %d after READY: %q, want WATCHDOG=1", i, got)
		}
	}
	if f := s.capture(); strings.Contains(f, "KIOSK-EXITED") || !strings.Contains(f, "idle_timout") {
		t.Fatalf("the cannot-start screen did not stay up:\n%s", f)
	}
	// systemctl stop: SIGTERM ends it (exit 1, "cannot start", as before).
	shell := strings.TrimSpace(s.tmux("display-message", "-p", "#{pane_pid}"))
	out, err := exec.Command("pgrep", "-P", shell).Output()
	if err != nil {
		t.Fatalf("the kiosk process under the pane's shell %s: %v", shell, err)
	}
	pid, err := strconv.Atoi(strings.Fields(string(out))[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	s.waitFor("KIOSK-EXITED 1", 10*time.Second)
}
