package journal

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/villagehall/kiosk/kiosk"
)

func openTest(t *testing.T, path string, opts Options) *Journal {
	t.Helper()
	if opts.KioskID == "" {
		opts.KioskID = "kiosk-01"
	}
	j, err := Open(path, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = j.Close() })
	return j
}

func rec(i int) kiosk.Record {
	tries := i % 4
	return kiosk.Record{
		Time:      time.Date(2026, 4, 1, 9, 0, i, 0, time.FixedZone("JST", 9*3600)),
		Kind:      kiosk.TxStatus,
		Outcome:   kiosk.OutcomeOK,
		Card:      kiosk.CardMyNumber,
		Status:    "valid",
		AuthTries: &tries,
		Reference: "R-" + string(rune('A'+i%26)),
	}
}

func appendN(t testing.TB, j *Journal, n int) []kiosk.Record {
	t.Helper()
	out := make([]kiosk.Record, 0, n)
	for i := range n {
		r, err := j.Append(context.Background(), rec(i))
		if err != nil {
			t.Fatalf("Append %d: %v", i, err)
		}
		out = append(out, r)
	}
	return out
}

func TestAppendPendingReleaseChain(t *testing.T) {
	j := openTest(t, filepath.Join(t.TempDir(), "j.db"), Options{})
	start, err := j.Pending(0)
	if err != nil || len(start) != 1 {
		t.Fatalf("a new journal holds %d records (%v), want its start record", len(start), err)
	}
	if s := start[0]; s.Seq != 1 || s.Kind != kiosk.TxSystem || s.Detail != DetailJournalNew || s.PrevHash != Genesis || s.JournalID != j.JournalID() {
		t.Fatalf("start record %+v", s)
	}
	if !kiosk.ValidJournalID(j.JournalID()) || j.JournalID() == kiosk.LegacyJournalID {
		t.Fatalf("journal ID %q", j.JournalID())
	}
	got := appendN(t, j, 5)
	for i, r := range got {
		if r.Seq != uint64(i+2) || r.KioskID != "kiosk-01" || r.JournalID != j.JournalID() {
			t.Fatalf("record %d: seq %d kiosk %q journal %q", i, r.Seq, r.KioskID, r.JournalID)
		}
		want := start[0].Hash
		if i > 0 {
			want = got[i-1].Hash
		}
		if r.PrevHash != want || r.Hash != HashRecord(r) || len(r.Hash) != 64 {
			t.Fatalf("record %d: bad links %+v", i, r)
		}
	}
	all := append(start, got...)
	other := kiosk.NewJournalID()
	forged := all[2]
	forged.Hash = strings.Repeat("e", 64)
	tests := []struct {
		name      string
		journalID string
		acks      []Ack
		wantErr   error
		wantDepth int
		wantFirst uint64
	}{
		{"nothing acknowledged", j.JournalID(), nil, nil, 6, 1},
		{"another journal's acknowledgement", other, acksOf(all), ErrOtherJournal, 6, 1},
		{"right seqs, someone else's hashes", j.JournalID(), acksOf([]kiosk.Record{forged}), nil, 6, 1},
		{"a later record only: the oldest stays, so nothing goes", j.JournalID(), acksOf(all[3:4]), nil, 6, 1},
		{"first two", j.JournalID(), acksOf(all[:2]), nil, 4, 3},
		{"same again is harmless", j.JournalID(), acksOf(all[:2]), nil, 4, 3},
		{"a hole in the acknowledgements stops the release there", j.JournalID(), acksOf(append(all[2:3:3], all[4:]...)), nil, 3, 4},
		{"the rest", j.JournalID(), acksOf(all), nil, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := j.Release(tc.journalID, tc.acks); !errors.Is(err, tc.wantErr) {
				t.Fatalf("Release: %v, want %v", err, tc.wantErr)
			}
			p, err := j.Pending(0)
			if err != nil {
				t.Fatal(err)
			}
			if len(p) != tc.wantDepth || (len(p) > 0 && p[0].Seq != tc.wantFirst) {
				t.Fatalf("pending %d records first %v, want %d first %d", len(p), p, tc.wantDepth, tc.wantFirst)
			}
			if b, err := j.Verify(); err != nil || b != nil {
				t.Fatalf("Verify after release: %v %v", b, err)
			}
		})
	}
	// The chain continues across released records.
	r, err := j.Append(context.Background(), rec(9))
	if err != nil {
		t.Fatal(err)
	}
	if r.Seq != 7 || r.PrevHash != got[4].Hash {
		t.Fatalf("after full release: seq %d prev %s", r.Seq, r.PrevHash)
	}
	st, err := j.Status()
	if err != nil {
		t.Fatal(err)
	}
	if st.Depth != 1 || st.OldestSeq != 7 || !st.ChainOK || st.AckedSeq != 6 || st.FileSize == 0 ||
		st.JournalID != j.JournalID() || st.CreatedReason != DetailJournalNew || st.Created.IsZero() {
		t.Fatalf("status %+v", st)
	}
}

