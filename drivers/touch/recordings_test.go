package touch_test

import (
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/villagehall/kiosk/drivers/touch"
	"github.com/villagehall/kiosk/drivers/touch/touchtest"
)

var record = flag.Bool("record", false, "rewrite the evdev recordings in testdata from their scripts")

// recording is one evdev stream in testdata, byte for byte what a panel's
// node gives read(2): 24-byte input_events. They are written from scripts
// that follow what the panel's kernel driver sends (see touchtest); a
// stream recorded on hardware (evtest, or cat /dev/input/eventN > file)
// can replace any of them, and the expectations below do not change.
type recording struct {
	name   string
	axes   touch.Axes
	cal    touch.Calibration
	script func(t0 time.Time) *touchtest.Script
	want   [][2]int // taps, col and row on 80×24
}

var (
	ft5406 = touch.Axes{X: touch.Range{0, 799}, Y: touch.Range{0, 479}} // Raspberry Pi 7" display (rpi-ft5406)
	hid    = touch.Axes{X: touch.Range{0, 4095}, Y: touch.Range{0, 4095}}
)

func mtScript(t0 time.Time, emulate, timestamps bool) *touchtest.Script {
	s := touchtest.NewScript(t0)
	s.MT, s.PointerEmulation, s.Timestamps = true, emulate, timestamps
	return s
}

const frame = 12 * time.Millisecond // a panel reports at about 80 Hz

var recordings = []recording{
	{name: "resistive-tap", axes: hid, cal: touch.Calibration{X: touch.Range{180, 3900}, Y: touch.Range{250, 3850}},
		script: func(t0 time.Time) *touchtest.Script {
			return touchtest.NewScript(t0).Down(2040, 2050).Wait(frame).Move(2046, 2052).Wait(frame).Move(2043, 2049).Wait(frame).Up()
		}, want: [][2]int{{40, 12}}},
	// An absolute pointer (a touch controller in mouse mode; qemu's
	// virtio-tablet, range 0..32767) presses BTN_LEFT, not BTN_TOUCH.
	{name: "absolute-pointer-tap", axes: touch.Axes{X: touch.Range{0, 32767}, Y: touch.Range{0, 32767}},
		script: func(t0 time.Time) *touchtest.Script {
			s := touchtest.NewScript(t0)
			s.Button = touch.BtnLeft
			return s.Down(24576, 8192).Wait(frame).Up()
		}, want: [][2]int{{60, 6}}},
	{name: "ft5406-tap", axes: ft5406, script: func(t0 time.Time) *touchtest.Script {
		return mtScript(t0, true, false).FingerDown(0, 100, 60).Wait(frame).FingerMove(0, 101, 60).Wait(frame).FingerUp(0)
	}, want: [][2]int{{10, 3}}},
	// A resident rests a second finger on the glass: one tap, at the first.
	{name: "ft5406-two-finger-second-lifts-first", axes: ft5406, script: func(t0 time.Time) *touchtest.Script {
		return mtScript(t0, true, false).FingerDown(0, 600, 400).Wait(frame).FingerDown(1, 120, 80).Wait(frame).
			FingerMove(1, 124, 83).Wait(frame).FingerUp(1).Wait(frame).FingerMove(0, 602, 401).Wait(frame).FingerUp(0)
	}, want: [][2]int{{60, 20}}},
	{name: "hid-multitouch-two-finger-first-lifts-first", axes: hid, script: func(t0 time.Time) *touchtest.Script {
		return mtScript(t0, true, true).FingerDown(0, 1024, 1024).Wait(frame).FingerDown(1, 3072, 3072).Wait(frame).
			FingerMove(1, 3000, 2900).Wait(frame).FingerUp(0).Wait(frame).FingerMove(1, 2900, 2800).Wait(frame).FingerUp(1)
	}, want: [][2]int{{20, 6}}},
	// No BTN_TOUCH at all: the lift of the second finger once fired a tap
	// at its own point while the first was still down.
	{name: "bare-mt-two-finger", axes: hid, script: func(t0 time.Time) *touchtest.Script {
		return mtScript(t0, false, false).FingerDown(0, 1024, 3072).Wait(frame).FingerDown(1, 3072, 1024).Wait(frame).
			FingerUp(1).Wait(5 * frame).FingerUp(0)
	}, want: [][2]int{{20, 18}}},
	{name: "hid-multitouch-swipe", axes: hid, script: func(t0 time.Time) *touchtest.Script {
		s := mtScript(t0, true, true).FingerDown(0, 500, 2000)
		for x := int32(700); x <= 3500; x += 400 {
			s.Wait(frame).FingerMove(0, x, 2000+x/50)
		}
		return s.Wait(frame).FingerUp(0)
	}},
	{name: "ft5406-dropped-then-tap", axes: ft5406, script: func(t0 time.Time) *touchtest.Script {
		return mtScript(t0, true, false).FingerDown(0, 400, 240).Wait(frame).FingerDown(1, 700, 400).Dropped().
			Wait(frame).FingerUp(1).Wait(frame).FingerUp(0).Wait(time.Second).FingerDown(0, 780, 470).Wait(frame).FingerUp(0)
	}, want: [][2]int{{78, 23}}},
}

