package speaker

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/kiosk"
)

func tone(seconds float64) WAV {
	c := Click(22050)
	parts := []WAV{}
	for n := 0; float64(n)*0.062 < seconds; n++ {
		parts = append(parts, c)
	}
	w, _ := Concat(0.05, parts...)
	return w
}

func TestWAVRoundTripAndVolume(t *testing.T) {
	w := Click(22050)
	got, err := ReadWAV(bytes.NewReader(w.Bytes()))
	if err != nil || got.Rate != 22050 || got.Channels != 1 || len(got.Samples) != len(w.Samples) {
		t.Fatalf("round trip: %v %+v", err, got.Rate)
	}
	full, low := w.Scaled(3).Stats(), w.Scaled(1).Stats()
	if d := full.PeakdB - low.PeakdB; d < 11.9 || d > 12.1 {
		t.Errorf("volume 1 is %.2f dB under volume 3, want 12", d)
	}
	for _, bad := range [][]byte{nil, []byte("RIFF....WAVE"), []byte("not a wav at all")} {
		if _, err := ReadWAV(bytes.NewReader(bad)); !errors.Is(err, ErrNotWAV) {
			t.Errorf("%q: %v, want ErrNotWAV", bad, err)
		}
	}
}

func TestCardByIDNotIndex(t *testing.T) {
	cards := filepath.Join(t.TempDir(), "cards")
	os.WriteFile(cards, []byte(" 0 [Headphones     ]: bcm2835_headpho - bcm2835 Headphones\n                      bcm2835 Headphones\n 1 [Audio          ]: USB-Audio - USB Audio Device\n"), 0o644)
	for _, tt := range []struct {
		card string
		ok   bool
	}{{"Audio", true}, {"Headphones", true}, {"1", false}, {"Device", false}} {
		err := ALSA{Card: tt.card, Cards: cards}.Present()
		if (err == nil) != tt.ok || err != nil && !errors.Is(err, ErrNoCard) {
			t.Errorf("%s: %v", tt.card, err)
		}
	}
	if got := (ALSA{Card: "Audio"}).Device(); got != "plughw:CARD=Audio" {
		t.Errorf("device %q", got)
	}
}

// aplay into an ALSA file sink: what reaches the card is what was asked.
func TestALSAPlaysThroughAplay(t *testing.T) {
	if _, err := exec.LookPath("aplay"); err != nil {
		t.Fatal("aplay missing (apt-get install alsa-utils): make test installs it")
	}
	dir := t.TempDir()
	sink := filepath.Join(dir, "sink.wav")
	conf := filepath.Join(dir, "asoundrc")
	os.WriteFile(conf, []byte(`pcm.capture_sink { type file; slave.pcm "null"; file "`+sink+`"; format "wav" }`+"\n"), 0o644)
	t.Setenv("ALSA_CONFIG_PATH", "/usr/share/alsa/alsa.conf:"+conf)
	w := tone(0.5)
	if err := (ALSA{PCM: "capture_sink"}).Play(context.Background(), w.Bytes()); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(sink)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := ReadWAV(f)
	if err != nil {
		t.Fatal(err)
	}
	if g, s := got.Stats(), w.Stats(); got.Seconds() < w.Seconds()-0.01 || g.PeakdB < s.PeakdB-0.5 {
		t.Errorf("sink got %.2f s peak %.1f dB, sent %.2f s peak %.1f dB", got.Seconds(), g.PeakdB, w.Seconds(), s.PeakdB)
	}
}

// blockSink never finishes, as a wedged USB speaker's aplay would not.
type blockSink struct{}

func (blockSink) Play(ctx context.Context, _ []byte) error { <-ctx.Done(); return ctx.Err() }

type failSink struct{}

func (failSink) Play(context.Context, []byte) error { return errors.New("aplay: device busy") }

func promptsDir(t *testing.T) *Prompts {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "ja"), 0o755)
	os.WriteFile(filepath.Join(dir, "ja", kiosk.PromptID("w.Insert").FileName()), tone(0.2).Bytes(), 0o644)
	return &Prompts{Dir: dir}
}

func TestDeadlinesAndHealth(t *testing.T) {
	u := kiosk.Utterance{Lang: kiosk.Japanese, Prompts: []kiosk.PromptID{"w.Insert"}, Volume: 2}
	for _, tt := range []struct {
		name  string
		sink  Sink
		check func() error
		u     kiosk.Utterance
		state string
	}{
		{"blocks", blockSink{}, nil, u, StateFailed},
		{"fails", failSink{}, nil, u, StateFailed},
		{"unplugged", failSink{}, func() error { return ErrNoCard }, u, StateAbsent},
		{"no prompt file", failSink{}, nil, kiosk.Utterance{Lang: kiosk.English, Prompts: []kiosk.PromptID{"w.Insert"}}, StateNoVoices},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := kiosk.NewHealthCell("speaker", "ok", "", time.Now())
			d := &Device{Prompts: promptsDir(t), Sink: tt.sink, Health: h, Slack: 100 * time.Millisecond, Check: tt.check}
			start := time.Now()
			if err := d.Play(context.Background(), tt.u); err == nil {
				t.Fatal("no error")
			}
			if el := time.Since(start); el > 2*time.Second {
				t.Errorf("took %s: the deadline is the sound's length + slack", el)
			}
			if got := h.Get().State; got != tt.state {
				t.Errorf("health %q, want %q", got, tt.state)
			}
		})
	}
}

func TestSimLogsIDs(t *testing.T) {
	dir := t.TempDir()
	d := &SimDevice{Sim: &Sim{Dir: dir}, Prompts: promptsDir(t)}
	d.Play(context.Background(), kiosk.Utterance{Lang: kiosk.Japanese, Prompts: []kiosk.PromptID{"w.Insert"}, Volume: 2})
	d.Play(context.Background(), kiosk.Utterance{Click: true, Volume: 2})
	b, _ := os.ReadFile(d.Sim.Log())
	if got := strings.TrimSpace(string(b)); got != "ja vol=2 w.Insert\nclick vol=2" {
		t.Errorf("log %q", got)
	}
	if wavs, _ := filepath.Glob(filepath.Join(dir, "*.wav")); len(wavs) != 2 {
		t.Errorf("%d WAVs, want 2", len(wavs))
	}
}
