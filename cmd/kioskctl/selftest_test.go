//go:build linux

package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/villagehall/kiosk/drivers/escpos/escpostest"
	"github.com/villagehall/kiosk/drivers/keypad"
	"github.com/villagehall/kiosk/drivers/keypad/keypadtest"
	"github.com/villagehall/kiosk/drivers/touch"
	"github.com/villagehall/kiosk/drivers/touch/touchtest"
	"github.com/villagehall/kiosk/kiosk"
)

// bound is what only a hang exceeds: every device step has a deadline of
// a few seconds.
const bound = 15 * time.Second

func selftest(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- run(context.Background(), append([]string{"selftest"}, args...), &out, &errb) }()
	select {
	case err := <-done:
		return out.String() + errb.String(), err
	case <-time.After(bound):
		t.Fatalf("selftest %v hung", args)
		return "", nil
	}
}

func TestSelftestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"printer", "--help"}, {"help"}} {
		out, err := selftest(t, args...)
		if err != nil || !strings.Contains(out, "usage: kioskctl selftest") {
			t.Errorf("selftest %v: %v\n%s", args, err, out)
		}
	}
	if _, err := selftest(t, "--no-such-flag"); err == nil {
		t.Error("an unknown flag succeeded")
	}
}

// TestSelftestPrinterNonPrinters: nothing that cannot be a printer passes,
// each is named, and a FIFO nobody reads does not hang the test.
func TestSelftestPrinterNonPrinters(t *testing.T) {
	for _, np := range escpostest.NonPrinters(t) {
		out, err := selftest(t, "printer", "--printer", np.Path, "--width", "58", "--kanji", "true")
		if err == nil || !strings.Contains(out, "printer: FAIL") || !strings.Contains(out, np.Says) {
			t.Errorf("%s: %v\n%s", np.Path, err, out)
		}
		if st, err := os.Stat(np.Path); err == nil && st.Mode().IsRegular() && st.Size() != 0 {
			t.Errorf("%d bytes written into the regular file %s", st.Size(), np.Path)
		}
	}
}

// TestSelftestPrinterSilentPTY: a character device that takes the slip
// but never answers DLE EOT passes, saying the status is unknown.
func TestSelftestPrinterSilentPTY(t *testing.T) {
	pty, err := escpostest.NewPTY()
	if err != nil {
		t.Fatal(err)
	}
	defer pty.Close()
	go io.Copy(io.Discard, pty.Master) // reads everything, answers nothing
	out, err := selftest(t, "printer", "--printer", pty.Path, "--width", "58", "--kanji", "true")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"device: " + pty.Path + ": a pseudo-terminal", "status: unknown (no answer to DLE EOT)",
		"test slip sent", "status unknown", "printer: ok"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestSelftestPrinterStalled(t *testing.T) {
	pty := escpostest.StalledPTY(t)
	out, err := selftest(t, "printer", "--printer", pty.Path, "--width", "58", "--kanji", "true")
	if err == nil || !strings.Contains(out, "printer: FAIL: stalled: the device takes no data") {
		t.Errorf("stalled printer: %v\n%s", err, out)
	}
}

// TestSelftestBinarySIGTERM runs the real kioskctl on a printer that takes
// no data and stops it with SIGTERM, as systemd or a technician's Ctrl-C
// would: it ends at once, cancelled, not after the stall timeout. And
// --help exits 0.
func TestSelftestBinarySIGTERM(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "kioskctl")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	if out, err := exec.Command(bin, "selftest", "--help").CombinedOutput(); err != nil {
		t.Fatalf("selftest --help: %v\n%s", err, out)
	}
	pty := escpostest.StalledPTY(t)
	var out syncBuffer
	cmd := exec.Command(bin, "selftest", "printer", "--printer", pty.Path, "--width", "80", "--kanji", "true")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	waitOutput(t, &out, "printer opened") // now blocked writing DLE EOT into the full buffer
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if err == nil || !strings.Contains(out.String(), "context canceled") {
			t.Errorf("interrupted selftest: %v\n%s", err, out.String())
		}
	case <-time.After(bound):
		cmd.Process.Kill()
		t.Fatalf("selftest ignored SIGTERM:\n%s", out.String())
	}
}

// TestSelftestKeypadCancelFromConfig: on a 4×3 pad the config gives
// Cancel to *, and pressing * ends the test.
func TestSelftestKeypadCancelFromConfig(t *testing.T) {
	m := keypadtest.NewMatrix(4, 3)
	keys, err := keypad.KeyMap(map[string]string{"*": "cancel"})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := keypad.New(m.RowPins(), m.ColPins(), keypad.Config{Layout: keypad.Layout4x3, Map: keys}, slog.New(slog.DiscardHandler), keypad.WithSleep(m.Sleep))
	if err != nil {
		t.Fatal(err)
	}
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- listenKeypad(context.Background(), sc, cancelLabels(keypad.Layout4x3, keys), time.Hour, &out)
	}()
	m.Press(0, 1) // 2
	waitOutput(t, &out, "press  2")
	m.Release(0, 1)
	m.Press(3, 0) // *
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(bound):
		t.Fatalf("* did not end the test:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "Cancel, the '*' key") || !strings.Contains(out.String(), "Cancel  label '*'") {
		t.Errorf("output:\n%s", out.String())
	}
	if got := cancelLabels(keypad.Layout4x3, keypad.DefaultMap()); len(got) != 0 {
		t.Errorf("default map on 4x3 has Cancel on %v", got)
	}
}

