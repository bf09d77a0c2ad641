package store

import (
	"fmt"

	"github.com/villagehall/kiosk/kiosk"
)

// IngestTx is what Apply needs of one store transaction that holds the
// kiosk exclusively (boltstore: its write transaction; pgstore: the kiosk's
// row lock). The store implements only reads and writes; every decision is
// Apply's, so the stores cannot drift apart.
type IngestTx interface {
	// State is the journal's state and whether it is held.
	State() (JournalState, bool, error)
	// Held returns the link of the record held at seq of the journal.
	Held(seq uint64) (Link, bool)
	PutRecords(st JournalState, recs []kiosk.Record) error
	PutState(st JournalState) error
	// Journals is every journal of the kiosk.
	Journals() ([]JournalState, error)
	// Event is the journal's event, if it has one.
	Event() (Event, bool, error)
	PutEvent(ev Event) error
	// Heartbeats are the kiosk's latest heartbeat and the last one it sent
	// from another journal before it (nil when none).
	Heartbeats() (last, before *Heartbeat, err error)
	RaiseFlag(f Flag) error
}

// Apply is Ingest after the transaction began: Plan, then store what it
// decided, update the journal's state, its event and the flags.
func Apply(tx IngestTx, in Ingest) (Result, error) {
	var res Result
	st, found, err := tx.State()
	if err != nil {
		return res, fmt.Errorf("journal state: %w", err)
	}
	if !found {
		st, res.NewJournal = NewJournal(in.KioskID, in.JournalID, in.At), true
	}
	wasReason := st.Reason
	plan := Plan(in, tx.Held)
	res.Acked, res.Refused, res.Duplicates = plan.Acked, plan.Refused, plan.Duplicates
	if res.NewJournal && len(plan.Put) == 0 {
		// Nothing of an unknown journal was taken: no journal to show,
		// only what staff must look at.
		res.NewJournal, res.Journal = false, st
		return res, raiseAll(tx, plan.Flags)
	}
	for _, r := range plan.Put {
		st.Apply(r, in.At)
	}
	st.LastSeen = in.At
	if in.Signed != nil && len(plan.Refused) == 0 {
		st.Signed = in.Signed
	}
	if err := tx.PutState(st); err != nil {
		return res, err
	}
	if err := tx.PutRecords(st, plan.Put); err != nil {
		return res, err
	}
	flags, err := journalEvent(tx, st, !found, wasReason, in)
	if err != nil {
		return res, err
	}
	res.Stored, res.Journal = len(plan.Put), st
	return res, raiseAll(tx, append(plan.Flags, flags...))
}

// journalEvent makes the event of a journal seen for the first time, or
// fills in its reason once its start record arrives (an import can bring it
// later than the first batch).
func journalEvent(tx IngestTx, st JournalState, isNew bool, wasReason string, in Ingest) ([]Flag, error) {
	if !isNew {
		if wasReason != ReasonUnknown || st.Reason == ReasonUnknown {
			return nil, nil // its event is kept, and its reason stands
		}
		ev, ok, err := tx.Event()
		switch {
		case err != nil:
			return nil, err
		case ok && ev.Reason != ReasonUnknown:
			return nil, nil
		case ok:
			ev.Reason, ev.Created = st.Reason, st.Created
			return nil, tx.PutEvent(ev)
		}
		// A journal held without its event (none is kept without one): make it.
	}
	others, err := tx.Journals()
	if err != nil {
		return nil, err
	}
	ev, flags := JournalEvent(st, others, in.At)
	last, before, err := tx.Heartbeats()
	if err != nil {
		return nil, err
	}
	if f, ok := UnsentAtEnd(st, others, last, before, in.At); ok {
		flags = append(flags, f)
	}
	return flags, tx.PutEvent(ev)
}

func raiseAll(tx IngestTx, flags []Flag) error {
	for _, f := range flags {
		if err := tx.RaiseFlag(f); err != nil {
			return err
		}
	}
	return nil
}
