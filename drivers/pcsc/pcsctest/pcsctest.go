// Package pcsctest runs tests against the real PC/SC stack: a private
// pcscd with vsmartcard's vpcd driver, and virtual cards plugged into it.
//
// Tests must run inside the namespace .ci/pcsc-exec sets up (make test
// does that: go test -exec "$PWD/.ci/pcsc-exec"), which gives each test
// binary its own /run/pcscd and loopback. One pcscd per test binary at a
// time: tests that start one must not use t.Parallel.
package pcsctest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/villagehall/kiosk/drivers/pcsc"
	"github.com/villagehall/kiosk/drivers/pcsc/vpcd"
)

const (
	// PCSCD is the daemon binary.
	PCSCD = "/usr/sbin/pcscd"
	// Reader is the name pcscd gives vpcd's first slot.
	Reader = "Virtual PCD 00 00"
	// Addr is where that slot's vpcd listens for the card.
	Addr = "127.0.0.1:35963"
	// commSocket appears when pcscd accepts clients.
	commSocket = "/run/pcscd/pcscd.comm"
	vpcdPort   = 35963

	startTimeout = 10 * time.Second
	stopTimeout  = 5 * time.Second
	cardTimeout  = 5 * time.Second
)

// Daemon is a pcscd started for one test.
type Daemon struct {
	t    testing.TB
	dir  string
	mu   sync.Mutex
	proc *proc
	runs int
	logs []string
}

type proc struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed after cmd.Wait returned
	err    error         // Wait's result, set before exited closes
}

// StartPCSCD starts pcscd in the foreground for t and stops it at Cleanup.
// Its log is printed when t fails. Outside the test namespace it fails t:
// the fixed socket path and vpcd's 0.0.0.0 port must not clash with the
// host's pcscd or with another package's.
func StartPCSCD(t testing.TB) *Daemon {
	t.Helper()
	if os.Getenv("KIOSK_PCSC_NS") != "1" {
		t.Fatal("pcsctest: not inside the PC/SC test namespace (KIOSK_PCSC_NS unset): run via make test, " +
			`i.e. go test -exec "$PWD/.ci/pcsc-exec" ./drivers/pcsc/...`)
	}
	if _, err := os.Stat(PCSCD); err != nil {
		t.Fatalf("pcsctest: %s missing (apt-get install pcscd vsmartcard-vpcd): %v", PCSCD, err)
	}
	d := &Daemon{t: t, dir: t.TempDir()}
	t.Cleanup(func() {
		d.Stop()
		if t.Failed() {
			d.dumpLogs()
		}
	})
	d.Restart()
	return d
}

// Stop sends SIGTERM and waits for pcscd to exit. Stopping a stopped
// daemon does nothing.
func (d *Daemon) Stop() {
	d.t.Helper()
	d.mu.Lock()
	p := d.proc
	d.proc = nil
	d.mu.Unlock()
	if p == nil {
		return
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		d.t.Errorf("pcsctest: SIGTERM pcscd: %v", err)
	}
	select {
	case <-p.exited:
	case <-time.After(stopTimeout):
		p.cmd.Process.Kill()
		<-p.exited
		d.t.Errorf("pcsctest: pcscd ignored SIGTERM for %v; killed", stopTimeout)
	}
}

// Restart stops pcscd if it runs and starts a fresh one, returning once it
// accepts clients and vpcd listens.
func (d *Daemon) Restart() {
	d.t.Helper()
	d.Stop()
	if _, err := os.Stat(commSocket); err == nil {
		d.t.Fatalf("pcsctest: %s exists: another pcscd runs in this namespace", commSocket)
	}
	d.mu.Lock()
	d.runs++
	logPath := filepath.Join(d.dir, fmt.Sprintf("pcscd-%d.log", d.runs))
	d.logs = append(d.logs, logPath)
	d.mu.Unlock()

	f, err := os.Create(logPath)
	if err != nil {
		d.t.Fatalf("pcsctest: %v", err)
	}
	ready := make(chan struct{})
	w := &readyWriter{f: f, marker: []byte("daemon ready"), ready: ready}
	cmd := exec.Command(PCSCD, "--foreground", "--info")
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		f.Close()
		d.t.Fatalf("pcsctest: start pcscd: %v", err)
	}
	p := &proc{cmd: cmd, exited: make(chan struct{})}
	go func() { // owned by the Daemon: Stop waits for it
		p.err = cmd.Wait()
		f.Close()
		close(p.exited)
	}()
	d.mu.Lock()
	d.proc = p
	d.mu.Unlock()

	deadline := time.After(startTimeout)
	select {
	case <-ready:
	case <-p.exited:
		d.t.Fatalf("pcsctest: pcscd exited during start-up: %v (log %s)", p.err, logPath)
	case <-deadline:
		d.t.Fatalf("pcsctest: pcscd not ready after %v (log %s)", startTimeout, logPath)
	}
	// "daemon ready" is logged after the readers (and vpcd's listening
	// socket) are set up; confirm both without ever connecting to vpcd,
	// which would count as a card insertion.
	if err := waitFor(deadline, p.exited, func() error {
		if _, err := os.Stat(commSocket); err != nil {
			return err
		}
		if !listening(vpcdPort) {
			return fmt.Errorf("port %d not listening", vpcdPort)
		}
		return nil
	}); err != nil {
		d.t.Fatalf("pcsctest: pcscd said ready but: %v (log %s)", err, logPath)
	}
}