func TestJournalIDSurvivesReopenAndIsNewPerFile(t *testing.T) {
	dir := t.TempDir()
	a := openTest(t, filepath.Join(dir, "a.db"), Options{})
	id := a.JournalID()
	appendN(t, a, 2)
	a.Close()
	a = openTest(t, filepath.Join(dir, "a.db"), Options{})
	if a.JournalID() != id {
		t.Fatalf("journal ID changed on reopen: %s -> %s", id, a.JournalID())
	}
	if p, _ := a.Pending(0); len(p) != 3 {
		t.Fatalf("reopen added records: %d", len(p))
	}
	b := openTest(t, filepath.Join(dir, "b.db"), Options{})
	if b.JournalID() == id {
		t.Fatal("two journal files share an ID")
	}
}

// TestLegacyFileGetsTheLegacyJournalID: a file written before journals had
// an ID keeps its records and hashes, and is named the legacy journal.
func TestLegacyFileGetsTheLegacyJournalID(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	j := openTest(t, path, Options{})
	appendN(t, j, 2)
	j.Close()
	// Make it look like an old file: no journal ID in meta or records, v1 hashes.
	editStore(t, path, func(rb, mb *bolt.Bucket) error {
		if err := mb.Delete(metaJournalID); err != nil {
			return err
		}
		prev := Genesis
		return rb.ForEach(func(k, v []byte) error {
			var r kiosk.Record
			if err := jsonUnmarshal(v, &r); err != nil {
				return err
			}
			r.JournalID, r.PrevHash = "", prev
			r.Hash = HashRecord(r)
			prev = r.Hash
			if err := mb.Put(metaHeadHash, []byte(r.Hash)); err != nil {
				return err
			}
			return rb.Put(k, jsonMarshal(r))
		})
	})
	j = openTest(t, path, Options{})
	if j.JournalID() != kiosk.LegacyJournalID {
		t.Fatalf("legacy file got journal ID %q", j.JournalID())
	}
	r, err := j.Append(context.Background(), rec(5))
	if err != nil || r.JournalID != kiosk.LegacyJournalID {
		t.Fatalf("append to a legacy file: %+v %v", r, err)
	}
	if b, err := j.Verify(); b != nil || err != nil {
		t.Fatalf("legacy chain: %v %v", b, err)
	}
	p, _ := j.Pending(0)
	if p[0].JournalID != "" || kiosk.ReferenceOf(p[0]) == kiosk.ReferenceOf(r) {
		t.Fatalf("old records changed: %+v", p[0])
	}
}

func TestSyncStateKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	j := openTest(t, path, Options{})
	t0 := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	for i := range 3 {
		if err := j.SetSyncFailed(t0.Add(time.Duration(i)*time.Minute), "post https://c.example.jp:8443/v1/batch: 404 Not Found"); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	j = openTest(t, path, Options{})
	st, _ := j.Status()
	if st.Sync.Failures != 3 || !st.Sync.ErrorSince.Equal(t0) || !st.Sync.LastAttempt.Equal(t0.Add(2*time.Minute)) ||
		!strings.Contains(st.Sync.LastError, "https://c.example.jp:8443/v1/batch") || !st.Sync.LastSuccess.IsZero() {
		t.Fatalf("sync state after failures: %+v", st.Sync)
	}
	if err := j.SetSynced(t0.Add(time.Hour), time.Time{}); err != nil {
		t.Fatal(err)
	}
	st, _ = j.Status()
	if st.Sync.Failures != 0 || st.Sync.LastError != "" || !st.Sync.LastSuccess.Equal(t0.Add(time.Hour)) {
		t.Fatalf("sync state after success: %+v", st.Sync)
	}
}

