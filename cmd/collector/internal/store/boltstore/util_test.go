package boltstore

import (
	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
)

func journalHash(r kiosk.Record) string { return journal.HashRecord(r) }
