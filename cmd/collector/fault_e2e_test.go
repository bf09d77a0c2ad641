package main

// A kiosk that stays up on its cannot-start screen tells the town hall
// why: the real kiosk binary, configured to sync to the real collector
// over mutual TLS, refuses to start a new journal beside an older one
// with unsent records (or finds a mistake in its configuration), and the
// collector's staff API and console then show it for that kiosk, with
// what to do.

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

func TestWholeProgramCannotStartIsReported(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux missing (apt-get install tmux): make test installs it")
	}
	dir := t.TempDir()
	th := startTownHall(t, dir, []string{"T01", "T02"}, "--admins", "staff-e2e")
	base, pem, townHall := th.base, th.pem, th.staff
	config := func(id, kdir, journalPath, extra string) string {
		return fmt.Sprintf(`kiosk_id = %q
[municipality]
name = "〇〇村"
office = "住民福祉課"
phone = "0000-00-0000"
hours = "平日 8:30〜17:15"
[journal]
path = %q
[sync]
collector_url = %q
ca = %q
cert = %q
key = %q
[devices.reader]
mode = "sim"
[devices.keypad]
mode = "sim"
[devices.touch]
mode = "sim"
[devices.printer]
mode = "sim"
path = %q
%s`, id, journalPath, base, pem("ca"), pem("client-"+id), pem("client-"+id+"-key"), filepath.Join(kdir, "slips"), extra)
	}

	t.Run("old journal", func(t *testing.T) {
		kdir := filepath.Join(dir, "T01")
		old := filepath.Join(kdir, "journal.db")
		oldJournalWithUnsent(t, old, "T01", 2)
		cfg := writeFile(t, filepath.Join(kdir, "kiosk.toml"), config("T01", kdir, filepath.Join(kdir, "journal", "journal.db"), "width_mm = 58\n"))
		runCannotStart(t, dir, kdir, cfg, "No new journal was started")
		f := waitFault(t, townHall, "T01")
		if f.Kind != ksync.FaultOldJournal || len(f.Journals) != 1 || f.Journals[0].Path != old || f.Journals[0].Unsent != 3 {
			t.Fatalf("fault %+v, want %s with 3 unsent", f, old)
		}
		page := consolePage(t, townHall, "/console/kiosk/T01")
		for _, want := range []string{"起動できません", "まだ役場に届いていない記録が3件", "kioskctl journal export --db " + old} {
			if !strings.Contains(page, want) {
				t.Errorf("the kiosk page does not say %q", want)
			}
		}
		if fleet := consolePage(t, townHall, "/console/"); !strings.Contains(fleet, "kioskctl journal export --db "+old) {
			t.Errorf("the fleet page does not show the fault:\n%s", fleet)
		}
	})
	t.Run("configuration", func(t *testing.T) {
		kdir := filepath.Join(dir, "T02")
		cfg := writeFile(t, filepath.Join(kdir, "kiosk.toml"), config("T02", kdir, filepath.Join(kdir, "journal.db"), "width_mm = 70\n"))
		runCannotStart(t, dir, kdir, cfg, "width_mm")
		f := waitFault(t, townHall, "T02")
		if f.Kind != ksync.FaultConfig || strings.Join(f.Fields, ",") != "devices.printer.width_mm" {
			t.Fatalf("fault %+v, want config naming devices.printer.width_mm", f)
		}
		if page := consolePage(t, townHall, "/console/kiosk/T02"); !strings.Contains(page, "直す項目：devices.printer.width_mm") {
			t.Errorf("the kiosk page does not name the field:\n%s", page)
		}
	})
	if t.Failed() {
		c, _ := os.ReadFile(th.coll.log.Name())
		t.Logf("collector log:\n%s", c)
	}
}

// oldJournalWithUnsent is a journal of kiosk id holding n records and its
// start record, none sent.
func oldJournalWithUnsent(t *testing.T, path, id string, n int) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	j, err := journal.Open(path, journal.Options{KioskID: id})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	for range n {
		if _, err := j.Append(context.Background(), kiosk.Record{Kind: kiosk.TxStatus, Outcome: kiosk.OutcomeOK, Time: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
}

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// runCannotStart runs the kiosk binary in tmux until the test ends and
// waits for its cannot-start screen to say want.
func runCannotStart(t *testing.T, dir, kdir, cfg, want string) {
	t.Helper()
	k := &kioskProc{t: t, sock: filepath.Join(kdir, "tmux.sock"), pidFile: filepath.Join(kdir, "kiosk.pid"), cfg: cfg, dir: kdir}
	cmd := fmt.Sprintf("echo $$ > %s; exec %s --config %s --log %s 2>%s", k.pidFile, bin("kiosk"), cfg,
		filepath.Join(kdir, "kiosk.log"), filepath.Join(kdir, "stderr.log"))
	k.tmux("new-session", "-d", "-x", "120", "-y", "40", "-c", repoRoot(), "-e", "TERM=xterm-256color", "sh", "-c", cmd)
	t.Cleanup(func() {
		k.stop()
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(kdir, "kiosk.log"))
			e, _ := os.ReadFile(filepath.Join(kdir, "stderr.log"))
			t.Logf("kiosk log:\n%s\nstderr:\n%s", b, e)
		}
	})
	waitFor(t, "the cannot-start screen", 20*time.Second, func() bool {
		out, _ := exec.Command("tmux", "-S", k.sock, "capture-pane", "-p", "-J").Output()
		return strings.Contains(string(out), want)
	})
}

// waitFault waits for the collector to hold a heartbeat of id with a fault.
func waitFault(t *testing.T, s staff, id string) ksync.FaultStatus {
	t.Helper()
	var f *ksync.FaultStatus
	waitFor(t, "kiosk "+id+"'s fault at the collector", 20*time.Second, func() bool {
		f = s.kiosk(id).Fault()
		return f != nil
	})
	return *f
}

func consolePage(t *testing.T, s staff, path string) string {
	t.Helper()
	resp, err := s.c.Get(s.base + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