func TestPendingLimit(t *testing.T) {
	j := openTest(t, filepath.Join(t.TempDir(), "j.db"), Options{})
	appendN(t, j, 10)
	p, err := j.Pending(3)
	if err != nil || len(p) != 3 || p[2].Seq != 3 {
		t.Fatalf("Pending(3) = %d records, %v", len(p), err)
	}
}

// editStore changes the file underneath a closed journal, as an attacker or
// a bad SD card would.
func editStore(t *testing.T, path string, fn func(rb, mb *bolt.Bucket) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error {
		return fn(tx.Bucket(bucketRecords), tx.Bucket(bucketMeta))
	}); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(rb, mb *bolt.Bucket) error
		wantSeq uint64
		reason  string
	}{
		{"edited outcome", func(rb, mb *bolt.Bucket) error {
			v := bytes.Replace(rb.Get(be64(3)), []byte(`"outcome":"ok"`), []byte(`"outcome":"wrong_pin"`), 1)
			return rb.Put(be64(3), v)
		}, 3, "edited"},
		{"deleted middle record", func(rb, mb *bolt.Bucket) error { return rb.Delete(be64(2)) }, 3, "missing"},
		{"swapped records", func(rb, mb *bolt.Bucket) error {
			a, b := bytes.Clone(rb.Get(be64(2))), bytes.Clone(rb.Get(be64(3)))
			if err := rb.Put(be64(2), b); err != nil {
				return err
			}
			return rb.Put(be64(3), a)
		}, 2, "seq"},
		{"newest record removed", func(rb, mb *bolt.Bucket) error { return rb.Delete(be64(6)) }, 6, "lost"},
		{"re-hashed edit still breaks the link", func(rb, mb *bolt.Bucket) error {
			// An editor who recomputes the edited record's hash still breaks
			// the next record's prev_hash.
			var r kiosk.Record
			if err := jsonUnmarshal(rb.Get(be64(2)), &r); err != nil {
				return err
			}
			r.Outcome = kiosk.OutcomeLocked
			r.Hash = HashRecord(r)
			return rb.Put(be64(2), jsonMarshal(r))
		}, 3, "prev_hash"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "j.db")
			j := openTest(t, path, Options{})
			appendN(t, j, 5)
			if err := j.Close(); err != nil {
				t.Fatal(err)
			}
			editStore(t, path, tc.edit)
			j = openTest(t, path, Options{})
			b, err := j.Verify()
			if err != nil {
				t.Fatal(err)
			}
			if b == nil {
				t.Fatal("Verify found no break")
			}
			if b.Seq != tc.wantSeq || !strings.Contains(b.Error(), tc.reason) {
				t.Fatalf("break %v, want seq %d mentioning %q", b, tc.wantSeq, tc.reason)
			}
			st, err := j.Status()
			if err != nil || st.ChainOK {
				t.Fatalf("status says chain ok: %+v %v", st, err)
			}
		})
	}
}

// TestOnlySHA256Journals: records are hashed with SHA-256 and nothing
// else (the HMAC option had no caller and is gone). A file that says
// another algorithm is refused by name, for writing and for reading,
// rather than verified with the wrong hash.
func TestOnlySHA256Journals(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	j := openTest(t, path, Options{KioskID: "kiosk-01"})
	appendN(t, j, 2)
	got, _ := j.Pending(0)
	if b := VerifyChain(got, 0, Genesis); b != nil {
		t.Fatal(b)
	}
	j.Close()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(metaHashAlg, []byte("hmac-sha256")) }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, opts := range []Options{{KioskID: "kiosk-01", NoReset: true}, {ReadOnly: true, NoReset: true}} {
		j, err := Open(path, opts)
		if err == nil {
			j.Close()
			t.Fatalf("opened a journal hashed with hmac-sha256 (%+v)", opts)
		}
		if !strings.Contains(err.Error(), "hashed with hmac-sha256") {
			t.Errorf("%+v: %v, want the algorithm named", opts, err)
		}
	}
}

