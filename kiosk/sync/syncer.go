package sync

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/villagehall/kiosk/kiosk"
)

// Outbox is the part of the journal the syncer uses (*journal.Journal).
// Its methods run their own bbolt transactions, so they never hold up Append
// longer than one commit.
type Outbox interface {
	Pending(limit int) ([]kiosk.Record, error)
	Ack(upTo uint64) (int, error)
	SetSynced(at, collectorTime time.Time) error
	Depth() (int, error)
}

// ErrNotAccepted: the collector answered but took nothing of the batch.
var ErrNotAccepted = errors.New("collector accepted none of the batch")

// Config configures a Syncer. Zero durations take the defaults noted.
type Config struct {
	BaseURL   string       // e.g. https://collector.village.local:8443
	Client    *http.Client // with ClientTLS; NewHTTPClient(tc, 30s)
	KioskID   string
	Outbox    Outbox
	BatchSize int // default 200

	Idle           time.Duration // pause when nothing is pending (30 s)
	HeartbeatEvery time.Duration // (60 s)
	MinBackoff     time.Duration // first retry wait (1 s)
	MaxBackoff     time.Duration // cap (5 min)

	Health       func() Health                        // device state for heartbeats (optional)
	OnServerTime func(t time.Time)                    // the collector's clock, for clock trust (optional)
	Logger       *slog.Logger                         // optional
	Now          func() time.Time                     // default time.Now
	After        func(time.Duration) <-chan time.Time // default time.After; tests inject
	Jitter       func() float64                       // in [0,1); default math/rand/v2
}

// Syncer uploads the journal in the background.
type Syncer struct {
	cfg  Config
	log  *slog.Logger
	kick chan struct{}
}

// New checks cfg and fills defaults.
func New(cfg Config) (*Syncer, error) {
	switch {
	case cfg.BaseURL == "":
		return nil, errors.New("syncer: collector URL required")
	case cfg.Client == nil:
		return nil, errors.New("syncer: HTTP client required")
	case cfg.KioskID == "":
		return nil, errors.New("syncer: kiosk ID required")
	case cfg.Outbox == nil:
		return nil, errors.New("syncer: outbox required")
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.Idle, 30*time.Second)
	def(&cfg.HeartbeatEvery, time.Minute)
	def(&cfg.MinBackoff, time.Second)
	def(&cfg.MaxBackoff, 5*time.Minute)
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 200
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.After == nil {
		cfg.After = time.After
	}
	if cfg.Jitter == nil {
		cfg.Jitter = rand.Float64
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Syncer{cfg: cfg, log: cfg.Logger, kick: make(chan struct{}, 1)}, nil
}

// Kick asks for an upload soon (after an Append). It never blocks.
func (s *Syncer) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Backoff is the wait before retry number attempt (1-based): doubling from
// min up to max, with "equal jitter" (half fixed, half random) so a village's
// kiosks do not all hammer the town hall the moment it comes back.
func Backoff(attempt int, minD, maxD time.Duration, jitter float64) time.Duration {
	d := minD
	for i := 1; i < attempt && d < maxD; i++ {
		d *= 2
	}
	d = min(d, maxD)
	return d/2 + time.Duration(jitter*float64(d/2))
}

// Run uploads until ctx ends, then returns ctx's error.
func (s *Syncer) Run(ctx context.Context) error {
	failures := 0
	nextHB := s.cfg.Now()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !s.cfg.Now().Before(nextHB) {
			if err := s.Heartbeat(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("heartbeat failed", "err", err)
			}
			nextHB = s.cfg.Now().Add(s.cfg.HeartbeatEvery)
		}
		sent, acked, err := s.SyncOnce(ctx)
		var wait time.Duration
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return ctx.Err()
			}
			failures++
			wait = Backoff(failures, s.cfg.MinBackoff, s.cfg.MaxBackoff, s.cfg.Jitter())
			s.log.Warn("sync failed", "err", err, "attempt", failures, "retry_in", wait)
		case sent == 0:
			failures = 0
			wait = s.cfg.Idle
		default:
			failures = 0
			s.log.Debug("synced", "sent", sent, "acked", acked)
			continue // drain the backlog without pausing
		}
		wait = min(wait, max(nextHB.Sub(s.cfg.Now()), 0))
		kick := s.kick
		if failures > 0 {
			kick = nil // a kick must not cut a backoff short
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.cfg.After(wait):
		case <-kick:
		}
	}
}

