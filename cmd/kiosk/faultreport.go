package main

import (
	"context"
	"io"
	"log/slog"
	"strings"

	"github.com/villagehall/kiosk/kiosk"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
	"github.com/villagehall/kiosk/kiosk/update"
)

// faultReport is what runs beside the cannot-start screen: heartbeats that
// tell the town hall why this kiosk did not start (no journal is open, so
// otherwise it would only fall silent there). nil when nothing can be
// sent: sync off, or its settings unusable (no collector, no certificate
// to present, or another kiosk's). log gets what is decided now; runLog
// what the heartbeats meet later.
func faultReport(kioskID string, sc kiosk.SyncConfig, f ksync.FaultStatus, log, runLog *slog.Logger) func(context.Context) {
	if !sc.Enabled() {
		return nil
	}
	_, client, err := syncClient(kioskID, sc)
	if err != nil {
		log.Warn("cannot tell the town hall why the kiosk did not start", "err", err)
		return nil
	}
	urls := sc.URLs()
	r, err := ksync.NewFaultReporter(ksync.Config{BaseURL: urls[0], MoreURLs: urls[1:], Client: client, KioskID: kioskID, Logger: runLog,
		Health: func() ksync.Health {
			return ksync.Health{Version: version, Update: updateStatus(update.DefaultStateDir)}
		}}, f)
	if err != nil {
		log.Warn("cannot tell the town hall why the kiosk did not start", "err", err)
		return nil
	}
	log.Info("telling the town hall why the kiosk did not start", "collector", strings.Join(urls, " then "), "fault", f.Kind)
	return func(ctx context.Context) { _ = r.Run(ctx) }
}

// configFaultReport is faultReport for a configuration that did not load:
// only when its kiosk ID and sync section are sound by themselves
// (kiosk.SyncSettings) is anything sent, and then only the names of the
// fields to fix. There is no log file (its place is in the configuration):
// what is decided goes to stderr before the screen takes the terminal,
// and the heartbeats' failures nowhere, lest they draw over the screen.
func configFaultReport(path string, lines []string, stderr io.Writer) func(context.Context) {
	log := slog.New(slog.NewTextHandler(stderr, nil))
	id, sc, err := kiosk.SyncSettings(path)
	if err != nil {
		log.Info("the town hall is not told why the kiosk did not start: the sync settings are not usable either", "err", err)
		return nil
	}
	f := ksync.FaultStatus{Kind: ksync.FaultConfig, Fields: kiosk.NewCannotStart(lines).Fields}
	if len(f.Fields) > 32 {
		f.Fields = f.Fields[:32]
	}
	return faultReport(id, sc, f, log, slog.New(slog.DiscardHandler))
}

// fault is the old-journal refusal as the heartbeat says it: files and
// counts, never records.
func (e *unsentBesideError) fault() ksync.FaultStatus {
	f := ksync.FaultStatus{Kind: ksync.FaultOldJournal}
	for _, u := range e.old {
		f.Journals = append(f.Journals, ksync.FaultJournal{Path: u.Path, KioskID: u.KioskID, JournalID: u.JournalID, Unsent: u.Records})
	}
	if len(f.Journals) > 32 {
		f.Journals = f.Journals[:32]
	}
	return f
}
