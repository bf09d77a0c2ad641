package console

import (
	"github.com/villagehall/kiosk/kiosk"
)

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

// Detail codes of the kiosk's printer notes (kiosk.DetailPrinter…).
var printerNotes = map[string]bool{kiosk.DetailPrinterUnavailable: true, kiosk.DetailPrinterError: true}

// FollowUpOf says whether r needs staff and why. The office-bound states
// are the kiosk's own (kiosk.OfficeBound), so the console and the slip the
// resident holds can never disagree.
func FollowUpOf(r kiosk.Record) (FollowUpKind, bool) {
	if r.Kind == kiosk.TxSystem {
		if printerNotes[r.Detail] && r.Reference != "" {
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
