package journal

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/villagehall/kiosk/kiosk"
)

// TestDiverge: the unsent records move into a new journal of the same
// file, content unchanged and with their slip references; the chain
// verifies; acknowledged records are not carried; a journal that diverged
// will not again before something of it was acknowledged; appends running
// meanwhile land in one journal or the other, never lost.
func TestDiverge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	j, err := Open(path, Options{KioskID: "K01"})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	ctx := context.Background()
	for range 4 {
		if _, err := j.Append(ctx, kiosk.Record{Kind: kiosk.TxStatus, Outcome: kiosk.OutcomeOK, Status: "valid"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ackUpTo(j, 2); err != nil {
		t.Fatal(err)
	}
	before, _ := j.Pending(0) // 3, 4, 5
	old := j.JournalID()
	var wg sync.WaitGroup
	appended := make(chan kiosk.Record, 20)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 20 {
			r, err := j.Append(ctx, kiosk.Record{Kind: kiosk.TxCardError, Outcome: kiosk.OutcomeError})
			if err != nil {
				t.Error(err)
				return
			}
			appended <- r
		}
	}()
	d, err := j.Diverge("test")
	wg.Wait()
	close(appended)
	if err != nil {
		t.Fatal(err)
	}
	if d.Previous != old || d.JournalID == old || j.JournalID() != d.JournalID || d.FromSeq != 3 || d.Carried < 3 {
		t.Fatalf("diverged %+v", d)
	}
	if b, err := j.Verify(); err != nil || b != nil {
		t.Fatalf("chain after diverging: %v %v", b, err)
	}
	after, _ := j.Pending(0)
	if after[0].Detail != DetailDiverged || after[0].Seq != 1 || after[0].PrevHash != Genesis {
		t.Fatalf("start %+v", after[0])
	}
	for i, r := range before {
		c := after[i+1]
		if c.JournalID != d.JournalID || c.Kind != r.Kind || !c.Time.Equal(r.Time) || c.Reference != kiosk.ReferenceOf(r) {
			t.Fatalf("carried %+v, was %+v", c, r)
		}
	}
	// Appends before the divergence were carried, those after are new;
	// every one is in the journal once.
	n := 0
	for r := range appended {
		n++
		if r.JournalID == old {
			continue // carried: found by its reference
		}
		if r.Seq > uint64(len(after)) || after[r.Seq-1].Hash != r.Hash {
			t.Fatalf("append %d of the new journal is not in it", r.Seq)
		}
	}
	if len(after) != 1+len(before)+n {
		t.Fatalf("%d records after, %d before, %d appended, %d carried", len(after), len(before), n, d.Carried)
	}
	if _, err := j.Diverge("again"); !errors.Is(err, ErrNotDiverging) {
		t.Fatalf("second divergence before any acknowledgement: %v", err)
	}
	if _, err := ackUpTo(j, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Diverge("again"); err != nil {
		t.Fatalf("divergence after an acknowledgement: %v", err)
	}
	if m, _ := filepath.Glob(path + ".diverged-*"); len(m) != 2 {
		t.Fatalf("copies %v", m)
	}
}
