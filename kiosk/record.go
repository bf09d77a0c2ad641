package kiosk

import (
	"context"
	"time"
)

// TxKind is what a resident did.
type TxKind string

const (
	TxStatus     TxKind = "status_check"
	TxChangeAuth TxKind = "change_auth_pin"
	TxChangeSign TxKind = "change_sign_pin"
	TxSignCheck  TxKind = "sign_cert_check"
	TxCardError  TxKind = "card_error"
	TxSystem     TxKind = "system" // kiosk events: journal reset, start-up, …
)

// Outcome is how it ended.
type Outcome string

const (
	OutcomeOK          Outcome = "ok"
	OutcomeWrongPIN    Outcome = "wrong_pin"
	OutcomeLocked      Outcome = "locked"
	OutcomeUnknown     Outcome = "unknown" // sent to the card, no answer came back
	OutcomeCancelled   Outcome = "cancelled"
	OutcomeRemoved     Outcome = "card_removed" // before anything changed
	OutcomeError       Outcome = "error"
	OutcomeNotPossible Outcome = "office_needed"
)

// Record is one journal entry. It holds what staff need and nothing more:
// never a PIN, a name, an address, a birth date or a My Number. A
// certificate appears only as a keyed hash of its serial (CertRef).
type Record struct {
	Seq          uint64    `json:"seq"`  // set by the journal (NextSequence)
	Time         time.Time `json:"time"` // kiosk clock
	ClockTrusted bool      `json:"clock_trusted"`
	KioskID      string    `json:"kiosk_id"`             // set by the journal
	JournalID    string    `json:"journal_id,omitempty"` // set by the journal: which journal file (see JournalIDRe)
	Kind         TxKind    `json:"kind"`
	Outcome      Outcome   `json:"outcome"`
	Card         CardKind  `json:"card,omitempty"`
	Status       string    `json:"status,omitempty"` // verdict code, e.g. "valid", "renewal", "expired"
	CertRef      string    `json:"cert_ref,omitempty"`
	AuthTries    *int      `json:"auth_tries,omitempty"` // tries left after the transaction, when known
	SignTries    *int      `json:"sign_tries,omitempty"`
	Reference    string    `json:"reference,omitempty"` // the slip's reference number
	Detail       string    `json:"detail,omitempty"`    // short machine code, e.g. "printer_out_of_paper"
	// Office is every condition the slip sent the resident to the office
	// for, in the slip's order (OfficeBound codes only). Status alone is
	// the leading condition: a card in date without a signing certificate
	// says "valid" there and no_sign_cert here. Absent on records from
	// before it existed.
	Office   []Code `json:"office,omitempty"`
	PrevHash string `json:"prev_hash"` // hex SHA-256 of the previous record, set by the journal
	Hash     string `json:"hash"`      // hex SHA-256 over this record's canonical form
}

// Journal is the durable outbox. Append returns only after the record is
// on stable storage; it fills Seq, KioskID, JournalID, PrevHash and Hash.
type Journal interface {
	Append(ctx context.Context, r Record) (Record, error)
}

// Printer prints a slip. It reports paper-out and absence as errors
// wrapping ErrPrinterUnavailable so the screen can show the reference instead.
type Printer interface {
	Print(ctx context.Context, s Slip) error
}

// ErrPrinterUnavailable covers paper out, cover open and a missing printer.
var ErrPrinterUnavailable = errorString("printer unavailable")

type errorString string

func (e errorString) Error() string { return string(e) }
