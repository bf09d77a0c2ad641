// Package store is what the collector keeps: every kiosk's journals record
// by record, their chains and gaps, heartbeats, flags for staff, and the
// events of journals being (re-)created. Store is the one storage interface;
// boltstore implements it on one bbolt file. The rules of ingest (what is a
// duplicate, a conflict, a chain break, where the gaps are) live here once,
// in Plan and JournalState.Apply, so every implementation agrees; storetest
// checks an implementation against them.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/villagehall/kiosk/kiosk"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// Store keeps what kiosks send. Every method is safe for concurrent use.
type Store interface {
	// Ingest stores a run of one journal's records (a batch or an import),
	// each once by (kiosk, journal, seq) with its hash: a record already
	// held with the same hash is acknowledged again, never stored twice;
	// one inside a gap closes it. See Plan for what is refused.
	Ingest(ctx context.Context, in Ingest) (Result, error)
	// SaveHeartbeat keeps a kiosk's latest heartbeat.
	SaveHeartbeat(ctx context.Context, hb Heartbeat) error
	// RememberCert keeps a kiosk's client certificate (DER) as seen on a
	// TLS connection, to check the signatures of its exports later.
	RememberCert(ctx context.Context, kioskID string, der []byte, at time.Time) error
	// Certs returns every certificate seen for a kiosk, newest first.
	Certs(ctx context.Context, kioskID string) ([][]byte, error)
	// RaiseFlag keeps f once per condition (Flag.Key): again, it counts
	// up and moves Last.
	RaiseFlag(ctx context.Context, f Flag) error
	// Kiosks returns every kiosk's state, by kiosk ID.
	Kiosks(ctx context.Context) ([]KioskState, error)
	// Kiosk returns one kiosk's state (ErrNotFound when unknown).
	Kiosk(ctx context.Context, kioskID string) (KioskState, error)
	// Journal returns one journal's state (ErrNotFound when unknown).
	Journal(ctx context.Context, kioskID, journalID string) (JournalState, error)
	// Records lists records (see Query).
	Records(ctx context.Context, q Query) ([]kiosk.Record, error)
	// Lookup finds the record a slip's reference number names: normally
	// one; more if two journals of a kiosk share a tag (flagged), or if
	// the record was carried into a diverged journal (its Reference is the
	// slip's number; the old journal may hold another visit there).
	Lookup(ctx context.Context, ref kiosk.Ref) ([]Found, error)
	// StaffLog: the console's marks and audit log.
	StaffLog
	Close() error
}

// ErrNotFound: no such kiosk or journal.
var ErrNotFound = errors.New("not found")

// Source says how records arrived.
type Source string

const (
	SourceSync   Source = "sync"   // a kiosk's batch over HTTPS
	SourceImport Source = "import" // a USB export
)

// Ingest is one run of one journal's records, oldest first. The caller
// has checked who sent it (the TLS certificate, or the export's signature).
type Ingest struct {
	KioskID   string
	JournalID string
	Records   []kiosk.Record
	Source    Source
	// Signed is the kiosk's signature over the run's head, kept as
	// evidence of what the kiosk vouched for (nil: not kept).
	Signed *SignedHead
	At     time.Time
}

// SignedHead is a head a kiosk signed, with where it came from.
type SignedHead struct {
	Head      ksync.Head      `json:"head"`
	Signature ksync.Signature `json:"signature"`
	Source    Source          `json:"source"`
	At        time.Time       `json:"at"`
}

// Result is what Ingest did.
type Result struct {
	Acked      []ksync.Ack     // every record now held with the hash sent (new or already there)
	Refused    []ksync.Refusal // the first record refused, if any (the rest were not looked at)
	Stored     int             // new records
	Duplicates int             // already held, same hash
	Journal    JournalState    // after the ingest
	NewJournal bool            // the first records of this journal
}

// Journal creation reasons, from the record that starts every journal.
const (
	ReasonNewFile = "new_file"            // no file was there: first start, or an SD card re-flashed or replaced
	ReasonCorrupt = "corrupt_moved_aside" // the kiosk found its file unusable and moved it aside
	ReasonLegacy  = "legacy"              // a file from before journal IDs
	// ReasonDiverged: the collector held other records under the old
	// journal's sequence numbers (restored from a backup, a cloned card):
	// the kiosk started this journal and carried its unsent records over.
	ReasonDiverged = "diverged"
	ReasonUnknown  = "unknown" // its start record has not arrived (yet)
)

// Gap is a run of sequence numbers missing from a journal.
type Gap struct {
	From  uint64    `json:"from"`
	To    uint64    `json:"to"`
	Since time.Time `json:"since"` // when the gap was first seen
}

