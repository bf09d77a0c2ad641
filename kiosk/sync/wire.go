// Package sync ships the journal to the town hall's collector and defines
// what both ends share: the JSON wire types, the signed chain head and the
// USB export format. Import it as ksync: it is not the standard library's
// sync.
package sync

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
)

// Collector endpoints, appended to the collector's base URL (one form, see
// kiosk.CheckCollectorURL). Kiosks post to /v1/…; the rest is for staff.
const (
	PathBatch     = "/v1/batch"
	PathHeartbeat = "/v1/heartbeat"
	PathImport    = "/v1/import" // staff: a USB export
	PathRecords   = "/records"
	PathKiosks    = "/kiosks"
	PathLookup    = "/lookup" // staff: a reference number → its record
)

// Batch is one upload: consecutive records of one journal, oldest first,
// and the kiosk's signature over their chain head (Head).
type Batch struct {
	KioskID   string         `json:"kiosk_id"`
	JournalID string         `json:"journal_id"`
	Records   []kiosk.Record `json:"records"`
	Signature *Signature     `json:"signature,omitempty"`
	// Acked is the journal's acknowledged point (protocol 2: sent only to
	// a collector whose replies say it takes it; see resend.go).
	Acked *AckedPoint `json:"acked,omitempty"`
}

// Head is what the batch's signature covers.
func (b Batch) Head() Head {
	h := Head{Purpose: PurposeBatch, KioskID: b.KioskID, JournalID: b.JournalID, Count: len(b.Records)}
	if n := len(b.Records); n > 0 {
		h.FirstSeq, h.PrevHash = b.Records[0].Seq, b.Records[0].PrevHash
		h.LastSeq, h.HeadHash = b.Records[n-1].Seq, b.Records[n-1].Hash
	}
	return h
}

// Ack says the collector holds the record with this sequence and hash (in
// the journal the reply names).
type Ack = journal.Ack

// Refusal says why the collector would not take a record. Code says what
// kind of refusal it is, for the kiosk to act on (Refused…; empty from a
// collector before codes).
type Refusal struct {
	Seq    uint64 `json:"seq"`
	Reason string `json:"reason"`
	Code   string `json:"code,omitempty"`
}

// Refusal codes. RefusedConflict and RefusedChainBreak mean the journal has
// diverged from what the collector holds (a kiosk restored from a backup, a
// cloned card): the record can never be taken in this journal, and the
// kiosk carries it into a new one (journal.Diverge).
const (
	RefusedConflict   = "conflict"       // the collector holds another record at this (journal, seq)
	RefusedChainBreak = "chain_break"    // it does not link to the neighbour the collector holds
	RefusedChainStart = "chain_start"    // seq 1 that does not start a chain, or a second start
	RefusedBadHash    = "bad_hash"       // its content does not match its hash
	RefusedForeign    = "foreign_record" // it names another kiosk or journal
	RefusedInvalid    = "invalid"        // a value off its list, a sequence out of range, a malformed reference
)

// Reply answers a batch or a heartbeat. For a batch, Acked lists every
// record of it the collector now holds, new or already there, by sequence
// and hash; the kiosk releases a record only when it finds itself there
// with its own hash, in its own journal. Refused says why the others were
// not taken.
type Reply struct {
	JournalID  string    `json:"journal_id,omitempty"`
	Acked      []Ack     `json:"acked,omitempty"`
	Refused    []Refusal `json:"refused,omitempty"`
	ServerTime time.Time `json:"server_time"`
	Error      string    `json:"error,omitempty"`
	// Protocol is the newest body version the collector takes (0: 1).
	Protocol int `json:"protocol,omitempty"`
	// ResendFrom: the collector lacks this journal's acknowledged records
	// from here (restored from a backup): the kiosk sends them again from
	// its retained records, up to its acknowledged point.
	ResendFrom uint64 `json:"resend_from,omitempty"`
}

