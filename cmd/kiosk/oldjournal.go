package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
)

// unsentBesideError: the configured journal does not exist yet, and an
// older one beside it still holds unsent records. Starting a new journal
// would leave those records where no sync reads them.
type unsentBesideError struct {
	path string
	old  []journal.Unsent
}

func (e *unsentBesideError) Error() string {
	return fmt.Sprintf("not starting a new journal at %s: %d older journal(s) still hold unsent records", e.path, len(e.old))
}

// lines are the problem lines of the cannot-start screen, one a journal.
func (e *unsentBesideError) lines() []string {
	out := make([]string, 0, len(e.old)+1)
	for _, u := range e.old {
		out = append(out, fmt.Sprintf("%s: %s (kiosk %s, journal %s) holds %d records not yet at the town hall",
			kiosk.OldJournalMark, u.Path, u.KioskID, u.JournalID, u.Records))
	}
	return append(out, fmt.Sprintf("journal.path is %s, which does not exist yet: no new journal is started while they wait", e.path))
}

// checkUnsentBeside is asked before the journal is opened: only when the
// configured file does not exist (opening would start a new journal) does
// it look for older journals beside it (journal.UnsentBeside).
func checkUnsentBeside(path string) error {
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		return nil // there, or unreadable: journal.Open says which
	}
	old, err := journal.UnsentBeside(path)
	if err != nil {
		return fmt.Errorf("before starting a new journal: %w", err)
	}
	if len(old) > 0 {
		return &unsentBesideError{path: path, old: old}
	}
	return nil
}
