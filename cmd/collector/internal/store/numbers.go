package store

import (
	"context"
	"time"

	"github.com/villagehall/kiosk/kiosk"
)

// Numbers is what the console counts: visits per kiosk and day, and a
// kiosk's history of device states and sync.
type Numbers interface {
	// VisitCounts counts the visits (VisitKinds) with kiosk time in
	// [from, to), per kiosk and JST calendar day.
	VisitCounts(ctx context.Context, from, to time.Time) ([]DayCount, error)
	// AddHistory keeps one change of a kiosk's state (see History).
	AddHistory(ctx context.Context, h HistoryEntry) error
	// History returns a kiosk's changes, newest first, at most limit.
	History(ctx context.Context, kioskID string, limit int) ([]HistoryEntry, error)
}

// ActViewVisits: staff read the visit counts.
const ActViewVisits = "view_visits"

// VisitKinds are the records that start a resident's visit: each card
// read makes one status check, or a card error when it cannot be read.
// PIN changes and signing checks happen within such a visit.
var VisitKinds = []kiosk.TxKind{kiosk.TxStatus, kiosk.TxCardError}

// DayCount is one kiosk's visits on one JST day.
type DayCount struct {
	KioskID string `json:"kiosk_id"`
	Day     string `json:"day"` // 2026-11-25, JST
	Visits  int    `json:"visits"`
}

// DayOf is t's JST calendar day as DayCount writes it.
func DayOf(t time.Time) string { return t.In(kiosk.JST()).Format(time.DateOnly) }

// History kinds.
const (
	HistoryDevice = "device" // a device changed state (Device, State, Detail)
	HistorySilent = "silent" // no heartbeat from Since to Time
	HistorySync   = "sync"   // the kiosk's sync started failing (Detail) or works again ("")
)

// HistoryEntry is one change in a kiosk's state, as its heartbeats showed.
type HistoryEntry struct {
	KioskID string    `json:"kiosk_id"`
	Time    time.Time `json:"time"` // when the collector saw it
	Kind    string    `json:"kind"`
	Device  string    `json:"device,omitempty"`
	State   string    `json:"state,omitempty"`
	Detail  string    `json:"detail,omitempty"`
	// Since: for a device, in that state since (the kiosk's word); for
	// silence, the last heartbeat before it.
	Since time.Time `json:"since,omitzero"`
}
