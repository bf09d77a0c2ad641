// Package speaker plays the kiosk's voice: prompts rendered at build time
// (cmd/voicegen) joined whole, scaled to the resident's volume, through
// aplay on an ALSA card named by its ID (no cgo), or into WAV files and a
// log of prompt IDs (sim). Every playback has a deadline: a speaker that
// fails or blocks is reported in its health and never holds up a visit.
package speaker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/villagehall/kiosk/kiosk"
)

// Prompts are the rendered prompt files: <Dir>/<lang>/<id>.wav.
type Prompts struct {
	Dir string

	mu    sync.Mutex
	cache map[string]WAV
}

// Load reads one prompt (once; later calls share it).
func (p *Prompts) Load(l kiosk.Lang, id kiosk.PromptID) (WAV, error) {
	path := filepath.Join(p.Dir, l.String(), id.FileName())
	p.mu.Lock()
	defer p.mu.Unlock()
	if w, ok := p.cache[path]; ok {
		return w, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return WAV{}, fmt.Errorf("prompt %s/%s: %w", l, id, err)
	}
	defer f.Close()
	w, err := ReadWAV(f)
	if err != nil {
		return WAV{}, fmt.Errorf("prompt %s: %w", path, err)
	}
	if p.cache == nil {
		p.cache = map[string]WAV{}
	}
	p.cache[path] = w
	return w, nil
}

// Missing lists the catalogue's prompts that have no file, in both languages.
func (p *Prompts) Missing() []string {
	var out []string
	for _, id := range kiosk.PromptIDs() {
		for _, l := range []kiosk.Lang{kiosk.Japanese, kiosk.English} {
			if _, err := os.Stat(filepath.Join(p.Dir, l.String(), id.FileName())); err != nil {
				out = append(out, l.String()+"/"+string(id))
			}
		}
	}
	return out
}

// Audio is u as one WAV: its prompts joined with a short pause, or the
// click, at u's volume.
func (p *Prompts) Audio(u kiosk.Utterance) (WAV, error) {
	if u.Click {
		return Click(22050).Scaled(u.Volume), nil
	}
	ws := make([]WAV, 0, len(u.Prompts))
	for _, id := range u.Prompts {
		w, err := p.Load(u.Lang, id)
		if err != nil {
			return WAV{}, err
		}
		ws = append(ws, w)
	}
	w, err := Concat(0.3, ws...)
	if err != nil {
		return WAV{}, err
	}
	return w.Scaled(u.Volume), nil
}

// Health states besides ok.
const (
	StateAbsent   = "absent"          // the ALSA card is not there
	StateFailed   = "error"           // playback failed or timed out
	StateNoVoices = "prompts_missing" // the rendered prompts are not installed
)

// Sink plays one WAV file's bytes and returns when it has played.
type Sink interface {
	Play(ctx context.Context, wav []byte) error
}

// Device is a speaker: prompts, a sink, a health cell.
type Device struct {
	Prompts *Prompts
	Sink    Sink
	Health  *kiosk.HealthCell
	Log     *slog.Logger
	// Slack is added to twice the sound's own length for the deadline
	// (default 3 s: aplay's start and the card's buffer). Twice: under
	// qemu a 13.7 s prompt did not end within its length + 3 s.
	Slack time.Duration
	// Check, when set, says whether the output is there (the ALSA card);
	// Play calls it after a failure to tell absent from failed.
	Check func() error
}

// Play plays u within twice its own length plus Slack, or not at all.
func (d *Device) Play(ctx context.Context, u kiosk.Utterance) error {
	if ctx.Err() != nil {
		return nil // overtaken before it started
	}
	w, err := d.Prompts.Audio(u)
	if err != nil {
		d.set(StateNoVoices, err.Error())
		return err
	}
	slack := d.Slack
	if slack <= 0 {
		slack = 3 * time.Second
	}
	pctx, cancel := context.WithTimeout(ctx, time.Duration(2*w.Seconds()*float64(time.Second))+slack)
	defer cancel()
	err = d.Sink.Play(pctx, w.Bytes())
	switch {
	case err == nil:
		d.set("ok", "")
	case ctx.Err() != nil:
		return nil // cut short on purpose (the next prompt, or shutdown)
	default:
		state := StateFailed
		if d.Check != nil {
			if cerr := d.Check(); cerr != nil {
				state, err = StateAbsent, cerr
			}
		}
		d.set(state, err.Error())
	}
	return err
}

