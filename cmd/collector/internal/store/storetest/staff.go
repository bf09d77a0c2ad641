package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
)

// staffLog: a follow-up is marked once and the first mark kept; marks list
// by their record's time; the audit log is one chain, also when many
// append at once, and it survives a reopen.
func staffLog(t *testing.T, s store.Store, again func() store.Store) {
	ctx := context.Background()
	m := store.Mark{KioskID: "K01", JournalID: "J1", Seq: 3, RecordTime: T0, Kind: "pin_change_unknown", By: "staff-a", At: T0.Add(time.Hour), Note: "確認済み"}
	if got, err := s.Mark(ctx, m); err != nil || got != m {
		t.Fatalf("mark: %+v %v", got, err)
	}
	second := m
	second.By, second.Note = "staff-b", "again"
	if got, err := s.Mark(ctx, second); !errors.Is(err, store.ErrAlreadyMarked) || got.By != "staff-a" {
		t.Fatalf("second mark: %+v %v, want the first kept with ErrAlreadyMarked", got, err)
	}
	other := store.Mark{KioskID: "K01", JournalID: "J1", Seq: 4, RecordTime: T0.Add(48 * time.Hour), Kind: "office", By: "staff-b", At: T0}
	if _, err := s.Mark(ctx, other); err != nil {
		t.Fatal(err)
	}
	if got, err := s.MarkOf(ctx, "K01", "J1", 3); err != nil || got == nil || *got != m {
		t.Fatalf("mark of: %+v %v", got, err)
	}
	if got, err := s.MarkOf(ctx, "K01", "J1", 5); err != nil || got != nil {
		t.Fatalf("mark of an unmarked record: %+v %v", got, err)
	}
	if ms, err := s.Marks(ctx, T0, T0.Add(24*time.Hour)); err != nil || len(ms) != 1 || ms[0].Seq != 3 {
		t.Fatalf("marks of a day: %+v %v", ms, err)
	}

	const writers, each = 4, 10
	parallel(t, writers, func(w int) error {
		for i := range each {
			// A caller's clock that runs backwards: the store takes the time
			// itself, under its lock, so the log's times still only go on.
			at := T0.Add(-time.Duration(w*each+i) * time.Minute)
			if _, err := s.AppendAudit(ctx, store.AuditEntry{Time: at, Staff: fmt.Sprintf("staff-%d", w), Action: store.ActSearch, Detail: fmt.Sprint(i)}); err != nil {
				return err
			}
		}
		return nil
	})
	s = again()
	es, err := s.Audit(ctx, 0, 0)
	if err != nil || len(es) != writers*each {
		t.Fatalf("audit: %d entries %v", len(es), err)
	}
	if b := store.VerifyAudit(nil, es); b != nil {
		t.Fatalf("audit chain: %v", b)
	}
	for i := 1; i < len(es); i++ {
		if es[i].Time.Before(es[i-1].Time) {
			t.Fatalf("audit entry %d at %v, before entry %d at %v", es[i].Seq, es[i].Time, es[i-1].Seq, es[i-1].Time)
		}
	}
	page, err := s.Audit(ctx, 10, 5)
	if err != nil || len(page) != 5 || page[0].Seq != 11 {
		t.Fatalf("audit page: %+v %v", page, err)
	}
	if b := store.VerifyAudit(&es[9], page); b != nil {
		t.Fatalf("audit page chain: %v", b)
	}
	if got, _ := s.MarkOf(ctx, "K01", "J1", 3); got == nil || got.Note != "確認済み" {
		t.Fatalf("mark lost on reopen: %+v", got)
	}
}

// parallel runs fn(0) … fn(n-1) at once and fails t with the first error.
func parallel(t *testing.T, n int, fn func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(i); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
