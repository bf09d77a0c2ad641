package kiosk

import (
	"fmt"
	"slices"
)

// MaxSeq bounds a journal's sequence numbers: a record a second for 136
// years. A record beyond it is refused on arrival, so no gap can reach to
// 2^64 and no Seq+1 can wrap.
const MaxSeq = 1<<32 - 1

// The values a record's fixed-list fields may take; the collector refuses
// any other on arrival.
var (
	TxKinds   = []TxKind{TxStatus, TxChangeAuth, TxChangeSign, TxSignCheck, TxCardError, TxSystem}
	Outcomes  = []Outcome{OutcomeOK, OutcomeWrongPIN, OutcomeLocked, OutcomeUnknown, OutcomeCancelled, OutcomeRemoved, OutcomeError, OutcomeNotPossible}
	CardKinds = []CardKind{CardMyNumber, CardJuki, CardUnknown}
	Codes     = []Code{CodeValid, CodeRenewal, CodeExpired, CodeNotYetValid, CodeDateUnknown, CodeCertBad,
		CodeAuthLocked, CodeSignLocked, CodeAuthLastTry, CodeSignLastTry, CodeNoAuthCert, CodeNoSignCert, CodeJuki,
		CodeNotJPKI, CodeUnreadable, CodeChangeUnsure, CodePINChanged, CodeWrongPIN, CodeRemoved}
)

// CheckRecord reports the first field of r whose value is not one a kiosk
// writes: a kind, outcome, card or status off its list, a sequence out of
// range, or a slip reference that is not one of this kiosk's.
func CheckRecord(r Record) error {
	switch {
	case r.Seq == 0 || r.Seq > MaxSeq:
		return fmt.Errorf("sequence %d is out of range (1 to %d)", r.Seq, uint64(MaxSeq))
	case !slices.Contains(TxKinds, r.Kind):
		return fmt.Errorf("kind %q is not one of %v", r.Kind, TxKinds)
	case !slices.Contains(Outcomes, r.Outcome):
		return fmt.Errorf("outcome %q is not one of %v", r.Outcome, Outcomes)
	case r.Card != "" && !slices.Contains(CardKinds, r.Card):
		return fmt.Errorf("card %q is not one of %v", r.Card, CardKinds)
	case r.Status != "" && !slices.Contains(Codes, Code(r.Status)):
		return fmt.Errorf("status %q is not a verdict code", r.Status)
	}
	if r.Reference != "" {
		ref, err := ParseReference(r.Reference)
		switch {
		case err != nil:
			return fmt.Errorf("reference: %w", err)
		case ref.String() != r.Reference:
			return fmt.Errorf("reference %q is not written as a kiosk writes it (%s)", r.Reference, ref)
		case ref.KioskID != r.KioskID:
			return fmt.Errorf("reference %q names another kiosk", r.Reference)
		}
	}
	return nil
}
