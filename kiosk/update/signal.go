package update

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Signal is how the updater (kioskctl, root) and the kiosk (user kiosk) meet
// about an update under way, through two small files on tmpfs: the updater
// posts its progress; the kiosk, once no visit is under way and the update
// screen is up, says so in its own runtime directory. Nothing here decides
// whether a bundle is installed: that is the signature's.
type Signal struct {
	Progress string // the updater's file, readable by the kiosk
	Idle     string // the kiosk's answer: "the update screen is up"
}

// DefaultSignal is the image's: /run/kiosk is the kiosk unit's RuntimeDirectory.
var DefaultSignal = Signal{Progress: "/run/kiosk-update/progress.json", Idle: "/run/kiosk/update-idle"}

// SignalState is the updater's progress as the kiosk reads it.
type SignalState struct {
	Version string    `json:"version,omitempty"`
	Step    string    `json:"step"` // waiting, verify, write, readback, reboot, refused
	Percent int       `json:"percent"`
	Reason  Reason    `json:"reason,omitempty"`
	At      time.Time `json:"at"`
}

// Stale is how old a progress file may be before the kiosk ignores it: an
// updater killed mid-way must not hold the kiosk out of service. The
// updater posts at least every PostEvery.
const (
	Stale     = 2 * time.Minute
	PostEvery = 5 * time.Second
)

// Post replaces the progress file.
func (s Signal) Post(st SignalState) error {
	if err := os.MkdirAll(filepath.Dir(s.Progress), 0o755); err != nil {
		return err
	}
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	tmp := s.Progress + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, s.Progress)
}

// Read returns the updater's progress, or nil when none is posted or it is
// stale at now.
func (s Signal) Read(now time.Time) *SignalState {
	b, err := os.ReadFile(s.Progress)
	if err != nil {
		return nil
	}
	var st SignalState
	if json.Unmarshal(b, &st) != nil || st.Step == "" || now.Sub(st.At) > Stale || st.At.Sub(now) > Stale {
		return nil
	}
	return &st
}

// Clear removes the progress file: the kiosk is back in service.
func (s Signal) Clear() error {
	err := os.Remove(s.Progress)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// SetIdle is the kiosk's answer: idle (the update screen is up) or not.
func (s Signal) SetIdle(idle bool, now time.Time) error {
	if !idle {
		err := os.Remove(s.Idle)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	return os.WriteFile(s.Idle, []byte(now.UTC().Format(time.RFC3339Nano)), 0o644)
}

// IdleSince says the kiosk has shown the update screen at or after t.
func (s Signal) IdleSince(t time.Time) bool {
	b, err := os.ReadFile(s.Idle)
	if err != nil {
		return false
	}
	at, err := time.Parse(time.RFC3339Nano, string(b))
	return err == nil && !at.Before(t.Add(-time.Second))
}

// KioskRunning says the kiosk could answer: its runtime directory exists.
func (s Signal) KioskRunning() bool {
	_, err := os.Stat(filepath.Dir(s.Idle))
	return err == nil
}
