package update

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Health is what the trial boot must show before it is committed.
type Health struct {
	Ready           bool          // kiosk.service active: READY=1 came after the first frame
	ReaderSeen      bool          // pcscd lists a reader
	JournalVerified bool          // the kiosk opened the journal and its chain verifies
	Restarts        int           // kiosk.service's NRestarts
	ActiveFor       time.Duration // since kiosk.service became active
}

// Rules are the commit thresholds.
type Rules struct {
	Soak  time.Duration // how long the kiosk must run without a restart (2 min)
	Limit time.Duration // a trial not healthy by then falls back (10 min)
}

// DefaultRules are the kiosk's.
var DefaultRules = Rules{Soak: 2 * time.Minute, Limit: 10 * time.Minute}

// Verdict of one look at a trial boot.
type Verdict struct {
	Commit bool
	Fail   bool
	Reason string // when failing: the first condition not met
}

// Judge decides from one look at the health, elapsed since the trial began.
func Judge(h Health, elapsed time.Duration, r Rules) Verdict {
	if h.Restarts > 0 {
		return Verdict{Fail: true, Reason: fmt.Sprintf("kiosk_restarted: the kiosk restarted %d time(s) during the trial", h.Restarts)}
	}
	missing := ""
	switch {
	case !h.Ready:
		missing = "not_ready: the kiosk never drew its first frame (no READY=1)"
	case !h.ReaderSeen:
		missing = "no_reader: pcscd lists no card reader"
	case !h.JournalVerified:
		missing = "journal_unverified: the journal was not opened and verified"
	case h.ActiveFor < r.Soak:
		missing = fmt.Sprintf("soak: ran %s of %s", h.ActiveFor.Round(time.Second), r.Soak)
	}
	if missing == "" {
		return Verdict{Commit: true}
	}
	if elapsed >= r.Limit {
		return Verdict{Fail: true, Reason: missing}
	}
	return Verdict{}
}

// Committer runs on every boot: it reconciles the state with what the
// firmware booted, and during a trial commits or falls back.
type Committer struct {
	Layout   Layout
	Storage  Storage
	Firmware Firmware
	State    StateStore
	Log      *slog.Logger
	Now      func() time.Time
	// AfterAutoboot, when set, runs once autoboot.txt names the new slot and
	// before the state says so: the console line that marks the commit, and
	// where a test bench holds the commit to cut the power.
	AfterAutoboot func(bootPartition int)
}

// AtBoot reconciles: a trial whose slot is now committed in autoboot.txt
// (power cut after the commit write) is recorded as committed; a trial the
// firmware did not boot into (watchdog, panic or power cut during the trial,
// or a fallback) is recorded as failed with the reason, for the heartbeat.
// inTrial says this boot is the trial and health must decide.
func (c *Committer) AtBoot() (st State, inTrial bool, err error) {
	st, err = c.State.Load()
	if err != nil {
		return st, false, err
	}
	boot, err := c.Firmware.Boot()
	if err != nil {
		return st, false, fmt.Errorf("update: %w", err)
	}
	ab, _, err := readAutoboot(c.Storage, c.Layout)
	if err != nil {
		return st, false, fmt.Errorf("update: %w", err)
	}
	if st.Phase == PhaseWriting {
		return c.save(st, PhaseFailed, "interrupted", "power was lost while the inactive slot was written; it was never booted")
	}
	if st.Phase != PhaseTrying {
		return st, false, nil
	}
	target, ok := c.Layout.Named(st.Target.Slot)
	if !ok {
		return st, false, fmt.Errorf("update: state names slot %q, which is not in the layout", st.Target.Slot)
	}
	switch {
	case boot.Partition == target.BootPartition && ab.Committed == target.BootPartition:
		st.Committed = st.Target
		return c.save(st, PhaseCommitted, "", "")
	case boot.Tryboot && boot.Partition == target.BootPartition:
		return st, true, nil
	}
	return c.save(st, PhaseFailed, "trial_failed", fmt.Sprintf("the trial boot of %s did not commit (power cut, panic or watchdog before it was healthy); running partition %d", st.Target.Version, boot.Partition))
}

func (c *Committer) save(st State, ph Phase, reason, detail string) (State, bool, error) {
	st.Phase, st.Reason, st.Detail, st.At = ph, reason, detail, c.now()
	if reason != "" {
		c.logger().Warn("update: trial did not commit", "version", st.Target.Version, "reason", reason, "detail", detail)
	}
	return st, false, c.State.Save(st)
}

// Commit makes the trial slot the default: one sector of autoboot.txt, read
// back, then the state.
func (c *Committer) Commit(st State) (State, error) {
	target, ok := c.Layout.Named(st.Target.Slot)
	if !ok {
		return st, fmt.Errorf("update: no slot %q", st.Target.Slot)
	}
	if err := writeAutoboot(c.Storage, c.Layout, target.BootPartition, c.Layout.Other(target).BootPartition); err != nil {
		return st, fmt.Errorf("update: commit: %w", err)
	}
	if c.AfterAutoboot != nil {
		c.AfterAutoboot(target.BootPartition)
	}
	st.Committed = st.Target
	st, _, err := c.save(st, PhaseCommitted, "", "")
	c.logger().Info("update: committed", "version", st.Target.Version, "slot", target.Name)
	return st, err
}

// Fallback records why the trial failed and reboots into the committed slot.
func (c *Committer) Fallback(st State, reason string) error {
	if _, _, err := c.save(st, PhaseFailed, "unhealthy", reason); err != nil {
		return err
	}
	return c.Firmware.Reboot()
}

// Watch looks at the health every interval until the trial commits or fails.
func (c *Committer) Watch(ctx context.Context, st State, health func(context.Context) (Health, error), r Rules, every time.Duration) (State, error) {
	start := c.now()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		h, err := health(ctx)
		if err != nil {
			c.logger().Warn("update: health", "err", err)
		}
		v := Judge(h, c.now().Sub(start), r)
		switch {
		case v.Commit:
			return c.Commit(st)
		case v.Fail:
			return st, c.Fallback(st, v.Reason)
		}
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-t.C:
		}
	}
}

func (c *Committer) logger() *slog.Logger { return logOrDiscard(c.Log) }
func (c *Committer) now() time.Time       { return nowOr(c.Now) }