func TestCorruptFileMovedAside(t *testing.T) {
	tests := []struct {
		name    string
		content func(t *testing.T, path string) []byte
	}{
		{"garbage", func(*testing.T, string) []byte { return bytes.Repeat([]byte("not a bolt file "), 1024) }},
		{"zeros", func(*testing.T, string) []byte { return make([]byte, 64<<10) }},
		{"short", func(*testing.T, string) []byte { return []byte("x") }},
		{"damaged meta pages", func(t *testing.T, path string) []byte {
			j := openTest(t, path, Options{})
			appendN(t, j, 3)
			j.Close()
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			ps := 4096
			for _, off := range []int{0, ps} { // both meta pages
				copy(b[off+16:off+64], bytes.Repeat([]byte{0xA5}, 48))
			}
			return b
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "j.db")
			content := tc.content(t, path)
			if err := os.WriteFile(path, content, 0o600); err != nil {
				t.Fatal(err)
			}
			j := openTest(t, path, Options{})
			ri := j.Reset()
			if ri == nil {
				t.Fatal("corrupt file not reported")
			}
			if st, _ := j.Status(); st.CreatedReason != DetailReset || !kiosk.ValidJournalID(st.JournalID) {
				t.Fatalf("new journal after reset: %+v", st)
			}
			old, err := os.ReadFile(ri.MovedTo)
			if err != nil || !bytes.Equal(old, content) || !strings.Contains(ri.MovedTo, ".corrupt-") {
				t.Fatalf("corrupt file not kept intact at %s: %v", ri.MovedTo, err)
			}
			p, err := j.Pending(0)
			if err != nil || len(p) != 1 || p[0].Kind != kiosk.TxSystem || p[0].Detail != DetailReset || p[0].PrevHash != Genesis ||
				p[0].Seq != 1 || p[0].JournalID != j.JournalID() || ri.Record.Hash != p[0].Hash {
				t.Fatalf("pending after reset: %+v %v", p, err)
			}
			if b, err := j.Verify(); b != nil || err != nil {
				t.Fatalf("fresh chain: %v %v", b, err)
			}
			r, err := j.Append(context.Background(), rec(1))
			if err != nil || r.Seq != p[0].Seq+1 {
				t.Fatalf("append after reset: %v %v", r.Seq, err)
			}
		})
	}
}

func TestCorruptNoReset(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	if err := os.WriteFile(path, bytes.Repeat([]byte{1}, 8192), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, o := range []Options{{NoReset: true, KioskID: "k"}, {ReadOnly: true}} {
		if _, err := Open(path, o); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%+v: err %v, want ErrCorrupt", o, err)
		}
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal("file moved despite NoReset/ReadOnly")
	}
}

func TestLockedFileIsNotCorrupt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	openTest(t, path, Options{})
	_, err := Open(path, Options{KioskID: "kiosk-01", LockTimeout: 50 * time.Millisecond})
	if !errors.Is(err, ErrInUse) {
		t.Fatalf("second open: %v, want ErrInUse", err)
	}
	m, _ := filepath.Glob(path + ".corrupt-*")
	if len(m) != 0 {
		t.Fatal("a locked file was moved aside")
	}
}

func TestKioskIDMismatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	j := openTest(t, path, Options{})
	j.Close()
	if _, err := Open(path, Options{KioskID: "kiosk-02"}); err == nil {
		t.Fatal("opened another kiosk's journal")
	}
	if _, err := Open(filepath.Join(t.TempDir(), "new.db"), Options{}); err == nil {
		t.Fatal("created a journal without a kiosk ID")
	}
}

