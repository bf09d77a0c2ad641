// Package sync ships the journal to the town hall's collector and defines
// what both ends share: the JSON wire types, the signed chain head and the
// USB export format. Import it as ksync: it is not the standard library's
// sync.
package sync

import (
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

// Refusal says why the collector would not take a record.
type Refusal struct {
	Seq    uint64 `json:"seq"`
	Reason string `json:"reason"`
}

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
}

// Device names and states in a heartbeat's Devices.
const (
	DeviceReader  = "reader"
	DevicePrinter = "printer"
	DeviceKeypad  = "keypad"
	DeviceTouch   = "touch"

	StateOK       = "ok"
	StateAbsent   = "absent"
	StatePaperOut = "paper_out"
	StateStalled  = "stalled"
	StateUnknown  = "unknown"
	StateError    = "error"
)

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
