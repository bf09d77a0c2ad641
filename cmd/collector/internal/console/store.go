package console

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/kiosk"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// Store is what the console needs of the collector's store: what kiosks
// sent (read only), and the two things staff write — follow-up marks and
// the audit log, both append-only. Every method is safe for concurrent use.
type Store interface {
	// Kiosks returns every kiosk the collector has heard of, by ID.
	Kiosks(ctx context.Context) ([]Kiosk, error)
	// Kiosk returns one kiosk (ErrNotFound when unknown).
	Kiosk(ctx context.Context, id string) (Kiosk, error)
	// Records lists the records q selects: the store's query, whose
	// default is oldest first from the start (or from AfterSeq in one
	// journal); with q.Newest the newest q.Limit, listed newest first.
	Records(ctx context.Context, q store.Query) ([]Visit, error)
	// Lookup finds the record a slip's reference number names (normally
	// one). A reference that does not parse is an error wrapping
	// ErrBadReference.
	Lookup(ctx context.Context, ref string) ([]Visit, error)
	// FollowUps lists the records in [from, to) that need staff (see
	// FollowUpOf), newest first, each with its mark if handled.
	FollowUps(ctx context.Context, from, to time.Time) ([]FollowUp, error)
	// Mark records that staff handled a follow-up. A second mark of the
	// same record is refused with ErrAlreadyMarked and the first one kept.
	Mark(ctx context.Context, m store.Mark) (store.Mark, error)
	// MarkOf returns the mark of a record, nil when it has none.
	MarkOf(ctx context.Context, id RecordID) (*store.Mark, error)
	// AppendAudit appends e to the audit log, sealed after the entry
	// before it (store.SealAudit) in one transaction: one unbroken chain.
	AppendAudit(ctx context.Context, e store.AuditEntry) (store.AuditEntry, error)
	// Audit returns the entries after seq afterSeq, oldest first, at most
	// limit (0: all).
	Audit(ctx context.Context, afterSeq uint64, limit int) ([]store.AuditEntry, error)
}

// Importer takes a USB export (a directory as `kioskctl journal export`
// writes it) into the store once it has verified it.
type Importer interface {
	Import(ctx context.Context, dir string) (ImportResult, error)
}

// ImportResult is what an import did.
type ImportResult struct {
	KioskID    string `json:"kiosk_id"`
	JournalID  string `json:"journal_id"`
	Records    int    `json:"records"`    // in the export
	Stored     int    `json:"stored"`     // new at the town hall
	Duplicates int    `json:"duplicates"` // already held
	FirstSeq   uint64 `json:"first_seq"`
	LastSeq    uint64 `json:"last_seq"`
}

// Errors stores and importers return for the console to explain.
var (
	ErrNotFound      = store.ErrNotFound
	ErrBadReference  = errors.New("not a reference number")
	ErrAlreadyMarked = store.ErrAlreadyMarked
)

// RecordID names one stored record: its kiosk, journal and sequence.
type RecordID struct {
	KioskID   string
	JournalID string
	Seq       uint64
}

func (id RecordID) String() string { return fmt.Sprintf("%s/%s/%d", id.KioskID, id.JournalID, id.Seq) }

// ParseRecordID reads what String wrote.
func ParseRecordID(s string) (RecordID, error) {
	parts := strings.Split(s, "/")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return RecordID{}, fmt.Errorf("record %q: want KIOSK/JOURNAL/SEQ", s)
	}
	seq, err := strconv.ParseUint(parts[2], 10, 64)
	if err != nil || seq == 0 {
		return RecordID{}, fmt.Errorf("record %q: bad sequence", s)
	}
	return RecordID{KioskID: parts[0], JournalID: parts[1], Seq: seq}, nil
}

// Visit is one stored record with the journal it is in.
type Visit struct {
	JournalID string       `json:"journal_id"`
	Record    kiosk.Record `json:"record"`
}

// ID is the record's identity at the town hall.
func (v Visit) ID() RecordID {
	return RecordID{KioskID: v.Record.KioskID, JournalID: v.JournalID, Seq: v.Record.Seq}
}

// Reference is the number printed on the record's slip.
func (v Visit) Reference() string {
	return kiosk.ReferenceOf(v.Record)
}

// Kiosk is the staff view of one kiosk.
type Kiosk struct {
	ID          string
	Version     string
	HeartbeatAt time.Time // when the last heartbeat arrived; zero: never
	KioskTime   time.Time // the kiosk's clock in that heartbeat
	Devices     []ksync.DeviceHealth
	// JournalDepth is how many records wait on the kiosk (-1: unknown).
	JournalDepth int
	LastSync     time.Time
	SyncError    string // the kiosk's last sync error, "" when it works
	Records      int    // held at the town hall, every journal
	// Update is the last A/B update the kiosk reported; nil: none.
	Update *ksync.UpdateStatus
	// CurrentJournal is the journal the kiosk writes now (seen last).
	CurrentJournal string
	Journals       []store.JournalState
	Events         []store.Event
	Flags          []store.Flag
}

// FollowUp is a record that needs staff, and its mark once handled.
type FollowUp struct {
	Visit
	Kind FollowUpKind
	Mark *store.Mark
}