// JournalState is one journal of a kiosk as the collector holds it.
type JournalState struct {
	KioskID   string    `json:"kiosk_id"`
	JournalID string    `json:"journal_id"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	Created   time.Time `json:"created,omitzero"` // the start record's kiosk time
	Reason    string    `json:"reason"`
	Records   int       `json:"records"`
	HeadSeq   uint64    `json:"head_seq"`
	HeadHash  string    `json:"head_hash"`
	// StartSeq is the sequence of the record that starts the chain
	// (PrevHash = genesis), 0 until it arrives: below it nothing is missing.
	StartSeq uint64      `json:"start_seq,omitempty"`
	Gaps     []Gap       `json:"gaps,omitempty"`
	Signed   *SignedHead `json:"signed,omitempty"` // the latest signed head
}

// Complete reports whether every record from the start to the head is held.
func (j JournalState) Complete() bool { return len(j.Gaps) == 0 && j.HeadSeq > 0 }

// Flag kinds: conditions staff must look at.
const (
	FlagBadHash       = ksync.RefusedBadHash    // a record's content does not match its hash
	FlagConflict      = ksync.RefusedConflict   // same (journal, seq), different record
	FlagChainBreak    = ksync.RefusedChainBreak // a record does not link to its neighbour held
	FlagChainStart    = ksync.RefusedChainStart // seq 1 that does not start a chain, or a second start
	FlagForeign       = ksync.RefusedForeign    // a record naming another kiosk or journal
	FlagInvalid       = ksync.RefusedInvalid    // a value off its list, a sequence out of range, a malformed reference
	FlagUnsentAtEnd   = "unsent_at_end"         // a journal ended with records the kiosk reported unsent and the collector lacks
	FlagBadSignature  = "bad_signature"         // a batch or export whose signature does not verify
	FlagTagCollision  = "tag_collision"         // two journals of a kiosk share a reference tag
	FlagUnsignedBatch = "unsigned"              // a batch with no signature
)

// Flag is one condition staff must look at, kept once with a count.
type Flag struct {
	KioskID   string    `json:"kiosk_id"`
	JournalID string    `json:"journal_id,omitempty"`
	Kind      string    `json:"kind"`
	Seq       uint64    `json:"seq,omitempty"`
	Detail    string    `json:"detail"`
	First     time.Time `json:"first"`
	Last      time.Time `json:"last"`
	Count     int       `json:"count"`
}

// Key names the condition: the same kind at the same place is one flag.
func (f Flag) Key() string { return fmt.Sprintf("%s/%s/%d", f.Kind, f.JournalID, f.Seq) }

// Event kinds.
const (
	EventJournalFirst     = "journal_first"     // a kiosk's first journal
	EventJournalRecreated = "journal_recreated" // a known kiosk started a new journal: staff see when and why
)

// Event is something that happened to a kiosk, for staff.
type Event struct {
	Time      time.Time `json:"time"` // when the collector first saw it
	KioskID   string    `json:"kiosk_id"`
	Kind      string    `json:"kind"`
	JournalID string    `json:"journal_id"`
	Reason    string    `json:"reason"`             // Reason… of the journal
	Created   time.Time `json:"created,omitzero"`   // the kiosk's time of the new journal's start record
	Previous  string    `json:"previous,omitempty"` // the journal it replaced (the one seen last)
}

// Heartbeat is a kiosk's heartbeat as received.
type Heartbeat struct {
	HB         ksync.Heartbeat `json:"hb"`
	ReceivedAt time.Time       `json:"received_at"`
}

// KioskState is the staff view of one kiosk.
type KioskState struct {
	KioskID string `json:"kiosk_id"`
	Records int    `json:"records"`  // in every journal
	HeadSeq uint64 `json:"head_seq"` // of the journal seen last
	// JournalID is the journal seen last (the kiosk's current one).
	JournalID     string           `json:"journal_id,omitempty"`
	Journals      []JournalState   `json:"journals,omitempty"`
	LastHeartbeat *ksync.Heartbeat `json:"last_heartbeat,omitempty"`
	HeartbeatAt   time.Time        `json:"heartbeat_received,omitzero"`
	Flags         []Flag           `json:"flags,omitempty"`
	Events        []Event          `json:"events,omitempty"`
}

// Gaps is every gap of every journal of the kiosk.
func (k KioskState) Gaps() int {
	n := 0
	for _, j := range k.Journals {
		n += len(j.Gaps)
	}
	return n
}

// Query selects records. Every field is optional.
type Query struct {
	KioskID   string
	JournalID string // with KioskID: one journal, in sequence order
	AfterSeq  uint64 // with JournalID: start after this sequence (paging)
	From, To  time.Time
	Kind      kiosk.TxKind
	Outcome   kiosk.Outcome
	Limit     int  // 0: all
	Newest    bool // with Limit: the newest Limit records (still returned oldest first)
}

// Match reports whether r passes the query's filters (not its kiosk,
// journal or paging, which pick where to look).
func (q Query) Match(r kiosk.Record) bool {
	return (q.From.IsZero() || !r.Time.Before(q.From)) && (q.To.IsZero() || r.Time.Before(q.To)) &&
		(q.Kind == "" || r.Kind == q.Kind) && (q.Outcome == "" || r.Outcome == q.Outcome)
}

// Found is a record a reference names, with the journal it is in (a record
// from before journal IDs does not say).
type Found struct {
	JournalID string       `json:"journal_id"`
	Record    kiosk.Record `json:"record"`
}
