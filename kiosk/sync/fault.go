package sync

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// FaultReporter sends heartbeats for a kiosk that is up on its
// cannot-start screen: no journal is open, so without them the town hall
// would only see the kiosk fall silent, never why. It posts as the
// Syncer does (the same client, collectors and protocol handling), with
// no journal, no devices and the fault.
type FaultReporter struct {
	s     *Syncer
	fault FaultStatus
}

// NewFaultReporter takes the Syncer's Config without Signer and Outbox
// (unused: nothing is signed or released). Health, when set, gives the
// version and the update status; its devices are not sent (none runs).
func NewFaultReporter(cfg Config, f FaultStatus) (*FaultReporter, error) {
	switch {
	case cfg.BaseURL == "":
		return nil, errors.New("fault reporter: collector URL required")
	case cfg.Client == nil:
		return nil, errors.New("fault reporter: HTTP client required")
	case cfg.KioskID == "":
		return nil, errors.New("fault reporter: kiosk ID required")
	}
	if err := f.check(); err != nil {
		return nil, fmt.Errorf("fault reporter: %w", err)
	}
	cfg.Outbox, cfg.Signer = nil, nil
	s, err := newSyncer(cfg)
	if err != nil {
		return nil, err
	}
	return &FaultReporter{s: s, fault: f}, nil
}

// Send posts one fault heartbeat.
func (r *FaultReporter) Send(ctx context.Context) error {
	cfg := r.s.cfg
	f := r.fault
	hb := Heartbeat{KioskID: cfg.KioskID, Time: cfg.Now().UTC(), PrinterState: StateUnknown, Fault: &f}
	if cfg.Health != nil {
		h := cfg.Health()
		hb.Version, hb.Update = h.Version, h.Update
	}
	var reply Reply
	// An older collector refuses the unknown "fault" field (400): that is
	// an error here, never a heartbeat without it, which would read as a
	// kiosk at work.
	if _, err := r.s.postAny(ctx, PathHeartbeat, func(string) any { return hb }, &reply); err != nil {
		return err
	}
	r.s.serverTime(reply.ServerTime)
	return nil
}

// Run sends a fault heartbeat now and every HeartbeatEvery until ctx
// ends, backing off after failures as the Syncer does; it returns ctx's
// error.
func (r *FaultReporter) Run(ctx context.Context) error {
	cfg := r.s.cfg
	// Nothing of it outlives the screen: not even a kept-alive connection.
	defer cfg.Client.CloseIdleConnections()
	failures := 0
	for {
		err := r.Send(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		wait := cfg.HeartbeatEvery
		if err != nil {
			failures++
			wait = Backoff(failures, cfg.MinBackoff, cfg.MaxBackoff, cfg.Jitter())
			if rl := (*RetryLater)(nil); errors.As(err, &rl) {
				wait = min(rl.After+time.Duration(cfg.Jitter()*float64(time.Second)), cfg.MaxRetryAfter)
			}
			r.s.log.Warn("fault heartbeat failed", "err", err, "url", cfg.BaseURL+PathHeartbeat, "attempt", failures, "retry_in", wait)
		} else {
			if failures > 0 {
				r.s.log.Info("fault heartbeat working again", "after_attempts", failures)
			}
			failures = 0
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-cfg.After(wait):
		}
	}
}
