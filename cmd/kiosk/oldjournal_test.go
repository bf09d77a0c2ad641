package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
)

// TestWholeProgramRefusesNewJournalBesideUnsent: the kiosk binary configured
// for a journal that does not exist yet, with an older journal one
// directory up still holding unsent records (a configuration moved to a new
// path, a technician's copy), does not start a new journal: it shows the
// cannot-start screen naming the file and the count, logs it, and leaves
// the older file byte for byte as it was. (A drained older journal is no
// reason to refuse: journal.TestUnsentBeside.)
func TestWholeProgramRefusesNewJournalBesideUnsent(t *testing.T) {
	dir := t.TempDir()
	writeConfig(t, dir, kit{})
	cfg := filepath.Join(dir, "kiosk.toml")
	old := filepath.Join(dir, "journal.db")
	newPath := filepath.Join(dir, "journal", "journal.db")
	b, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.Replace(b, []byte(fmt.Sprintf("%q", old)), []byte(fmt.Sprintf("%q", newPath)), 1)
	if !bytes.Contains(b, []byte(newPath)) {
		t.Fatalf("journal path not in the test configuration:\n%s", b)
	}
	if err := os.WriteFile(cfg, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(newPath), 0o700); err != nil {
		t.Fatal(err)
	}
	j, err := journal.Open(old, journal.Options{KioskID: "K01"})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := j.Append(context.Background(), kiosk.Record{Kind: kiosk.TxStatus, Outcome: kiosk.OutcomeOK, Time: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	before, err := os.ReadFile(old)
	if err != nil {
		t.Fatal(err)
	}

	s := &screen{t: t, sock: filepath.Join(dir, "tmux.sock"), dir: dir}
	logPath := filepath.Join(dir, "kiosk.log")
	s.tmux("new-session", "-d", "-x", "120", "-y", "40", "-e", "TERM=xterm-256color",
		fmt.Sprintf("%s --config %s --log %s; echo KIOSK-EXITED $?; sleep 60", kioskBin, cfg, logPath))
	t.Cleanup(func() { s.tmux("kill-server") })
	s.waitFor("No new journal was started", 20*time.Second)
	f := s.waitFor("holds 3 records", 5*time.Second)
	if !says(f, old) {
		t.Errorf("the screen does not name the older journal %s:\n%s", old, f)
	}
	logged, _ := os.ReadFile(logPath)
	if !strings.Contains(string(logged), "kiosk not started") || !strings.Contains(string(logged), kiosk.OldJournalMark) {
		t.Errorf("the log does not say why:\n%s", logged)
	}
	if _, err := os.Stat(newPath); err == nil {
		t.Error("a new journal was started beside the unsent one")
	}
	if after, _ := os.ReadFile(old); !bytes.Equal(before, after) {
		t.Error("the older journal changed")
	}
}
