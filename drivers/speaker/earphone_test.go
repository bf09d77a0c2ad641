package speaker_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"github.com/villagehall/kiosk/drivers/speaker"
	"github.com/villagehall/kiosk/drivers/speaker/speakertest"
	"github.com/villagehall/kiosk/kiosk"
)

// A plug counts as in once the line has held "in" for Settle (contacts
// bounce), as out at the first read; a plug left in for PluggedLong shows
// in the heartbeat. Both wirings: a contact to ground (low) or to 3.3 V.
func TestJackDebounce(t *testing.T) {
	for _, high := range []bool{false, true} {
		in, out := gpio.Low, gpio.High
		if high {
			in, out = gpio.High, gpio.Low
		}
		pin := &gpiotest.Pin{N: "GPIO26"}
		j, err := speaker.NewJack(pin, high, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if pin.P == gpio.PullUp == high {
			t.Fatalf("high=%v: pulled %v, want the line pulled to the out level", high, pin.P)
		}
		now := time.Unix(1_800_000_000, 0)
		speaker.SetJackClock(j, func() time.Time { return now })
		step := func(l gpio.Level, d time.Duration, want bool) {
			t.Helper()
			pin.Lock()
			pin.L = l
			pin.Unlock()
			now = now.Add(d)
			j.Sample()
			if got := j.Plugged(); got != want {
				t.Fatalf("high=%v: line %v after %v: plugged %v, want %v", high, l, d, got, want)
			}
		}
		step(out, 0, false)
		step(in, 20*time.Millisecond, false)  // first contact
		step(out, 20*time.Millisecond, false) // bounce
		step(in, 20*time.Millisecond, false)
		step(in, 60*time.Millisecond, false)
		step(in, 40*time.Millisecond, true) // held 100 ms
		if h := j.Health().Get(); h.State != "ok" || h.Detail != "earphone in" {
			t.Errorf("health %+v", h)
		}
		step(out, 20*time.Millisecond, false) // out at once
		step(in, 20*time.Millisecond, false)
		step(in, 100*time.Millisecond, true)
		step(in, 31*time.Minute, true)
		if h := j.Health().Get(); h.State != speaker.StatePluggedLong {
			t.Errorf("a plug in for 31 min: health %+v", h)
		}
		step(out, time.Second, false)
		if h := j.Health().Get(); h.State != "ok" || h.Detail != "no earphone" {
			t.Errorf("health after the plug left: %+v", h)
		}
	}
}

type plug struct{ in atomic.Bool }

func (p *plug) Plugged() bool { return p.in.Load() }

// Where the voice goes: with no earphone, the speaker, and nothing Private
// anywhere; with one, the earphone alone; pulled out mid-sentence, the
// earphone stops at once and the sentence is not moved to the speaker.
func TestRouter(t *testing.T) {
	spk, ear := &speakertest.Recorder{}, &speakertest.Recorder{}
	jack := &plug{}
	r := &speaker.Router{Speaker: spk, Earphone: ear, Jack: jack, Poll: 5 * time.Millisecond}
	ctx := context.Background()
	k, _ := kiosk.SpellKey('K')
	screen := kiosk.Speak(kiosk.Japanese, 2, kiosk.Say("w.Insert"))
	lit := kiosk.Speak(kiosk.Japanese, 2, k)
	if !lit.Private() || screen.Private() {
		t.Fatal("Private is wrong")
	}
	for _, u := range []kiosk.Utterance{screen, lit, {Click: true, Volume: 2}} {
		if err := r.Play(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if n, m := len(spk.Played()), len(ear.Played()); n != 2 || m != 0 {
		t.Fatalf("no earphone: speaker played %d, earphone %d; want the screen and the click on the speaker", n, m)
	}
	for _, u := range spk.Played() {
		if u.Private() {
			t.Fatal("the speaker played the lit key")
		}
	}
	jack.in.Store(true)
	for _, u := range []kiosk.Utterance{screen, lit, {Click: true, Volume: 2}} {
		if err := r.Play(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if n, m := len(spk.Played()), len(ear.Played()); n != 2 || m != 3 {
		t.Fatalf("earphone in: speaker played %d more, earphone %d; want 0 and 3", n-2, m)
	}
	// Pulled out while the earphone speaks (a blocked player: the sound
	// would go on until its deadline).
	ear.Block(true)
	done := make(chan error, 1)
	go func() { done <- r.Play(ctx, lit) }()
	time.Sleep(30 * time.Millisecond)
	pulled := time.Now()
	jack.in.Store(false)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("a pulled plug is no failure: %v", err)
		}
		t.Logf("stopped %v after the plug left", time.Since(pulled).Round(time.Millisecond))
	case <-time.After(2 * time.Second):
		t.Fatal("the earphone kept playing after the plug was pulled")
	}
	if n := len(spk.Played()); n != 2 {
		t.Errorf("the speaker took over the cut sentence: %d played", n)
	}
}

// The sim's log names a private utterance by its count alone, and writes
// no audio of it.
func TestSimKeepsNoLitKey(t *testing.T) {
	dir := t.TempDir()
	sim := &speaker.Sim{Dir: dir}
	ear := &speaker.SimDevice{Sim: sim, Earphone: true}
	k, _ := kiosk.SpellKey('Q')
	if err := ear.Play(context.Background(), kiosk.Speak(kiosk.Japanese, 2, k)); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(sim.Log())
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(b)); got != "earphone ja vol=2 private(1)" {
		t.Errorf("log %q", got)
	}
	if wavs, _ := filepath.Glob(filepath.Join(dir, "*.wav")); len(wavs) > 0 {
		t.Errorf("audio of the lit key written: %v", wavs)
	}
}

// A lit key whose prompt is missing fails without naming the key: the
// error reaches the log and the heartbeat's detail.
func TestPrivateErrorsNameNoKey(t *testing.T) {
	h := kiosk.NewHealthCell("earphone_audio", "ok", "", time.Now())
	d := &speaker.Device{Prompts: &speaker.Prompts{Dir: t.TempDir()}, Sink: nil, Health: h}
	k, _ := kiosk.SpellKey('Q')
	err := d.Play(context.Background(), kiosk.Speak(kiosk.Japanese, 2, k))
	if err == nil {
		t.Fatal("no error for a missing prompt")
	}
	for _, s := range []string{err.Error(), h.Get().Detail} {
		if strings.Contains(s, "key.") || strings.Contains(s, "Q") {
			t.Errorf("names the key: %q", s)
		}
	}
}
