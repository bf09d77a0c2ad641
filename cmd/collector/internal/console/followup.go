package console

import (
	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/kiosk"
)

// The rule that picks follow-ups lives in the store (store.FollowUpOf),
// which indexes it at ingest; the console names it here for its pages.

// FollowUpKind is why a record needs staff.
type FollowUpKind = store.FollowUpKind

const (
	FollowUpPINUnknown = store.FollowUpPINUnknown
	FollowUpLocked     = store.FollowUpLocked
	FollowUpOffice     = store.FollowUpOffice
	FollowUpSlip       = store.FollowUpSlip
)

// FollowUpOf says whether r needs staff and why (store.FollowUpOf).
func FollowUpOf(r kiosk.Record) (FollowUpKind, bool) { return store.FollowUpOf(r) }
