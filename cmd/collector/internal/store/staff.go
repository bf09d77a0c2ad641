package store

import (
	"context"
	"errors"
	"time"
)

// StaffLog is what staff write into the store through the console: marks
// on follow-ups and the audit log. Both are append-only: neither has an
// update or a delete, here or in any implementation.
type StaffLog interface {
	// Mark records that staff handled a record's follow-up. A record is
	// marked once: a second mark returns the first with ErrAlreadyMarked.
	Mark(ctx context.Context, m Mark) (Mark, error)
	// MarkOf returns a record's mark, nil when it has none.
	MarkOf(ctx context.Context, kioskID, journalID string, seq uint64) (*Mark, error)
	// Marks returns the marks of records whose kiosk time is in [from, to).
	Marks(ctx context.Context, from, to time.Time) ([]Mark, error)
	// AppendAudit seals e after the last entry (SealAudit) and appends it,
	// in one transaction, so the log stays one chain.
	AppendAudit(ctx context.Context, e AuditEntry) (AuditEntry, error)
	// Audit returns the entries after afterSeq, oldest first, at most limit
	// (0: all).
	Audit(ctx context.Context, afterSeq uint64, limit int) ([]AuditEntry, error)
}

// ErrAlreadyMarked: the record's follow-up was marked before.
var ErrAlreadyMarked = errors.New("already marked as handled")

// Mark says staff handled a record's follow-up.
type Mark struct {
	KioskID    string    `json:"kiosk_id"`
	JournalID  string    `json:"journal_id"`
	Seq        uint64    `json:"seq"`
	RecordTime time.Time `json:"record_time"` // the record's kiosk time: marks list by it
	Kind       string    `json:"kind"`        // why it needed staff (console.FollowUpKind)
	By         string    `json:"by"`          // the staff certificate's name
	At         time.Time `json:"at"`
	Note       string    `json:"note,omitempty"`
}