func TestMaxSizeErrFull(t *testing.T) {
	const maxSize = 512 << 10
	j := openTest(t, filepath.Join(t.TempDir(), "j.db"), Options{MaxSize: maxSize})
	var n int
	var err error
	for n = 0; n < 100000; n++ {
		r := rec(n)
		r.Detail = strings.Repeat("d", 200) // bigger records fill it faster
		if _, err = j.Append(context.Background(), r); err != nil {
			break
		}
	}
	if !errors.Is(err, ErrFull) {
		t.Fatalf("after %d appends: %v, want ErrFull", n, err)
	}
	if n == 0 {
		t.Fatal("nothing fitted")
	}
	// Still refused, still drainable, then usable again.
	t.Logf("full after %d appends: %v", n, err)
	if _, err := j.Append(context.Background(), rec(0)); !errors.Is(err, ErrFull) {
		t.Fatalf("second append: %v", err)
	}
	st, _ := j.Status()
	if st.FileSize > maxSize {
		t.Fatalf("file %d bytes exceeds MaxSize", st.FileSize)
	}
	if _, err := ackUpTo(j, st.HeadSeq); err != nil {
		t.Fatalf("ack on a full journal: %v", err)
	}
	// Freed pages become reusable after the next commit.
	if err := j.SetSynced(time.Now(), time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Append(context.Background(), rec(1)); err != nil {
		t.Fatalf("append after drain: %v", err)
	}
	if b, err := j.Verify(); b != nil || err != nil {
		t.Fatalf("chain after full: %v %v", b, err)
	}
}

func TestCompactKeepsSequenceAndChain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	j := openTest(t, path, Options{})
	for range 3000 {
		r := rec(1)
		r.Detail = strings.Repeat("x", 400)
		if _, err := j.Append(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	if done, err := j.Compact(false); err != nil || done {
		t.Fatalf("compacted a full journal: %v %v", done, err)
	}
	if _, err := ackUpTo(j, 2998); err != nil {
		t.Fatal(err)
	}
	if err := j.SetSynced(time.Now(), time.Time{}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(path)
	done, err := j.Compact(false)
	if err != nil || !done {
		t.Fatalf("Compact: %v %v", done, err)
	}
	after, _ := os.Stat(path)
	if after.Size() >= before.Size()/2 {
		t.Fatalf("file %d -> %d bytes", before.Size(), after.Size())
	}
	r, err := j.Append(context.Background(), rec(2))
	if err != nil || r.Seq != 3002 {
		t.Fatalf("seq after compact %d, %v", r.Seq, err)
	}
	if b, err := j.Verify(); b != nil || err != nil {
		t.Fatalf("chain after compact: %v %v", b, err)
	}
	if _, err := os.Stat(path + ".compact"); !os.IsNotExist(err) {
		t.Fatal("temporary file left behind")
	}
}

func TestReopenPreservesChainAndTimes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	// The start record is stamped when the file is made: before the records.
	made := func() time.Time { return time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC) }
	j := openTest(t, path, Options{Now: made})
	got := appendN(t, j, 4)
	coll := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	if err := j.SetSynced(coll.Add(-time.Hour), coll); err != nil {
		t.Fatal(err)
	}
	if _, err := ackUpTo(j, 2); err != nil {
		t.Fatal(err)
	}
	j.Close()
	j = openTest(t, path, Options{})
	r, err := j.Append(context.Background(), rec(7))
	if err != nil || r.Seq != 6 || r.PrevHash != got[3].Hash {
		t.Fatalf("after reopen: %+v %v", r, err)
	}
	if b, err := j.Verify(); b != nil || err != nil {
		t.Fatalf("%v %v", b, err)
	}
	lt, err := j.LastTime()
	if err != nil || !lt.Equal(coll) {
		t.Fatalf("LastTime %v %v, want %v", lt, err, coll)
	}
	st, _ := j.Status()
	if !st.CollectorTime.Equal(coll) || !st.LastSync.Equal(coll.Add(-time.Hour)) {
		t.Fatalf("times not kept: %+v", st)
	}
}

func TestAppendHonoursContext(t *testing.T) {
	j := openTest(t, filepath.Join(t.TempDir(), "j.db"), Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := j.Append(ctx, rec(0)); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	j.Close()
	if _, err := j.Append(context.Background(), rec(0)); !errors.Is(err, ErrClosed) {
		t.Fatalf("append after close: %v", err)
	}
}

// TestCanonicalCoversEveryField fails when kiosk.Record grows a field that
// Canonical does not hash yet: extend Canonical (and its tag) first.
func TestCanonicalCoversEveryField(t *testing.T) {
	if n := reflect.TypeFor[kiosk.Record]().NumField(); n != 16 {
		t.Fatalf("kiosk.Record has %d fields; Canonical knows 16", n)
	}
	base := rec(3)
	base.JournalID = "7Q3FZ0B1C2D3E4F5G6H7J8K9MN"
	one, two := 1, 2
	mutate := []func(r *kiosk.Record){
		func(r *kiosk.Record) { r.Seq++ },
		func(r *kiosk.Record) { r.Time = r.Time.Add(time.Nanosecond) },
		func(r *kiosk.Record) { r.ClockTrusted = !r.ClockTrusted },
		func(r *kiosk.Record) { r.KioskID = "x" },
		func(r *kiosk.Record) { r.JournalID = kiosk.LegacyJournalID },
		func(r *kiosk.Record) { r.JournalID = "" },
		func(r *kiosk.Record) { r.Kind = kiosk.TxChangeAuth },
		func(r *kiosk.Record) { r.Outcome = kiosk.OutcomeLocked },
		func(r *kiosk.Record) { r.Card = kiosk.CardJuki },
		func(r *kiosk.Record) { r.Status = "expired" },
		func(r *kiosk.Record) { r.CertRef = "c" },
		func(r *kiosk.Record) { r.AuthTries = nil },
		func(r *kiosk.Record) { r.SignTries = &one },
		func(r *kiosk.Record) { r.AuthTries = &two },
		func(r *kiosk.Record) { r.Reference = "other" },
		func(r *kiosk.Record) { r.Detail = "d" },
		func(r *kiosk.Record) { r.PrevHash = "p" },
	}
	h := HashRecord(base)
	for i, m := range mutate {
		r := base
		m(&r)
		if HashRecord(r) == h {
			t.Errorf("mutation %d does not change the hash", i)
		}
	}
	// The zone the kiosk happened to use does not matter.
	r := base
	r.Time = r.Time.UTC()
	if HashRecord(r) != h {
		t.Error("hash depends on the time zone")
	}
}

func jsonMarshal(r kiosk.Record) []byte {
	b, err := jsonMarshalErr(r)
	if err != nil {
		panic(err)
	}
	return b
}

var _ = binary.BigEndian

// TestV1HashUnchanged: records from before journal IDs must keep the hash
// they were stored with (computed by the v1 encoding before it gained v2).
func TestV1HashUnchanged(t *testing.T) {
	tries := 2
	r := kiosk.Record{Seq: 7, Time: time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC), ClockTrusted: true, KioskID: "K01",
		Kind: kiosk.TxStatus, Outcome: kiosk.OutcomeOK, Card: kiosk.CardMyNumber, Status: "valid", AuthTries: &tries, PrevHash: Genesis}
	if got, want := HashRecord(r), "a14dbc8b0f701ddd4ab3caa91de67883e23830f43b2f5b94ce93000688348510"; got != want {
		t.Fatalf("v1 hash %s, want %s", got, want)
	}
	r.JournalID = kiosk.LegacyJournalID
	if HashRecord(r) == "a14dbc8b0f701ddd4ab3caa91de67883e23830f43b2f5b94ce93000688348510" {
		t.Fatal("the journal ID is not hashed")
	}
}

// TestKilledBeforeTheFirstTransaction: a writer killed after bbolt made
// the file but before the journal's first transaction leaves a database
// with no buckets. A reader (kioskctl, the soak's check) is told so as
// ErrNotStarted, not a generic failure; the writer starts the journal there.
func TestKilledBeforeTheFirstTransaction(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(path, Options{ReadOnly: true}); !errors.Is(err, ErrNotStarted) {
		t.Fatalf("read-only open of an empty database: %v, want ErrNotStarted", err)
	}
	j := openTest(t, path, Options{KioskID: "kiosk-01"})
	if recs, err := j.Pending(0); err != nil || len(recs) != 1 || recs[0].Detail != DetailJournalNew {
		t.Fatalf("the writer did not start a journal there: %v %+v", err, recs)
	}
}
