package update

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Phase of the updater, kept in StateDir/state.json on the data partition
// (the only file an update writes there).
type Phase string

const (
	PhaseIdle      Phase = ""
	PhaseWriting   Phase = "writing"   // the inactive slot is being written: never booted in this phase
	PhaseTrying    Phase = "trying"    // written, read back, trial boot requested
	PhaseCommitted Phase = "committed" // the new slot is the default
	PhaseFailed    Phase = "failed"    // refused, or the trial fell back; Reason says why
)

// Release names one installed version.
type Release struct {
	Slot    string `json:"slot"`
	Version string `json:"version"`
	Serial  uint64 `json:"serial"`
}

// State is the updater's record; the heartbeat carries it.
type State struct {
	Phase     Phase     `json:"phase"`
	Target    Release   `json:"target,omitempty"`    // what is being installed or was tried
	Committed Release   `json:"committed,omitempty"` // the last release committed by an update
	Reason    string    `json:"reason,omitempty"`    // a Reason, or a health condition that failed
	Detail    string    `json:"detail,omitempty"`
	Source    string    `json:"source,omitempty"` // "usb", "collector", "kioskctl"
	At        time.Time `json:"at"`
	// Attempts counts trial boots of Target that came back without a reason
	// (a power cut during the trial is retried once, not forever).
	Attempts int `json:"attempts,omitempty"`
}

// StateStore reads and writes state.json atomically: write a temporary file,
// fsync, rename, fsync the directory. A power cut leaves the old or the new
// file, never a mix.
type StateStore struct {
	Dir string
	FS  Storage // nil: the real file system
}

func (s StateStore) path() string { return filepath.Join(s.Dir, "state.json") }

// Load returns the state; no file is the idle state.
func (s StateStore) Load() (State, error) {
	var st State
	b, err := os.ReadFile(s.path())
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("update state: %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("update state %s: %w", s.path(), err)
	}
	return st, nil
}

// Save replaces the state.
func (s StateStore) Save(st State) error {
	b, err := jsonIndent(st)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return fmt.Errorf("update state: %w", err)
	}
	fsys := s.FS
	if fsys == nil {
		fsys = OSStorage{}
	}
	if err := fsys.WriteFileAtomic(s.path(), b); err != nil {
		return fmt.Errorf("update state: %w", err)
	}
	return nil
}

// DefaultStateDir is where the image keeps the updater's state: on the data
// partition, which no update writes otherwise.
const DefaultStateDir = "/var/lib/kiosk/update"