// HeaderNextAfter on a full page of one journal's records (staff API,
// PathRecords) is the after= of the next page; a page without it is the
// last.
const HeaderNextAfter = "Collector-Next-After"

// HeaderRefused on a 403 answer says why the collector refuses the
// client's certificate although TLS took it: RefusedRevoked (the town hall
// revoked it).
const (
	HeaderRefused  = "Collector-Refused"
	RefusedRevoked = "certificate-revoked"
)

// Device names and states in a heartbeat's Devices.
const (
	DeviceReader  = "reader"
	DevicePrinter = "printer"
	DeviceKeypad  = "keypad"
	DeviceTouch   = "touch"

	StateOK        = "ok"
	StateAbsent    = "absent"
	StatePaperOut  = "paper_out"
	StateCoverOpen = "cover_open"
	StateOffline   = "offline"
	StateStalled   = "stalled"
	StateStuck     = "stuck" // a key held down (keypad)
	StateUnknown   = "unknown"
	StateError     = "error"
	StateNone      = "none" // not configured (printer_state)
)

// The names and states a heartbeat may carry; the collector refuses others.
var (
	DeviceNames  = []string{DeviceReader, DevicePrinter, DeviceKeypad, DeviceTouch}
	DeviceStates = []string{StateOK, StateAbsent, StatePaperOut, StateCoverOpen, StateOffline, StateStalled, StateStuck,
		StateUnknown, StateError, StateNone}
)

// Check reports the first value of hb off its list: a device name or
// state, the printer's state, or a journal ID that is not one.
func (hb Heartbeat) Check() error {
	if hb.JournalID != "" && !kiosk.ValidJournalID(hb.JournalID) {
		return fmt.Errorf("journal ID %q is not one", hb.JournalID)
	}
	if hb.PrinterState != "" && !slices.Contains(DeviceStates, hb.PrinterState) {
		return fmt.Errorf("printer_state %q is not one of %v", hb.PrinterState, DeviceStates)
	}
	for i, d := range hb.Devices {
		switch {
		case !slices.Contains(DeviceNames, d.Name):
			return fmt.Errorf("devices[%d]: name %q is not one of %v", i, d.Name, DeviceNames)
		case !slices.Contains(DeviceStates, d.State):
			return fmt.Errorf("devices[%d] (%s): state %q is not one of %v", i, d.Name, d.State, DeviceStates)
		}
	}
	if hb.Sync.Unsent < 0 || hb.JournalDepth < 0 || hb.Sync.HeadSeq > kiosk.MaxSeq {
		return errors.New("unsent, journal_depth or head_seq out of range")
	}
	if hb.Fault != nil {
		return hb.Fault.check()
	}
	return nil
}

// DeviceHealth is one device as the kiosk sees it.
type DeviceHealth struct {
	Name   string    `json:"name"`  // DeviceReader, DevicePrinter, …
	State  string    `json:"state"` // StateOK, StateAbsent, …
	Detail string    `json:"detail,omitempty"`
	Since  time.Time `json:"since,omitzero"` // in this state since (the syncer fills it when the device layer does not)
}

// SyncHealth is how the upload is going: staff see a stuck kiosk by it.
type SyncHealth struct {
	journal.SyncState
	// HeadSeq is the journal's newest sequence: the unsent records are the
	// Unsent up to it, so the collector can tell which it lacks when the
	// journal ends.
	HeadSeq      uint64    `json:"head_seq,omitempty"`
	Unsent       int       `json:"unsent"`
	OldestUnsent time.Time `json:"oldest_unsent,omitzero"`
}