func recordingPath(name string) string { return filepath.Join("testdata", name+".evdev") }

// TestRecordings feeds each checked-in stream through a real pipe into
// Reader.Run, as the kiosk reads /dev/input/eventN.
func TestRecordings(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	for _, rc := range recordings {
		t.Run(rc.name, func(t *testing.T) {
			if *record {
				data := rc.script(t0).Bytes()
				dump, err := touchtest.Dump(data)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(recordingPath(rc.name), data, 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(recordingPath(rc.name)+".txt", []byte(dump), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			data, err := os.ReadFile(recordingPath(rc.name))
			if err != nil {
				t.Fatalf("%v (go test ./drivers/touch -run Recordings -record writes it)", err)
			}
			if len(data)%touch.EventSize != 0 {
				t.Fatalf("%d bytes: not whole input_events", len(data))
			}
			// The dump beside each stream must say what the bytes say.
			dump, err := touchtest.Dump(data)
			if err != nil {
				t.Fatal(err)
			}
			if txt, _ := os.ReadFile(recordingPath(rc.name) + ".txt"); string(txt) != dump {
				t.Errorf("%s.txt does not match the stream", rc.name)
			}
			got := runStream(t, rc, data)
			if len(got) != len(rc.want) {
				t.Fatalf("taps %+v, want %v\n%s", got, rc.want, dump)
			}
			for i, w := range rc.want {
				if got[i].Col != w[0] || got[i].Row != w[1] {
					t.Errorf("tap %d at %d,%d, want %v\n%s", i, got[i].Col, got[i].Row, w, dump)
				}
			}
		})
	}
}

// runStream plays data through an os.Pipe into Reader.Run and collects
// taps until the stream ends (the reader then reopens: one open only).
func runStream(t *testing.T, rc recording, data []byte) []touch.Tap {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		_, _ = w.Write(data)
		w.Close()
	}()
	opened := false
	open := func() (io.ReadCloser, touch.Axes, error) {
		if opened {
			return nil, touch.Axes{}, os.ErrNotExist
		}
		opened = true
		return r, rc.axes, nil
	}
	ended := make(chan struct{})
	after := func(time.Duration) <-chan time.Time { // the stream ended: Run retries
		select {
		case <-ended:
		default:
			close(ended)
		}
		return make(chan time.Time) // never: Run waits until cancelled
	}
	rd := touch.NewWithOpener(open, touch.Config{Grid: grid80x24, Cal: rc.cal}, quiet, after)
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan touch.Tap, 16)
	done := make(chan error, 1)
	go func() { done <- rd.Run(ctx, out) }()
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the stream never ended")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	close(out)
	var got []touch.Tap
	for tap := range out {
		got = append(got, tap)
	}
	return got
}
