package journal

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/villagehall/kiosk/kiosk"
)

// TestRetentionKeepsAcknowledged: released records leave the pending
// ones but stay, chain and hashes whole, for a collector that lost them.
func TestRetentionKeepsAcknowledged(t *testing.T) {
	for _, tc := range []struct {
		name      string
		ret       Retention
		wantKept  int
		wantFrom  uint64
		wantChain bool
	}{
		{"no retention: deleted as before", Retention{}, 0, 7, true},
		{"30 days", Retention{Days: 30}, 6, 1, true},
		{"a size cap only", Retention{MaxBytes: 1 << 20}, 6, 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := openTest(t, filepath.Join(t.TempDir(), "j.db"), Options{Retention: tc.ret, Now: func() time.Time { return time.Date(2026, 4, 2, 0, 0, 0, 0, time.UTC) }})
			recs := append([]kiosk.Record{mustPending(t, j)[0]}, appendN(t, j, 9)...)
			n, err := j.Release(j.JournalID(), acksOf(recs[:6]))
			if err != nil || n != 6 {
				t.Fatalf("Release: %d %v", n, err)
			}
			if d, _ := j.Depth(); d != 4 {
				t.Errorf("depth %d, want 4", d)
			}
			a, err := j.Acked()
			if err != nil || a.Seq != 6 || a.Hash != recs[5].Hash || a.RetainedFrom != tc.wantFrom || a.JournalID != j.JournalID() {
				t.Errorf("Acked() = %+v, %v; want seq 6, hash of record 6, retained from %d", a, err, tc.wantFrom)
			}
			kept, err := j.Retained(1, 6, 0)
			if err != nil || len(kept) != tc.wantKept {
				t.Fatalf("Retained: %d %v, want %d", len(kept), err, tc.wantKept)
			}
			for i, r := range kept {
				if r.Hash != recs[i].Hash || r.Seq != recs[i].Seq {
					t.Errorf("retained %d: seq %d hash %s, want the record as sent", i, r.Seq, r.Hash)
				}
			}
			if part, _ := j.Retained(3, 4, 0); tc.wantKept > 0 && (len(part) != 2 || part[0].Seq != 3) {
				t.Errorf("Retained(3, 4): %d records", len(part))
			}
			if b, err := j.Verify(); err != nil || b != nil {
				t.Errorf("Verify: %v %v", b, err)
			}
			st, err := j.Status()
			if err != nil || st.Retained.Count != tc.wantKept || (tc.wantKept > 0) != (st.Retained.Bytes > 0) {
				t.Errorf("status retained %+v, %v", st.Retained, err)
			}
		})
	}
}

func mustPending(t *testing.T, j *Journal) []kiosk.Record {
	t.Helper()
	p, err := j.Pending(0)
	if err != nil || len(p) == 0 {
		t.Fatalf("Pending: %d %v", len(p), err)
	}
	return p
}

// TestRetentionWipesOldestWhenBothExceeded: a retained record goes only
// when it is older than the window and the kept records exceed the cap.
func TestRetentionWipesOldestWhenBothExceeded(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC).AddDate(0, 0, d) }
	for _, tc := range []struct {
		name     string
		ret      Retention
		now      int // release on this day
		wantKept int // of 10 records made on days 0..9 plus the start record
	}{
		{"inside the window: all kept", Retention{Days: 30, MaxBytes: 1}, 20, 11},
		{"under the cap: all kept however old", Retention{Days: 1, MaxBytes: 1 << 20}, 40, 11},
		{"both exceeded: older than 5 days wiped", Retention{Days: 5, MaxBytes: 1}, 10, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := day(0)
			j := openTest(t, filepath.Join(t.TempDir(), "j.db"), Options{Retention: tc.ret, Now: func() time.Time { return now }})
			for i := range 10 {
				r := rec(i)
				r.Time = day(i)
				if _, err := j.Append(context.Background(), r); err != nil {
					t.Fatal(err)
				}
			}
			now = day(tc.now)
			p := mustPending(t, j)
			if _, err := j.Release(j.JournalID(), acksOf(p)); err != nil {
				t.Fatal(err)
			}
			kept, _ := j.Retained(0, kiosk.MaxSeq, 0)
			if len(kept) != tc.wantKept {
				t.Fatalf("kept %d, want %d", len(kept), tc.wantKept)
			}
			if kept[len(kept)-1].Seq != 11 {
				t.Errorf("newest kept %d, want 11", kept[len(kept)-1].Seq)
			}
			if b, err := j.Verify(); err != nil || b != nil {
				t.Errorf("Verify after wiping: %v %v", b, err)
			}
		})
	}
}

