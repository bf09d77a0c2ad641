package speaker

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/host/v3"

	"github.com/villagehall/kiosk/kiosk"
)

// Plug says whether an earphone is in the jack now.
type Plug interface{ Plugged() bool }

// Earphone jack states besides ok (the heartbeat's words).
const (
	// StatePluggedLong: a plug has been in for PluggedLong. A plug left
	// in, or a line that reads "in" because it is broken, keeps the
	// speaker silent: staff should look.
	StatePluggedLong = "plugged_long"
)

// Jack reads an earphone jack's switch contact on a GPIO line. It counts
// a plug as in once the line has read "in" for Settle (a plug's contacts
// bounce as it goes in), and as out at the first read that says so: what
// only the earphone may hear must stop at once when it is pulled.
type Jack struct {
	pin    gpio.PinIn
	high   bool // the line reads high with a plug in
	health *kiosk.HealthCell
	log    *slog.Logger
	now    func() time.Time

	// Poll is the read period (default 20 ms), Settle how long "in" must
	// hold (default 100 ms), PluggedLong when a plug in counts as left
	// behind (default 30 min).
	Poll, Settle, PluggedLong time.Duration

	plugged atomic.Bool
	mu      sync.Mutex
	inSince time.Time // the line first read "in" (zero: it reads out)
}

// NewJack sets the line up as an input pulled to the "out" level (a
// contact to ground with a plug in, by default: pulled up).
func NewJack(pin gpio.PinIn, pluggedHigh bool, health *kiosk.HealthCell, log *slog.Logger) (*Jack, error) {
	pull := gpio.PullUp
	if pluggedHigh {
		pull = gpio.PullDown
	}
	if err := pin.In(pull, gpio.NoEdge); err != nil {
		return nil, fmt.Errorf("earphone jack %s: %w", pin, err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if health == nil {
		health = kiosk.NewHealthCell("earphone", "ok", "no earphone", time.Now())
	}
	return &Jack{pin: pin, high: pluggedHigh, health: health, log: log, now: time.Now}, nil
}

// Plugged reports the debounced state. Safe from any goroutine.
func (j *Jack) Plugged() bool { return j.plugged.Load() }

// Health is the jack's heartbeat cell.
func (j *Jack) Health() *kiosk.HealthCell { return j.health }

// Run polls the line until ctx ends.
func (j *Jack) Run(ctx context.Context) {
	poll := j.Poll
	if poll <= 0 {
		poll = 20 * time.Millisecond
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		j.Sample()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Sample reads the line once (Run calls it; tests call it directly).
func (j *Jack) Sample() {
	settle, long := j.Settle, j.PluggedLong
	if settle <= 0 {
		settle = 100 * time.Millisecond
	}
	if long <= 0 {
		long = 30 * time.Minute
	}
	now := j.now()
	in := (j.pin.Read() == gpio.High) == j.high
	j.mu.Lock()
	defer j.mu.Unlock()
	switch {
	case !in:
		j.inSince = time.Time{}
		if j.plugged.Swap(false) {
			j.log.Info("earphone out")
		}
		j.set("ok", "no earphone", now)
	case j.inSince.IsZero():
		j.inSince = now
	case now.Sub(j.inSince) >= settle:
		if !j.plugged.Swap(true) {
			j.log.Info("earphone in")
		}
		if now.Sub(j.inSince) >= long {
			j.set(StatePluggedLong, fmt.Sprintf("an earphone has been in since %s: the speaker is silent meanwhile", j.inSince.Format(time.RFC3339)), now)
		} else {
			j.set("ok", "earphone in", now)
		}
	}
}

func (j *Jack) set(state, detail string, now time.Time) {
	if j.health.Set(state, detail, now) && state != "ok" {
		j.log.Warn("earphone jack", "state", state, "detail", detail)
	}
}

// FileJack is the sim speaker's jack: an earphone is in while File exists.
type FileJack struct{ File string }

// Plugged reports whether the file is there.
func (f FileJack) Plugged() bool {
	_, err := os.Stat(f.File)
	return err == nil
}

// Router sends the voice where the resident listens: with an earphone in,
// everything goes to Earphone and nothing to Speaker; without one, to
// Speaker, except what is Private (the signing PIN's lit key), which is
// dropped. While the earphone plays, the jack is read every Poll: a plug
// pulled out stops the sound at once.
type Router struct {
	Speaker, Earphone kiosk.Speaker
	Jack              Plug
	Poll              time.Duration // default 10 ms
}

// Play plays u where it may be heard.
func (r *Router) Play(ctx context.Context, u kiosk.Utterance) error {
	if !r.Jack.Plugged() {
		if u.Private() {
			return nil // never aloud
		}
		return r.Speaker.Play(ctx, u)
	}
	poll := r.Poll
	if poll <= 0 {
		poll = 10 * time.Millisecond
	}
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var pulled atomic.Bool
	done := make(chan struct{})
	watched := make(chan struct{})
	go func() { // owned by this call: joined below
		defer close(watched)
		t := time.NewTicker(poll)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-pctx.Done():
				return
			case <-t.C:
				if !r.Jack.Plugged() {
					pulled.Store(true)
					cancel()
					return
				}
			}
		}
	}()
	err := r.Earphone.Play(pctx, u)
	close(done)
	<-watched
	if pulled.Load() && ctx.Err() == nil {
		return nil // cut off on purpose: the earphone was pulled out
	}
	return err
}

// OpenJack initialises periph's host drivers and opens the jack's line by
// its name (e.g. "GPIO26").
func OpenJack(name string, pluggedHigh bool, health *kiosk.HealthCell, log *slog.Logger) (*Jack, error) {
	if _, err := host.Init(); err != nil {
		return nil, fmt.Errorf("earphone jack: periph host init: %w", err)
	}
	p := gpioreg.ByName(name)
	if p == nil {
		return nil, fmt.Errorf("earphone jack: no GPIO named %q", name)
	}
	return NewJack(p, pluggedHigh, health, log)
}
