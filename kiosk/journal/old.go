package journal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Unsent is another journal file that still holds records the town hall has
// not acknowledged.
type Unsent struct {
	Path      string
	KioskID   string
	JournalID string
	Records   int // waiting to be sent
}

// UnsentBeside looks for journals other than path that still hold unsent
// records, in path's directory and the one above it (where an older
// configuration or a technician's copy would have put one): *.db files only
// (a file moved aside as corrupt or diverged is named otherwise, and a
// diverged one's records were carried over). Each is opened read-only
// under a shared lock, so a file another process writes is waited for
// briefly, not touched. A file that is not a journal is skipped; one that
// cannot be read is an error, since it may hold records.
func UnsentBeside(path string) ([]Unsent, error) {
	self, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	dirs := []string{filepath.Dir(self), filepath.Dir(filepath.Dir(self))}
	var found []Unsent
	var errs []error
	for _, dir := range slices.Compact(dirs) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			errs = append(errs, fmt.Errorf("look for older journals in %s: %w", dir, err))
			continue
		}
		for _, e := range entries {
			p := filepath.Join(dir, e.Name())
			if p == self || !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ".db") {
				continue
			}
			u, ok, err := unsentIn(p)
			switch {
			case err != nil:
				errs = append(errs, err)
			case ok && u.Records > 0:
				found = append(found, u)
			}
		}
	}
	return found, errors.Join(errs...)
}

// unsentIn reads one candidate; ok is false when it is not a journal.
func unsentIn(path string) (Unsent, bool, error) {
	j, err := Open(path, Options{ReadOnly: true, LockTimeout: 2 * time.Second})
	switch {
	case errors.Is(err, ErrCorrupt), errors.Is(err, ErrNotStarted):
		return Unsent{}, false, nil // not a journal (or an empty bbolt file)
	case err != nil:
		return Unsent{}, false, fmt.Errorf("older journal %s: %w", path, err)
	}
	defer j.Close()
	n, err := j.Depth()
	if err != nil {
		return Unsent{}, false, fmt.Errorf("older journal %s: %w", path, err)
	}
	return Unsent{Path: path, KioskID: j.kioskID, JournalID: j.JournalID(), Records: n}, true, nil
}