// TestSelftestTouchCalibrate: a panel mounted rotated (its Y runs across
// the screen, backwards) is calibrated from three taps on the targets, and
// the taps after it land on the cells they were aimed at.
func TestSelftestTouchCalibrate(t *testing.T) {
	const cols, rows = 80, 24
	// The panel: raw Y = 3900 - 3700·x, raw X = 300 + 3500·y (x, y: 0..1 on the screen).
	raw := func(col, row int) (int32, int32) {
		fx, fy := (float64(col)+0.5)/cols, (float64(row)+0.5)/rows
		return int32(300 + 3500*fy + 0.5), int32(3900 - 3700*fx + 0.5)
	}
	t0 := time.Unix(1700000000, 0)
	phase1 := touchtest.NewScript(t0)
	phase1.MT, phase1.PointerEmulation = true, true
	for _, c := range [][2]int{{2, 1}, {cols - 3, 1}, {2, rows - 2}} { // the targets
		x, y := raw(c[0], c[1])
		phase1.Wait(time.Second).Tap(x, y)
	}
	phase2 := touchtest.NewScript(t0.Add(time.Minute))
	phase2.MT = true
	for _, c := range [][2]int{{40, 12}, {10, 20}, {70, 3}} {
		x, y := raw(c[0], c[1])
		phase2.Wait(time.Second).Tap(x, y)
	}
	var mu sync.Mutex
	streams := [][]byte{phase1.Bytes(), phase2.Bytes()}
	open := func() (io.ReadCloser, touch.Axes, error) {
		mu.Lock()
		defer mu.Unlock()
		if len(streams) == 0 {
			return nil, touch.Axes{}, os.ErrNotExist
		}
		s := streams[0]
		streams = streams[1:]
		return touchtest.Pipe(s), touch.Axes{X: touch.Range{Min: 0, Max: 4095}, Y: touch.Range{Min: 0, Max: 4095}}, nil
	}
	var out syncBuffer
	tt := touchTest{dev: kiosk.TouchConfig{Device: "recorded"}, timeout: time.Hour, calibrate: true,
		cols: cols, rows: rows, open: open, out: &out, log: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tt.run(ctx) }()
	waitOutput(t, &out, "tap col 71 row  4")
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"1/3: touch the + top-left (column 3, row 2 of 80x24)", "swap_xy = true", "invert_x = true", "invert_y = false",
		"tap col 41 row 13", "tap col 11 row 21", "tap col 71 row  4"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func waitOutput(t *testing.T, out *syncBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for !strings.Contains(out.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("output never showed %q:\n%s", want, out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestSelftestKeypadKeysAreTheKiosks: the self-test reads the functions the
// way the kiosk's screens do, english included: on a 4×3 pad * is Cancel
// by default, on a 4×4 pad A.
func TestSelftestKeypadKeysAreTheKiosks(t *testing.T) {
	tests := []struct {
		kc     kiosk.KeypadConfig
		cancel []string
	}{
		{kiosk.KeypadConfig{Layout: kiosk.Layout4x3}, []string{"'*'"}},
		{kiosk.KeypadConfig{Layout: kiosk.Layout4x4}, []string{"'A'"}},
		{kiosk.KeypadConfig{Layout: kiosk.Layout4x4, Keys: map[string]string{"D": "english", "B": "cancel"}}, []string{"'A'", "'B'"}},
	}
	for _, tt := range tests {
		keys := driverKeys(tt.kc)
		if got := cancelLabels(tt.kc.Layout, keys); strings.Join(got, ",") != strings.Join(tt.cancel, ",") {
			t.Errorf("%v %v: Cancel on %v, want %v", tt.kc.Layout, tt.kc.Keys, got, tt.cancel)
		}
		if keys['#'] != keypad.KeyEnter {
			t.Errorf("%v: # is %q", tt.kc.Layout, keys['#'])
		}
	}
}

// selftest speaker plays through aplay into an ALSA file sink: three
// clicks when no prompts are installed, and says so by failing.
func TestSelftestSpeakerFileSink(t *testing.T) {
	dir := t.TempDir()
	sink := filepath.Join(dir, "sink.wav")
	conf := filepath.Join(dir, "asoundrc")
	os.WriteFile(conf, []byte(`pcm.sink { type file; slave.pcm "null"; file "`+sink+`"; format "wav" }`+"\n"), 0o644)
	t.Setenv("ALSA_CONFIG_PATH", "/usr/share/alsa/alsa.conf:"+conf)
	var out, errb bytes.Buffer
	err := selftestCmd(context.Background(), []string{"speaker", "--pcm", "sink", "--prompts", filepath.Join(dir, "none")}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "prompts missing") {
		t.Fatalf("err %v\n%s", err, out.String())
	}
	if n := strings.Count(out.String(), "playing click"); n != 3 {
		t.Errorf("%d clicks played, want 3:\n%s", n, out.String())
	}
	if st, err := os.Stat(sink); err != nil || st.Size() < 1000 {
		t.Errorf("nothing reached the sink: %v", err)
	}
	if err := selftestCmd(context.Background(), []string{"speaker", "--card", "NoSuchCard"}, &out, &errb); err == nil || !strings.Contains(err.Error(), "no such sound card") {
		t.Errorf("a missing card: %v", err)
	}
}
