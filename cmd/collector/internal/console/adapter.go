package console

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/importer"
	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/kiosk"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// FromStore is the console's view of the collector's store (either
// implementation): the same data, in the shapes the pages need.
func FromStore(st store.Store) Store { return storeView{st} }

type storeView struct{ st store.Store }

func (s storeView) Kiosks(ctx context.Context) ([]Kiosk, error) {
	ks, err := s.st.Kiosks(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Kiosk, len(ks))
	for i, k := range ks {
		out[i] = kioskOf(k)
	}
	return out, nil
}

func (s storeView) Kiosk(ctx context.Context, id string) (Kiosk, error) {
	k, err := s.st.Kiosk(ctx, id)
	if err != nil {
		return Kiosk{}, err
	}
	return kioskOf(k), nil
}

// kioskOf turns the store's kiosk state and last heartbeat into the page's.
func kioskOf(k store.KioskState) Kiosk {
	out := Kiosk{ID: k.KioskID, HeartbeatAt: k.HeartbeatAt, JournalDepth: -1, Records: k.Records}
	if hb := k.LastHeartbeat; hb != nil {
		out.Version, out.KioskTime, out.JournalDepth, out.LastSync = hb.Version, hb.Time, hb.JournalDepth, hb.LastSync
		if !hb.Sync.LastSuccess.IsZero() {
			out.LastSync = hb.Sync.LastSuccess
		}
		out.SyncError, out.Update = hb.Sync.LastError, hb.Update
		for _, d := range hb.Devices {
			out.Devices = append(out.Devices, d)
		}
		if len(hb.Devices) == 0 {
			// A kiosk from before the device list: what its heartbeat said.
			reader := ksync.StateAbsent
			if hb.ReaderPresent {
				reader = ksync.StateOK
			}
			printer := hb.PrinterState
			if printer == "" {
				printer = ksync.StateUnknown
			}
			out.Devices = []ksync.DeviceHealth{{Name: ksync.DeviceReader, State: reader}, {Name: ksync.DevicePrinter, State: printer}}
		}
	}
	out.CurrentJournal, out.Journals, out.Events, out.Flags = k.JournalID, k.Journals, k.Events, k.Flags
	return out
}

// journalOf is the journal a stored record is in: records from before
// journal IDs carry none and live in the kiosk's legacy journal.
func journalOf(r kiosk.Record) string {
	if r.JournalID == "" {
		return kiosk.LegacyJournalID
	}
	return r.JournalID
}

func visits(rs []kiosk.Record) []Visit {
	out := make([]Visit, len(rs))
	for i, r := range rs {
		out[i] = Visit{JournalID: journalOf(r), Record: r}
	}
	return out
}

func (s storeView) Records(ctx context.Context, q store.Query) ([]Visit, error) {
	rs, err := s.st.Records(ctx, q)
	if err != nil {
		return nil, err
	}
	vs := visits(rs)
	if q.Newest {
		slices.Reverse(vs) // the store lists oldest first; the pages show the newest on top
	}
	return vs, nil
}

func (s storeView) Lookup(ctx context.Context, ref string) ([]Visit, error) {
	r, err := kiosk.ParseReference(ref)
	if err != nil {
		return nil, errors.Join(ErrBadReference, err)
	}
	fs, err := s.st.Lookup(ctx, r)
	if err != nil {
		return nil, err
	}
	out := make([]Visit, len(fs))
	for i, f := range fs {
		out[i] = Visit{JournalID: f.JournalID, Record: f.Record}
	}
	return out, nil
}

// FollowUps reads the period's records and keeps those FollowUpOf names.
func (s storeView) FollowUps(ctx context.Context, from, to time.Time) ([]FollowUp, error) {
	rs, err := s.st.Records(ctx, store.Query{From: from, To: to})
	if err != nil {
		return nil, err
	}
	ms, err := s.st.Marks(ctx, from, to)
	if err != nil {
		return nil, err
	}
	marks := map[RecordID]store.Mark{}
	for _, m := range ms {
		marks[RecordID{m.KioskID, m.JournalID, m.Seq}] = m
	}
	var out []FollowUp
	for i := len(rs) - 1; i >= 0; i-- {
		v := Visit{JournalID: journalOf(rs[i]), Record: rs[i]}
		k, ok := FollowUpOf(v.Record)
		if !ok {
			continue
		}
		f := FollowUp{Visit: v, Kind: k}
		if m, ok := marks[v.ID()]; ok {
			f.Mark = &m
		}
		out = append(out, f)
	}
	return out, nil
}

func (s storeView) Mark(ctx context.Context, m store.Mark) (store.Mark, error) {
	return s.st.Mark(ctx, m)
}

func (s storeView) MarkOf(ctx context.Context, id RecordID) (*store.Mark, error) {
	return s.st.MarkOf(ctx, id.KioskID, id.JournalID, id.Seq)
}

func (s storeView) AppendAudit(ctx context.Context, e store.AuditEntry) (store.AuditEntry, error) {
	return s.st.AppendAudit(ctx, e)
}

func (s storeView) Audit(ctx context.Context, afterSeq uint64, limit int) ([]store.AuditEntry, error) {
	return s.st.Audit(ctx, afterSeq, limit)
}

// Importing takes uploads with the collector's own importer: the export is
// read and checked against its manifest, its signature against what the
// town hall trusts for that kiosk, and only then stored.
func Importing(st store.Store, opts importer.Options) Importer { return dirImporter{st, opts} }

type dirImporter struct {
	st   store.Store
	opts importer.Options
}

func (d dirImporter) Import(ctx context.Context, dir string) (ImportResult, error) {
	ex, err := importer.ReadDir(dir, d.opts)
	if err != nil {
		return ImportResult{}, err
	}
	res, err := importer.Import(ctx, d.st, ex, d.opts)
	out := ImportResult{KioskID: res.KioskID, JournalID: res.JournalID, Records: res.Records, Stored: res.Stored,
		Duplicates: res.Duplicates, FirstSeq: ex.Manifest.FirstSeq, LastSeq: ex.Manifest.LastSeq}
	if err == nil && len(res.Refused) > 0 {
		err = fmt.Errorf("record %d refused: %s (%d records stored before it)", res.Refused[0].Seq, res.Refused[0].Reason, res.Stored)
	}
	return out, err
}
