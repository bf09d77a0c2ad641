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
)

// The console reads the collector's store (store.Store) in the store's own
// types: a kiosk is a store.KioskState, a visit a store.Found, a record's
// identity a store.RecordID. What it adds lives here: the newest-first
// order of its pages, the reading of a typed reference, follow-ups.

// Importer takes a USB export (a directory as `kioskctl journal export`
// writes it) into the store once it has verified it.
type Importer interface {
	Import(ctx context.Context, dir string) (importer.Result, error)
}

// Errors stores and importers return for the console to explain.
var (
	ErrNotFound      = store.ErrNotFound
	ErrBadReference  = errors.New("not a reference number")
	ErrAlreadyMarked = store.ErrAlreadyMarked
)

// FollowUp is a record that needs staff, and its mark once handled.
type FollowUp struct {
	store.Found
	Kind FollowUpKind
	Mark *store.Mark
}

// records lists the records q selects; with q.Newest the newest first, as
// the pages show them (the store lists oldest first).
func records(ctx context.Context, st store.Store, q store.Query) ([]store.Found, error) {
	rs, err := st.Records(ctx, q)
	if err != nil {
		return nil, err
	}
	vs := store.FoundOf(rs)
	if q.Newest {
		slices.Reverse(vs)
	}
	return vs, nil
}

// lookup finds the records a typed reference names; one that does not
// parse is an error wrapping ErrBadReference.
func lookup(ctx context.Context, st store.Store, ref string) ([]store.Found, error) {
	r, err := kiosk.ParseReference(ref)
	if err != nil {
		return nil, errors.Join(ErrBadReference, err)
	}
	return st.Lookup(ctx, r)
}

// FollowUps lists the records in [from, to) that need staff (FollowUpOf),
// newest first, each with its mark if handled: from the store's follow-up
// index, so a period of a million records reads only its follow-ups.
func FollowUps(ctx context.Context, st store.Store, from, to time.Time) ([]FollowUp, error) {
	return followUpsOf(ctx, st, store.FollowUpQuery{From: from, To: to})
}

// followUpsOf lists the follow-ups q selects, each with its mark.
func followUpsOf(ctx context.Context, st store.Store, q store.FollowUpQuery) ([]FollowUp, error) {
	items, err := st.FollowUps(ctx, q)
	if err != nil || len(items) == 0 {
		return nil, err
	}
	// Marks of the items' own span only: a page reads a page's marks.
	ms, err := st.Marks(ctx, items[len(items)-1].Record.Time, items[0].Record.Time.Add(time.Nanosecond))
	if err != nil {
		return nil, err
	}
	marks := map[store.RecordID]store.Mark{}
	for _, m := range ms {
		marks[m.ID()] = m
	}
	out := make([]FollowUp, 0, len(items))
	for _, it := range items {
		f := FollowUp{Found: it.Found, Kind: it.Kind}
		if m, ok := marks[it.ID()]; ok {
			f.Mark = &m
		}
		out = append(out, f)
	}
	return out, nil
}

// Importing takes uploads with the collector's own importer: the export is
// read and checked against its manifest, its signature against what the
// town hall trusts for that kiosk, and only then stored.
func Importing(st store.Store, opts importer.Options) Importer { return dirImporter{st, opts} }

type dirImporter struct {
	st   store.Store
	opts importer.Options
}

func (d dirImporter) Import(ctx context.Context, dir string) (importer.Result, error) {
	ex, err := importer.ReadDir(dir, d.opts)
	if err != nil {
		return importer.Result{}, err
	}
	res, err := importer.Import(ctx, d.st, ex, d.opts)
	if err == nil && len(res.Refused) > 0 {
		err = fmt.Errorf("record %d refused: %s (%d records stored before it)", res.Refused[0].Seq, res.Refused[0].Reason, res.Stored)
	}
	return res, err
}