// TestRetentionNeverBlocksNewRecords: with the file at its cap, kept
// copies are wiped for new records; below the free-space floor a release
// wipes as much as it keeps.
func TestRetentionNeverBlocksNewRecords(t *testing.T) {
	t.Run("file at its cap", func(t *testing.T) {
		j := openTest(t, filepath.Join(t.TempDir(), "j.db"), Options{MaxSize: 512 << 10, Retention: Retention{Days: 3650, MaxBytes: 1 << 40}})
		if _, err := j.Release(j.JournalID(), acksOf(mustPending(t, j))); err != nil {
			t.Fatal(err)
		}
		for i := range 1000 {
			r, err := j.Append(context.Background(), rec(i))
			if err != nil {
				st, _ := j.Status()
				t.Fatalf("append %d refused with %d acknowledged records kept: %v", i, st.Retained.Count, err)
			}
			if _, err := j.Release(j.JournalID(), acksOf([]kiosk.Record{r})); err != nil {
				t.Fatal(err)
			}
		}
		st, _ := j.Status()
		if st.Retained.Count == 0 || st.Retained.FromSeq <= 1 {
			t.Errorf("retained %+v: want some kept and the oldest wiped", st.Retained)
		}
		if b, _ := j.Verify(); b != nil {
			t.Errorf("Verify: %v", b)
		}
	})
	t.Run("free-space floor", func(t *testing.T) {
		j := openTest(t, filepath.Join(t.TempDir(), "j.db"), Options{Retention: Retention{Days: 3650, MaxBytes: 1 << 40, FreeFloor: 1 << 30}})
		free := int64(2 << 30)
		j.free = func(string) (int64, bool) { return free, true }
		first := appendN(t, j, 20)
		if _, err := j.Release(j.JournalID(), acksOf(append(mustPending(t, j)[:1], first...))); err != nil {
			t.Fatal(err)
		}
		before, _ := j.Status()
		free = 1 << 20 // the SD card fills up
		more := appendN(t, j, 5)
		if _, err := j.Release(j.JournalID(), acksOf(more)); err != nil {
			t.Fatal(err)
		}
		after, _ := j.Status()
		if before.Retained.Count != 21 || after.Retained.Bytes > before.Retained.Bytes || after.Retained.Count >= 26 {
			t.Errorf("below the floor the kept records grew: before %+v after %+v", before.Retained, after.Retained)
		}
	})
}

// TestRetentionVerifyAndDiverge: an edited kept record breaks Verify; a
// diverged journal keeps no copies of the old one (its saved file does).
func TestRetentionVerifyAndDiverge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	j := openTest(t, path, Options{Retention: Retention{Days: 30}})
	appendN(t, j, 5)
	if _, err := j.Release(j.JournalID(), acksOf(mustPending(t, j)[:4])); err != nil {
		t.Fatal(err)
	}
	err := j.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRetained)
		v := b.Get(be64(2))
		return b.Put(be64(2), []byte(strings.Replace(string(v), `"valid"`, `"revoked"`, 1)))
	})
	if err != nil {
		t.Fatal(err)
	}
	if b, err := j.Verify(); err != nil || b == nil || b.Seq != 2 || !strings.Contains(b.Reason, "retained") {
		t.Errorf("Verify with an edited kept record: %v %v", b, err)
	}
	d, err := j.Diverge("test")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := j.Acked()
	if kept, _ := j.Retained(0, kiosk.MaxSeq, 0); len(kept) != 0 || a.Seq != 0 || a.RetainedFrom != 1 || d.Carried != 2 {
		t.Errorf("after diverging: %d kept, acked %+v, carried %d", len(kept), a, d.Carried)
	}
	if b, _ := j.Verify(); b != nil {
		t.Errorf("Verify after diverging: %v", b)
	}
	if _, err := j.Release("other", nil); !errors.Is(err, ErrOtherJournal) {
		t.Errorf("release of another journal: %v", err)
	}
}