// waitFor checks cond until it holds; only a fallback, the ready line
// normally means it already does.
func waitFor(deadline <-chan time.Time, exited <-chan struct{}, cond func() error) error {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		err := cond()
		if err == nil {
			return nil
		}
		select {
		case <-deadline:
			return err
		case <-exited:
			return fmt.Errorf("pcscd exited: %w", err)
		case <-tick.C:
		}
	}
}

// listening reads /proc/net/tcp{,6} for a socket in LISTEN (0A) on port.
func listening(port int) bool {
	want := fmt.Sprintf(":%04X", port)
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Scan() // header
		for sc.Scan() {
			fs := strings.Fields(sc.Text())
			if len(fs) > 3 && strings.HasSuffix(fs[1], want) && fs[3] == "0A" {
				return true
			}
		}
	}
	return false
}

func (d *Daemon) dumpLogs() {
	d.mu.Lock()
	logs := append([]string(nil), d.logs...)
	d.mu.Unlock()
	for _, l := range logs {
		b, err := os.ReadFile(l)
		if err != nil {
			d.t.Logf("pcsctest: %v", err)
			continue
		}
		d.t.Logf("pcsctest: %s:\n%s", filepath.Base(l), b)
	}
}

// readyWriter copies pcscd's output to its log and closes ready when the
// marker appears (it may straddle two writes).
type readyWriter struct {
	f      *os.File
	marker []byte
	ready  chan struct{}
	tail   []byte
	seen   bool
}

func (w *readyWriter) Write(p []byte) (int, error) {
	if !w.seen {
		w.tail = append(w.tail, p...)
		if bytes.Contains(w.tail, w.marker) {
			w.seen = true
			close(w.ready)
			w.tail = nil
		} else if len(w.tail) > len(w.marker) {
			w.tail = append(w.tail[:0], w.tail[len(w.tail)-len(w.marker):]...)
		}
	}
	return w.f.Write(p)
}

// Insert plugs card into vpcd's first slot and waits until pcscd reports
// it present. The card is removed at Cleanup if still in.
func Insert(t testing.TB, card vpcd.Card, opts ...vpcd.Option) *vpcd.Slot {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cardTimeout)
	defer cancel()
	s, err := vpcd.Insert(ctx, Addr, card, opts...)
	if err != nil {
		t.Fatalf("pcsctest: %v", err)
	}
	t.Cleanup(func() { s.Remove() })
	if _, err := pcsc.WaitCard(ctx, Reader, true); err != nil {
		t.Fatalf("pcsctest: card not seen in %q: %v", Reader, err)
	}
	return s
}

// Remove pulls the card and waits until pcscd reports the reader empty.
func Remove(t testing.TB, s *vpcd.Slot) {
	t.Helper()
	if err := s.Remove(); err != nil {
		t.Fatalf("pcsctest: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), cardTimeout)
	defer cancel()
	if _, err := pcsc.WaitCard(ctx, Reader, false); err != nil {
		t.Fatalf("pcsctest: card still seen in %q: %v", Reader, err)
	}
}

// Connect opens a PC/SC context and connects to the card in Reader; both
// are closed at Cleanup.
func Connect(t testing.TB) *pcsc.Card {
	t.Helper()
	pc, err := pcsc.Open()
	if err != nil {
		t.Fatalf("pcsctest: %v", err)
	}
	t.Cleanup(func() { pc.Close() })
	conn, err := pc.Connect(Reader)
	if err != nil {
		t.Fatalf("pcsctest: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}