func (d *Device) set(state, detail string) {
	if d.Health != nil && d.Health.Set(state, detail, time.Now()) && d.Log != nil {
		d.Log.Info("speaker health", "state", state, "detail", detail)
	}
}

// ALSA plays through aplay on plughw:CARD=<Card> (plughw converts the
// prompts' 22.05 kHz mono to what the card takes).
type ALSA struct {
	Card string
	// PCM overrides the device name (tests: an ALSA file sink).
	PCM string
	// Cards is /proc/asound/cards (tests point it elsewhere).
	Cards string
}

// Device is the aplay device name.
func (a ALSA) Device() string {
	if a.PCM != "" {
		return a.PCM
	}
	return "plughw:CARD=" + a.Card
}

// Play pipes wav into aplay; ctx's end kills it.
func (a ALSA) Play(ctx context.Context, wav []byte) error {
	cmd := exec.CommandContext(ctx, "aplay", "-q", "-D", a.Device(), "-")
	cmd.Stdin = bytes.NewReader(wav)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = time.Second // a wedged aplay cannot hold its pipes open past the deadline
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("aplay -D %s: no end within the deadline: %w", a.Device(), ctx.Err())
		}
		return fmt.Errorf("aplay -D %s: %w: %s", a.Device(), err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

var cardLineRe = regexp.MustCompile(`(?m)^\s*\d+ \[(\S+)\s*\]:`)

// ErrNoCard: the ALSA card ID is not among the kernel's cards.
var ErrNoCard = errors.New("no such sound card")

// Present checks the card by its ID in /proc/asound/cards, whose lines
// read " 1 [Audio          ]: USB-Audio - USB Audio Device".
func (a ALSA) Present() error {
	if a.PCM != "" {
		return nil
	}
	path := a.Cards
	if path == "" {
		path = "/proc/asound/cards"
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%w %q: %v", ErrNoCard, a.Card, err)
	}
	var ids []string
	for _, m := range cardLineRe.FindAllStringSubmatch(string(b), -1) {
		if m[1] == a.Card {
			return nil
		}
		ids = append(ids, m[1])
	}
	return fmt.Errorf("%w %q (cards: %s)", ErrNoCard, a.Card, strings.Join(ids, ", "))
}

// Sim writes each utterance as a numbered WAV in Dir (when its prompts are
// rendered) and a line of its prompt IDs in Dir/speech.log, which the
// whole-program tests read.
type Sim struct {
	Dir string
	mu  sync.Mutex
	n   int
}

// Log is the sim speaker's log file.
func (s *Sim) Log() string { return filepath.Join(s.Dir, "speech.log") }

// Record logs u and writes its audio when there is some. cut: u was
// overtaken before it played (logged with " (cut)", no audio).
func (s *Sim) Record(u kiosk.Utterance, w []byte, cut bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return err
	}
	s.n++
	f, err := os.OpenFile(s.Log(), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	line := u.String()
	if cut {
		line, w = line+" (cut)", nil
	}
	_, err = fmt.Fprintln(f, line)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && w != nil {
		err = os.WriteFile(filepath.Join(s.Dir, fmt.Sprintf("%05d.wav", s.n)), w, 0o644)
	}
	return err
}

// SimDevice is the sim speaker as a kiosk.Speaker: it logs every
// utterance, and writes its audio when the prompts are rendered (without
// them, as in make test before make voice, the IDs alone are kept).
type SimDevice struct {
	Sim     *Sim
	Prompts *Prompts
	Health  *kiosk.HealthCell
}

// Play records u.
func (d *SimDevice) Play(ctx context.Context, u kiosk.Utterance) error {
	var b []byte
	if d.Prompts != nil {
		if w, err := d.Prompts.Audio(u); err == nil {
			b = w.Bytes()
		}
	}
	err := d.Sim.Record(u, b, ctx.Err() != nil)
	if d.Health != nil {
		if err != nil {
			d.Health.Set(StateFailed, err.Error(), time.Now())
		} else {
			d.Health.Set("ok", "simulated", time.Now())
		}
	}
	return err
}
