package store

import (
	"context"
	"slices"
	"time"

	"github.com/villagehall/kiosk/kiosk"
)

// Follow-ups are the records staff must act on. The rule that picks them
// (FollowUpOf) lives here, beside the stores that index it at ingest, so
// the console's pages, its print view and the alerts' summary read a
// bounded index instead of classifying every record of a period.

// FollowUpKind is why a record needs staff.
type FollowUpKind string

const (
	// FollowUpPINUnknown: a PIN change was sent to the card and no answer
	// came back — the resident does not know which PIN is valid now.
	FollowUpPINUnknown FollowUpKind = "pin_change_unknown"
	// FollowUpLocked: a PIN is locked; only the office can reset it.
	FollowUpLocked FollowUpKind = "pin_locked"
	// FollowUpOffice: any other state the kiosk sends to the office
	// (expired, renewal window open, 住基カード, unreadable card, …).
	FollowUpOffice FollowUpKind = "office"
	// FollowUpSlip: the slip for a visit could not be printed; the
	// resident may come without a reference number.
	FollowUpSlip FollowUpKind = "slip_not_printed"
)

// FollowUpKinds is every kind, in the order the counter works through them.
var FollowUpKinds = []FollowUpKind{FollowUpLocked, FollowUpPINUnknown, FollowUpOffice, FollowUpSlip}

// FollowUpOf says whether r needs staff and why. The office-bound states
// are the kiosk's own (kiosk.OfficeBound), so the console and the slip the
// resident holds can never disagree.
func FollowUpOf(r kiosk.Record) (FollowUpKind, bool) {
	if r.Kind == kiosk.TxSystem {
		if (r.Detail == kiosk.DetailPrinterUnavailable || r.Detail == kiosk.DetailPrinterError) && r.Reference != "" {
			return FollowUpSlip, true
		}
		return "", false
	}
	// Every condition the slip named counts, not only the leading status:
	// a card in date without a signing certificate records "valid" with
	// no_sign_cert among its office conditions.
	switch {
	case r.Outcome == kiosk.OutcomeUnknown || hasOffice(r, kiosk.CodeChangeUnsure):
		return FollowUpPINUnknown, true
	case r.Outcome == kiosk.OutcomeLocked || hasOffice(r, kiosk.CodeAuthLocked, kiosk.CodeSignLocked) ||
		noTries(r.AuthTries) || noTries(r.SignTries):
		// A wrong PIN that spent the last try locks it as surely as a
		// locked status: the resident's next visit is to the office.
		return FollowUpLocked, true
	case len(OfficeConditions(r)) > 0:
		return FollowUpOffice, true
	}
	return "", false
}

func noTries(p *int) bool { return p != nil && *p == 0 }

// OfficeConditions is every condition r's slip sent the resident to the
// office for. A record from before the kiosk listed them (Record.Office)
// has only its leading status, when that needs the office.
func OfficeConditions(r kiosk.Record) []kiosk.Code {
	if len(r.Office) > 0 {
		return r.Office
	}
	if c := kiosk.Code(r.Status); r.Kind != kiosk.TxSystem && kiosk.OfficeBound(c) {
		return []kiosk.Code{c}
	}
	return nil
}

// hasOffice reports whether r's status or slip names any of codes.
func hasOffice(r kiosk.Record, codes ...kiosk.Code) bool {
	for _, c := range codes {
		if kiosk.Code(r.Status) == c || slices.Contains(r.Office, c) {
			return true
		}
	}
	return false
}

// FollowUpIndex lists follow-ups from the index the store keeps at ingest.
type FollowUpIndex interface {
	// FollowUps lists the follow-ups q selects, newest first (by time,
	// then kiosk, journal, sequence, all descending), at most q.Limit
	// (0: all).
	FollowUps(ctx context.Context, q FollowUpQuery) ([]FollowUpItem, error)
	// FollowUpCounts counts the follow-ups q selects by kind (q.Limit is
	// ignored), from the index alone.
	FollowUpCounts(ctx context.Context, q FollowUpQuery) (map[FollowUpKind]int, error)
}

// FollowUpQuery selects follow-ups in [From, To).
type FollowUpQuery struct {
	From, To time.Time
	Kind     FollowUpKind    // "": every kind
	Unmarked bool            // only those no staff has marked handled
	After    *FollowUpCursor // only those after it (older, or the same time and a smaller identity)
	Limit    int
}

// FollowUpCursor is a place in the newest-first order of follow-ups.
type FollowUpCursor struct {
	Time time.Time
	ID   RecordID
}

// FollowUpItem is one follow-up from the index.
type FollowUpItem struct {
	Found
	Kind FollowUpKind
}
