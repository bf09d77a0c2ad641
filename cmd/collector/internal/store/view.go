package store

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/villagehall/kiosk/kiosk"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
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

// ID is the record's identity at the town hall.
func (f Found) ID() RecordID {
	return RecordID{KioskID: f.Record.KioskID, JournalID: f.JournalID, Seq: f.Record.Seq}
}

// Reference is the number printed on the record's slip.
func (f Found) Reference() string { return kiosk.ReferenceOf(f.Record) }

// MarkID is the record a mark is on.
func (m Mark) ID() RecordID { return RecordID{KioskID: m.KioskID, JournalID: m.JournalID, Seq: m.Seq} }

// JournalOf is the journal a stored record is in: records from before
// journal IDs carry none and live in the kiosk's legacy journal.
func JournalOf(r kiosk.Record) string {
	if r.JournalID == "" {
		return kiosk.LegacyJournalID
	}
	return r.JournalID
}

// FoundOf pairs records with their journals.
func FoundOf(rs []kiosk.Record) []Found {
	out := make([]Found, len(rs))
	for i, r := range rs {
		out[i] = Found{JournalID: JournalOf(r), Record: r}
	}
	return out
}

// What the kiosk's last heartbeat said, read safely when there was none.

// Version is the kiosk's software version ("" before any heartbeat).
func (k KioskState) Version() string {
	if k.LastHeartbeat == nil {
		return ""
	}
	return k.LastHeartbeat.Version
}

// KioskTime is the kiosk's clock in its last heartbeat.
func (k KioskState) KioskTime() time.Time {
	if k.LastHeartbeat == nil {
		return time.Time{}
	}
	return k.LastHeartbeat.Time
}

// JournalDepth is how many records wait on the kiosk (-1: unknown).
func (k KioskState) JournalDepth() int {
	if k.LastHeartbeat == nil {
		return -1
	}
	return k.LastHeartbeat.JournalDepth
}

// LastSync is when the kiosk last synced successfully, as it said.
func (k KioskState) LastSync() time.Time {
	hb := k.LastHeartbeat
	if hb == nil {
		return time.Time{}
	}
	if !hb.Sync.LastSuccess.IsZero() {
		return hb.Sync.LastSuccess
	}
	return hb.LastSync
}

// SyncError is the kiosk's last sync error, "" when it works.
func (k KioskState) SyncError() string {
	if k.LastHeartbeat == nil {
		return ""
	}
	return k.LastHeartbeat.Sync.LastError
}

// Devices is the kiosk's devices as its last heartbeat listed them; for a
// kiosk from before the device list, what that heartbeat said of its
// reader and printer. None before any heartbeat.
func (k KioskState) Devices() []ksync.DeviceHealth {
	hb := k.LastHeartbeat
	if hb == nil {
		return nil
	}
	if len(hb.Devices) > 0 {
		return hb.Devices
	}
	reader := ksync.StateAbsent
	if hb.ReaderPresent {
		reader = ksync.StateOK
	}
	printer := hb.PrinterState
	if printer == "" {
		printer = ksync.StateUnknown
	}
	return []ksync.DeviceHealth{{Name: ksync.DeviceReader, State: reader}, {Name: ksync.DevicePrinter, State: printer}}
}

// Recreations counts the times the kiosk started a new journal.
func (k KioskState) Recreations() int {
	n := 0
	for _, e := range k.Events {
		if e.Kind == EventJournalRecreated {
			n++
		}
	}
	return n
}

// Update is the last A/B update the kiosk reported; nil: none.
func (k KioskState) Update() *ksync.UpdateStatus {
	if k.LastHeartbeat == nil {
		return nil
	}
	return k.LastHeartbeat.Update
}

// Fault is why the kiosk said it cannot start, in its last heartbeat; nil
// when it runs (or said nothing).
func (k KioskState) Fault() *ksync.FaultStatus {
	if k.LastHeartbeat == nil {
		return nil
	}
	return k.LastHeartbeat.Fault
}
