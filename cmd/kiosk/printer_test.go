package main

// Whole-program test with a printer that never reads: the real kiosk
// binary in tmux, the real PC/SC stack, and as the printer a real
// character device (a pseudo-terminal) whose buffer is full and whose far
// end never reads, as /dev/usb/lp0 behaves when a printer stops taking
// data. systemd's notify socket is a real datagram socket here.

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/drivers/escpos/escpostest"
	"github.com/villagehall/kiosk/drivers/pcsc/pcsctest"
	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
)

// startKioskWithPrinter runs the kiosk with a real printer node at
// printerPath and NOTIFY_SOCKET/WATCHDOG_USEC set as systemd sets them.
func startKioskWithPrinter(t *testing.T, printerPath, notifySock string) *screen {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux missing (apt-get install tmux): make test installs it")
	}
	dir := t.TempDir()
	writeConfig(t, dir, kit{printer: printerPath})
	s := &screen{t: t, sock: filepath.Join(dir, "tmux.sock"), dir: dir}
	cmd := fmt.Sprintf("%s --config %s --log %s; echo KIOSK-EXITED $?; sleep 60", kioskBin,
		filepath.Join(dir, "kiosk.toml"), filepath.Join(dir, "kiosk.log"))
	s.tmux("new-session", "-d", "-x", "100", "-y", "30", "-e", "TERM=xterm-256color",
		"-e", "NOTIFY_SOCKET="+notifySock, "-e", "WATCHDOG_USEC=3000000", cmd)
	t.Cleanup(func() {
		s.stop()
		s.tmux("kill-server")
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "kiosk.log"))
			t.Logf("kiosk log:\n%s", b)
		}
	})
	return s
}

// stop sends SIGTERM, as systemd does, and waits for a clean exit.
func (s *screen) stop() {
	if strings.Contains(s.capture(), "KIOSK-EXITED") {
		return
	}
	exec.Command("pkill", "-TERM", "-f", "^"+kioskBin+" ").Run()
	s.waitFor("KIOSK-EXITED 0", 10*time.Second)
}

// TestWholeProgramStalledPrinter: the PIN-change flow ends within 10 s
// telling the resident the slip could not be printed, with the reference
// on screen; the journal notes the printer stalled; the next card is
// served. On the way: READY=1 once the screen is up, and watchdog pings.
func TestWholeProgramStalledPrinter(t *testing.T) {
	pcsctest.StartPCSCD(t)
	pty := escpostest.StalledPTY(t)
	sockPath := filepath.Join(t.TempDir(), "notify.sock")
	notify, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sockPath, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer notify.Close()

	s := startKioskWithPrinter(t, pty.Path, sockPath)
	if got := next(t, notify); got != "READY=1" {
		t.Fatalf("first notification %q, want READY=1", got)
	}
	s.waitFor(waitingText, 10*time.Second)
	if got := next(t, notify); got != "WATCHDOG=1" {
		t.Fatalf("after READY=1: %q, want WATCHDOG=1", got)
	}

	slot := pcsctest.Insert(t, card(t, "fresh"))
	s.waitFor("有効期限内です", 10*time.Second)
	s.keys("#")
	s.waitFor("なにをしますか", 5*time.Second)
	s.keys("2")
	s.waitFor("あと3回まちがえると", 5*time.Second)
	s.waitStep(stepCurrent)
	s.keys("1", "2", "3", "4", "#")
	s.waitStep(stepNew)
	s.keys("7", "3", "9", "1", "#")
	s.waitStep(stepConfirm)
	s.keys("7", "3", "9", "1", "#")
	start := time.Now()
	frame := s.waitFor("用紙を印刷できませんでした", 10*time.Second)
	t.Logf("slip failure shown %v after the last Enter", time.Since(start).Round(10*time.Millisecond))
	ref := regexp.MustCompile(`T01-[0-9A-Z]{4}-\d{4}`).FindString(frame)
	if ref == "" {
		t.Fatalf("no reference number on the screen:\n%s", frame)
	}

	// The next resident: the visit ends and a new card is served.
	s.keys("#")
	pcsctest.Remove(t, slot)
	s.waitWaiting("印刷できませんでした", 10*time.Second)
	slot = pcsctest.Insert(t, card(t, "fresh"))
	s.waitFor("有効期限内です", 10*time.Second)
	pcsctest.Remove(t, slot)
	s.waitWaiting("有効期限内です", 10*time.Second)

	s.stop()
	j, err := journal.Open(filepath.Join(s.dir, "journal.db"), journal.Options{KioskID: "T01"})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	recs, err := j.Pending(100)
	if err != nil {
		t.Fatal(err)
	}
	var changed, note bool
	for _, r := range recs {
		changed = changed || r.Kind == kiosk.TxChangeAuth && r.Outcome == kiosk.OutcomeOK
		note = note || r.Kind == kiosk.TxSystem && r.Reference == ref && r.Detail == "printer_stalled"
	}
	if !changed || !note {
		t.Errorf("journal: PIN change recorded %v, printer_stalled note for %s %v; records %+v", changed, ref, note, recs)
	}
	log, _ := os.ReadFile(filepath.Join(s.dir, "kiosk.log"))
	if !strings.Contains(string(log), `"state":"stalled"`) {
		t.Errorf("the log never says the printer stalled")
	}
}
