package kiosk

import (
	"sync"
	"time"
)

// ClockSlack is how far the clock may sit behind the latest time seen
// before it is called untrustworthy: an NTP step of a few seconds backwards
// must not stop the kiosk from judging certificates.
const ClockSlack = 5 * time.Minute

// ClockTrust decides whether the kiosk clock can be believed. The board has
// no battery-backed clock on every model: after a power cut without network
// it may boot in 1970 or at the image's build time. A clock earlier than the
// build time, or earlier than the latest journal or sync time already seen,
// is wrong. Safe for concurrent use (the syncer reports sync times while a
// visit reads the verdict). A nil *ClockTrust trusts every time.
type ClockTrust struct {
	mu    sync.Mutex
	build time.Time
	seen  time.Time
}

// NewClockTrust starts from the firmware's build time.
func NewClockTrust(build time.Time) *ClockTrust {
	return &ClockTrust{build: build}
}

// Observe records a time known to have passed: the newest journal record at
// start-up, or the collector's clock after a sync. Older times are ignored.
func (c *ClockTrust) Observe(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.seen) {
		c.seen = t
	}
}

// Floor is the earliest time the clock may show and still be trusted
// (before slack).
func (c *ClockTrust) Floor() time.Time {
	if c == nil {
		return time.Time{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen.After(c.build) {
		return c.seen
	}
	return c.build
}

// Trusted reports whether now is believable.
func (c *ClockTrust) Trusted(now time.Time) bool {
	if c == nil {
		return true
	}
	f := c.Floor()
	if f.IsZero() {
		return true
	}
	return !now.Before(f.Add(-ClockSlack))
}