// SyncOnce uploads one batch of pending records and releases what the
// collector acknowledged. It returns how many it sent and released.
func (s *Syncer) SyncOnce(ctx context.Context) (sent, acked int, err error) {
	recs, err := s.cfg.Outbox.Pending(s.cfg.BatchSize)
	if err != nil {
		return 0, 0, fmt.Errorf("read pending: %w", err)
	}
	if len(recs) == 0 {
		return 0, 0, nil
	}
	reply, postErr := s.post(ctx, PathBatch, Batch{KioskID: s.cfg.KioskID, Records: recs})
	if reply == nil {
		return len(recs), 0, postErr
	}
	// A refusal (409) may still carry what was stored before the fault.
	first, last := recs[0].Seq, recs[len(recs)-1].Seq
	upTo := min(reply.AckedSeq, last)
	if upTo < first {
		return len(recs), 0, errors.Join(postErr, fmt.Errorf("%w (collector holds up to %d, sent %d..%d)", ErrNotAccepted, reply.AckedSeq, first, last))
	}
	if reply.AckedSeq == upTo && reply.AckedHash != "" && reply.AckedHash != recs[upTo-first].Hash {
		// Same seq, different record: never release on someone else's ack.
		return len(recs), 0, errors.Join(postErr, fmt.Errorf("collector's record %d is not ours (hash differs): not releasing", upTo))
	}
	n, err := s.cfg.Outbox.Ack(upTo)
	if err != nil {
		return len(recs), n, fmt.Errorf("release acknowledged records: %w", err)
	}
	if err := s.cfg.Outbox.SetSynced(s.cfg.Now(), reply.ServerTime); err != nil {
		s.log.Warn("record sync time", "err", err)
	}
	s.serverTime(reply.ServerTime)
	return len(recs), n, postErr
}

// Heartbeat sends the kiosk's health once.
func (s *Syncer) Heartbeat(ctx context.Context) error {
	hb := Heartbeat{KioskID: s.cfg.KioskID, Time: s.cfg.Now().UTC(), PrinterState: "unknown"}
	if s.cfg.Health != nil {
		h := s.cfg.Health()
		hb.ReaderPresent, hb.PrinterState, hb.Version = h.ReaderPresent, h.PrinterState, h.Version
	}
	if d, err := s.cfg.Outbox.Depth(); err == nil {
		hb.JournalDepth = d
	}
	reply, err := s.post(ctx, PathHeartbeat, hb)
	if err != nil {
		return err
	}
	s.serverTime(reply.ServerTime)
	return nil
}

func (s *Syncer) serverTime(t time.Time) {
	if !t.IsZero() && s.cfg.OnServerTime != nil {
		s.cfg.OnServerTime(t)
	}
}

// post sends v and decodes the Reply. reply is non-nil whenever the
// collector answered with one, even alongside an error status.
func (s *Syncer) post(ctx context.Context, path string, v any) (*Reply, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", path, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.BaseURL+path, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("request %s: %w", path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("post %s: %w", path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("read reply to %s: %w", path, err)
	}
	var reply Reply
	if jerr := json.Unmarshal(data, &reply); jerr != nil {
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("post %s: %s", path, resp.Status)
		}
		return nil, fmt.Errorf("decode reply to %s: %w", path, jerr)
	}
	if resp.StatusCode != http.StatusOK {
		return &reply, fmt.Errorf("post %s: %s: %s", path, resp.Status, reply.Error)
	}
	return &reply, nil
}
