// Package migrate moves a collector's bbolt store into PostgreSQL
// (collector migrate) and proves the copy: every kiosk's records, journal
// by journal, are counted and their hash chains checked in the new store,
// and the audit log's chain and head must be the same as the old one's.
package migrate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/cmd/collector/internal/store/pgstore"
	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
)

// chunk is how many records one load transaction carries.
const chunk = 5000

// Report is what a migration moved.
type Report struct {
	Kiosks, Journals, Records, Flags, Events, Marks, AuditEntries int
	AuditHead                                                     string
}

// Run copies src into dst, which must be empty (or hold a migration that
// was cut off: it is emptied and done again), then checks dst against
// src. dst is marked unfinished from before the first row to after the
// check: serve refuses it meanwhile. Progress lines go to w.
func Run(ctx context.Context, src store.Store, dst *pgstore.Store, w io.Writer) (Report, error) {
	var rep Report
	if err := begin(ctx, dst, w); err != nil {
		return rep, err
	}
	ks, err := src.Kiosks(ctx)
	if err != nil {
		return rep, err
	}
	for _, k := range ks {
		if err := dst.LoadKiosk(ctx, k); err != nil {
			return rep, err
		}
		certs, err := src.Certs(ctx, k.KioskID)
		if err != nil {
			return rep, err
		}
		// Oldest first, a millisecond apart, so that "newest first" stays true.
		for i, der := range slices.Backward(certs) {
			if err := dst.RememberCert(ctx, k.KioskID, der, time.Unix(0, 0).Add(time.Duration(len(certs)-i)*time.Millisecond)); err != nil {
				return rep, err
			}
		}
		for _, j := range k.Journals {
			n, err := copyJournal(ctx, src, dst, k.KioskID, j.JournalID)
			if err != nil {
				return rep, err
			}
			fmt.Fprintf(w, "kiosk %s journal %s: %d records\n", k.KioskID, j.JournalID, n)
			rep.Journals++
			rep.Records += n
		}
		rep.Kiosks++
		rep.Flags += len(k.Flags)
		rep.Events += len(k.Events)
	}
	marks, err := src.Marks(ctx, time.Time{}, time.Time{})
	if err != nil {
		return rep, err
	}
	audit, err := src.Audit(ctx, 0, 0)
	if err != nil {
		return rep, err
	}
	if err := dst.LoadStaffLog(ctx, marks, audit); err != nil {
		return rep, err
	}
	rep.Marks, rep.AuditEntries = len(marks), len(audit)
	if n := len(audit); n > 0 {
		rep.AuditHead = audit[n-1].Hash
	}
	if err := Check(ctx, src, dst); err != nil {
		return rep, err
	}
	return rep, dst.FinishMigration(ctx)
}

// begin marks dst as being migrated into: an empty database, or one a
// cut-off migration left (emptied first: it starts over).
func begin(ctx context.Context, dst *pgstore.Store, w io.Writer) error {
	cut, err := dst.UnfinishedMigration(ctx)
	if err != nil {
		return err
	}
	if cut != "" {
		fmt.Fprintf(w, "an earlier migration into this database did not finish (%s): emptying it and starting again\n", cut)
		if err := dst.WipeUnfinished(ctx); err != nil {
			return err
		}
	}
	empty, err := dst.Empty(ctx)
	if err != nil {
		return err
	}
	if !empty {
		return errors.New("migrate: the PostgreSQL store is not empty, and no migration into it was cut off (migrate into a new database)")
	}
	return dst.StartMigration(ctx, "a bbolt store", time.Now())
}

func copyJournal(ctx context.Context, src store.Store, dst *pgstore.Store, kioskID, journalID string) (int, error) {
	n := 0
	var after uint64
	for {
		recs, err := src.Records(ctx, store.Query{KioskID: kioskID, JournalID: journalID, AfterSeq: after, Limit: chunk})
		if err != nil {
			return n, err
		}
		if len(recs) == 0 {
			return n, nil
		}
		if err := dst.LoadRecords(ctx, journalID, recs); err != nil {
			return n, fmt.Errorf("kiosk %s journal %s: %w", kioskID, journalID, err)
		}
		n += len(recs)
		after = recs[len(recs)-1].Seq
	}
}