// Heartbeat is the kiosk's health, sent now and then even with nothing to sync.
type Heartbeat struct {
	KioskID       string         `json:"kiosk_id"`
	JournalID     string         `json:"journal_id,omitempty"`
	ReaderPresent bool           `json:"reader_present"`
	PrinterState  string         `json:"printer_state"`
	Devices       []DeviceHealth `json:"devices,omitempty"`
	JournalDepth  int            `json:"journal_depth"`
	LastSync      time.Time      `json:"last_sync"`
	Sync          SyncHealth     `json:"sync"`
	Version       string         `json:"version"`
	Update        *UpdateStatus  `json:"update,omitempty"`
	Time          time.Time      `json:"time"`
	Acked         *AckedPoint    `json:"acked,omitempty"` // protocol 2, as in Batch
	// Fault: the kiosk is up on its cannot-start screen, and why (no
	// journal is open, so nothing else of it reaches the town hall).
	Fault *FaultStatus `json:"fault,omitempty"`
}

// Fault kinds: what keeps a kiosk on its cannot-start screen.
const (
	FaultOldJournal = "old_journal" // an older journal beside the configured one holds unsent records
	FaultConfig     = "config"      // its configuration has a mistake outside the sync section
)

// FaultStatus says why the kiosk cannot start, in what staff act on:
// journal files and counts, configuration field names. Never record
// content or a value from the configuration.
type FaultStatus struct {
	Kind     string         `json:"kind"`
	Journals []FaultJournal `json:"journals,omitempty"` // FaultOldJournal
	Fields   []string       `json:"fields,omitempty"`   // FaultConfig: the fields to fix
}

// FaultJournal is an older journal that waits to be exported.
type FaultJournal struct {
	Path      string `json:"path"`
	KioskID   string `json:"kiosk_id,omitempty"`
	JournalID string `json:"journal_id,omitempty"`
	Unsent    int    `json:"unsent"`
}

// Unsent is how many records the fault's journals hold unsent.
func (f FaultStatus) Unsent() int {
	n := 0
	for _, j := range f.Journals {
		n += j.Unsent
	}
	return n
}

// maxFaultItems bounds a fault's lists (a heartbeat is at most 64 KB).
const maxFaultItems = 32

func (f FaultStatus) check() error {
	if f.Kind != FaultOldJournal && f.Kind != FaultConfig {
		return fmt.Errorf("fault kind %q is not one of %v", f.Kind, []string{FaultOldJournal, FaultConfig})
	}
	if len(f.Journals) > maxFaultItems || len(f.Fields) > maxFaultItems {
		return fmt.Errorf("fault lists more than %d journals or fields", maxFaultItems)
	}
	for i, j := range f.Journals {
		if j.Unsent < 0 || j.Path == "" || len(j.Path) > 1024 || (j.JournalID != "" && !kiosk.ValidJournalID(j.JournalID)) ||
			(j.KioskID != "" && !kiosk.ValidKioskID(j.KioskID)) {
			return fmt.Errorf("fault journals[%d]: path, kiosk ID, journal ID or unsent count is not one", i)
		}
	}
	for i, fl := range f.Fields {
		if fl == "" || len(fl) > 128 {
			return fmt.Errorf("fault fields[%d] is not a field name", i)
		}
	}
	return nil
}

// UpdateStatus is the kiosk's last A/B update as its updater recorded it
// (kiosk/update's state): what was tried, what is committed, and why an
// update was refused or fell back.
type UpdateStatus struct {
	Phase            string    `json:"phase"` // writing, trying, committed, failed
	Version          string    `json:"version,omitempty"`
	Serial           uint64    `json:"serial,omitempty"`
	CommittedVersion string    `json:"committed_version,omitempty"`
	Reason           string    `json:"reason,omitempty"`
	Detail           string    `json:"detail,omitempty"`
	Source           string    `json:"source,omitempty"`
	At               time.Time `json:"at"`
}

// Health is what the caller knows about the devices, for heartbeats.
type Health struct {
	ReaderPresent bool
	PrinterState  string // e.g. "ok", "paper_out", "absent", "unknown"
	Devices       []DeviceHealth
	Version       string
	Update        *UpdateStatus
}
