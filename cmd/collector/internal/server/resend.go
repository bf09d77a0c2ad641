package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// Missing is what a store restored from a backup lacks of what a kiosk
// says was acknowledged (its AckedPoint): ResendFrom is the first record
// to ask for again (0: nothing to ask), and LostFrom..LostTo the records
// the kiosk no longer keeps (LostFrom 0: none).
type Missing struct {
	ResendFrom       uint64
	LostFrom, LostTo uint64
}

// MissingBelow compares what js holds with the kiosk's point p: every
// sequence up to p.Seq not held (a gap, or beyond the head) is missing.
func MissingBelow(js store.JournalState, p ksync.AckedPoint) Missing {
	var m Missing
	note := func(from, to uint64) {
		to = min(to, p.Seq)
		if from > to {
			return
		}
		if from < p.RetainedFrom {
			if m.LostFrom == 0 || from < m.LostFrom {
				m.LostFrom = from
			}
			m.LostTo = max(m.LostTo, min(to, p.RetainedFrom-1))
			from = p.RetainedFrom
		}
		if from <= to && (m.ResendFrom == 0 || from < m.ResendFrom) {
			m.ResendFrom = from
		}
	}
	for _, g := range js.Gaps {
		note(g.From, g.To)
	}
	note(js.HeadSeq+1, p.Seq)
	return m
}

// resendFrom answers a kiosk's acknowledged point: the first record to
// send again, after raising one follow-up for a range it no longer keeps.
// A point of another journal than the one given asks for nothing.
func (s *Server) resendFrom(ctx context.Context, kioskID, journalID string, p *ksync.AckedPoint, js *store.JournalState) (uint64, error) {
	if p == nil || p.JournalID != journalID || p.Seq == 0 {
		return 0, nil
	}
	if js == nil {
		st, err := s.st.Journal(ctx, kioskID, journalID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			st = store.JournalState{KioskID: kioskID, JournalID: journalID}
		case err != nil:
			return 0, err
		}
		js = &st
	}
	m := MissingBelow(*js, *p)
	if m.LostFrom > 0 {
		now := s.opts.Now().UTC()
		f := store.Flag{KioskID: kioskID, JournalID: journalID, Kind: store.FlagNotRetained, Seq: m.LostFrom, First: now, Last: now,
			Detail: fmt.Sprintf("kiosk %s, journal %s: records %d to %d were acknowledged before this store was restored and the kiosk no longer keeps them (it keeps from %d): get them from a USB export of the kiosk's saved journal copies or from an older backup of this store",
				kioskID, journalID, m.LostFrom, m.LostTo, p.RetainedFrom)}
		if err := s.st.RaiseFlag(ctx, f); err != nil {
			return 0, err
		}
		s.log.Warn("records a kiosk no longer keeps are missing here", "kiosk", kioskID, "journal", journalID, "from", m.LostFrom, "to", m.LostTo)
	}
	if m.ResendFrom > 0 {
		s.log.Warn("this store lacks records a kiosk had acknowledged (a USB export not imported yet, or the store restored from a backup): asking for them again",
			"kiosk", kioskID, "journal", journalID, "resend_from", m.ResendFrom, "acked", p.Seq)
	}
	return m.ResendFrom, nil
}
