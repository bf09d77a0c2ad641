// Package sync ships the journal to the town hall's collector and defines
// the JSON wire types both ends share. Import it as ksync: it is not the
// standard library's sync.
package sync

import (
	"time"

	"github.com/villagehall/kiosk/kiosk"
)

// Collector endpoints.
const (
	PathBatch     = "/v1/batch"
	PathHeartbeat = "/v1/heartbeat"
	PathRecords   = "/records"
	PathKiosks    = "/kiosks"
)

// Batch is one upload: consecutive records, oldest first, of one kiosk.
type Batch struct {
	KioskID string         `json:"kiosk_id"`
	Records []kiosk.Record `json:"records"`
}

// Reply answers a batch or a heartbeat. AckedSeq is the highest seq the
// collector holds with every earlier one (the kiosk may release up to it);
// AckedHash is that record's hash so the kiosk can check it is its own.
type Reply struct {
	AckedSeq   uint64    `json:"acked_seq"`
	AckedHash  string    `json:"acked_hash,omitempty"`
	ServerTime time.Time `json:"server_time"`
	Error      string    `json:"error,omitempty"`
}

// Heartbeat is the kiosk's health, sent now and then even with nothing to sync.
type Heartbeat struct {
	KioskID       string    `json:"kiosk_id"`
	ReaderPresent bool      `json:"reader_present"`
	PrinterState  string    `json:"printer_state"`
	JournalDepth  int       `json:"journal_depth"`
	LastSync      time.Time `json:"last_sync"`
	Version       string    `json:"version"`
	Time          time.Time `json:"time"`
}

// Health is what the caller knows about the devices, for heartbeats.
type Health struct {
	ReaderPresent bool
	PrinterState  string // e.g. "ok", "paper_out", "absent", "unknown"
	Version       string
}