// Check compares dst with src: the same kiosks, journals (count, head,
// gaps), flags and events; every journal's records in dst counted and
// their chains verified run by run; the same audit log, its chain intact.
func Check(ctx context.Context, src, dst store.Store) error {
	a, err := src.Kiosks(ctx)
	if err != nil {
		return err
	}
	b, err := dst.Kiosks(ctx)
	if err != nil {
		return err
	}
	if len(a) != len(b) {
		return fmt.Errorf("check: %d kiosks, the old store has %d", len(b), len(a))
	}
	byID := map[string]store.KioskState{}
	for _, k := range b {
		byID[k.KioskID] = k
	}
	for _, ka := range a {
		kb, ok := byID[ka.KioskID]
		switch {
		case !ok:
			return fmt.Errorf("check: kiosk %s missing", ka.KioskID)
		case ka.Records != kb.Records || len(ka.Journals) != len(kb.Journals) || len(ka.Flags) != len(kb.Flags) || len(ka.Events) != len(kb.Events):
			return fmt.Errorf("check: kiosk %s: %d records, %d journals, %d flags, %d events; the old store has %d, %d, %d, %d",
				ka.KioskID, kb.Records, len(kb.Journals), len(kb.Flags), len(kb.Events), ka.Records, len(ka.Journals), len(ka.Flags), len(ka.Events))
		}
		for _, ja := range ka.Journals {
			jb, err := dst.Journal(ctx, ka.KioskID, ja.JournalID)
			if err != nil {
				return fmt.Errorf("check: %w", err)
			}
			if jb.Records != ja.Records || jb.HeadSeq != ja.HeadSeq || jb.HeadHash != ja.HeadHash || fmt.Sprint(jb.Gaps) != fmt.Sprint(ja.Gaps) {
				return fmt.Errorf("check: kiosk %s journal %s differs: %+v, the old store has %+v", ka.KioskID, ja.JournalID, jb, ja)
			}
			if err := checkChain(ctx, dst, ja); err != nil {
				return err
			}
		}
	}
	ea, err := src.Audit(ctx, 0, 0)
	if err != nil {
		return err
	}
	eb, err := dst.Audit(ctx, 0, 0)
	if err != nil {
		return err
	}
	if br := store.VerifyAudit(nil, eb); br != nil {
		return fmt.Errorf("check: audit log: %w", br)
	}
	if len(ea) != len(eb) || (len(ea) > 0 && ea[len(ea)-1].Hash != eb[len(eb)-1].Hash) {
		return fmt.Errorf("check: the audit log has %d entries, the old one %d (or another head)", len(eb), len(ea))
	}
	return nil
}

// checkChain reads a journal back from the new store and checks that it
// holds Records records, each matching its hash, and that each unbroken
// run of sequences links up.
func checkChain(ctx context.Context, st store.Store, j store.JournalState) error {
	n := 0
	var after uint64
	var prev *kiosk.Record
	for {
		recs, err := st.Records(ctx, store.Query{KioskID: j.KioskID, JournalID: j.JournalID, AfterSeq: after, Limit: chunk})
		if err != nil {
			return err
		}
		if len(recs) == 0 {
			break
		}
		for i := range recs {
			r := &recs[i]
			switch {
			case journal.HashRecord(*r) != r.Hash:
				return fmt.Errorf("check: kiosk %s journal %s: record %d does not match its hash", j.KioskID, j.JournalID, r.Seq)
			case prev != nil && r.Seq == prev.Seq+1 && r.PrevHash != prev.Hash:
				return fmt.Errorf("check: kiosk %s journal %s: record %d does not follow record %d", j.KioskID, j.JournalID, r.Seq, prev.Seq)
			}
			prev = r
		}
		n += len(recs)
		after = recs[len(recs)-1].Seq
	}
	if n != j.Records {
		return fmt.Errorf("check: kiosk %s journal %s: %d records read back, %d expected", j.KioskID, j.JournalID, n, j.Records)
	}
	return nil
}
