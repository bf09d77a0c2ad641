package journal

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"

	bolt "go.etcd.io/bbolt"

	"github.com/villagehall/kiosk/kiosk"
)

// Diverged says what Diverge did.
type Diverged struct {
	Previous  string       // the journal that diverged
	JournalID string       // the new one
	Carried   int          // unsent records carried over
	FromSeq   uint64       // their sequences in the previous journal
	ToSeq     uint64       //
	SavedTo   string       // a copy of the file as it was, for staff
	Start     kiosk.Record // the journal_diverged record that starts the new chain
}

// ErrNotDiverging: the journal will not diverge again before the collector
// has acknowledged anything of it (a collector that refused every journal
// would otherwise make a new one per batch).
var ErrNotDiverging = errors.New("journal diverged already and nothing of it was acknowledged since")

// Diverge starts a new journal in the same file when the collector holds
// other records under this journal's sequence numbers — the kiosk was
// restored from an SD-card backup (same journal ID, older state) or its
// card was cloned — so its unsent records can never be taken here. In one
// transaction it gives the file a new journal ID, starts a new chain with a
// journal_diverged record, and appends every unsent record again, content
// unchanged, with its old slip reference in Reference (the number on the
// resident's slip; ReferenceOf names the old journal). Records already
// acknowledged stay the collector's. The file as it was is copied beside
// it first (path.diverged-<time>), and nothing is deleted before the
// carried records are committed: a cut leaves the old journal or the new.
func (j *Journal) Diverge(why string) (Diverged, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.db == nil {
		return Diverged{}, fmt.Errorf("diverge: %w", ErrClosed)
	}
	if j.opts.ReadOnly {
		return Diverged{}, errors.New("diverge: journal opened read-only")
	}
	d := Diverged{Previous: j.journalID}
	now := j.now().UTC().Round(0)
	if err := j.db.View(func(tx *bolt.Tx) error {
		mb := tx.Bucket(bucketMeta)
		if string(mb.Get(metaCreatedWhy)) == DetailDiverged && u64(mb.Get(metaTailSeq)) == 0 {
			return ErrNotDiverging
		}
		d.SavedTo = fmt.Sprintf("%s.diverged-%s", j.path, now.Format("20060102T150405.000000000Z"))
		return tx.CopyFile(d.SavedTo, 0o600)
	}); err != nil {
		return d, fmt.Errorf("diverge: %w", err)
	}
	if err := syncDir(filepath.Dir(j.path)); err != nil {
		return d, err
	}
	newID := kiosk.NewJournalID()
	err := j.db.Update(func(tx *bolt.Tx) error {
		unsent, err := unsentRecords(tx.Bucket(bucketRecords))
		if err != nil {
			return err
		}
		if err := tx.DeleteBucket(bucketRecords); err != nil {
			return err
		}
		if _, err := tx.CreateBucket(bucketRecords); err != nil { // its sequence starts at 0 again
			return err
		}
		created, _ := now.MarshalBinary()
		mb := tx.Bucket(bucketMeta)
		for k, v := range map[string][]byte{
			string(metaJournalID): []byte(newID), string(metaCreated): created, string(metaCreatedWhy): []byte(DetailDiverged),
			string(metaHeadSeq): be64(0), string(metaHeadHash): []byte(Genesis),
			string(metaTailSeq): be64(0), string(metaTailHash): []byte(Genesis),
		} {
			if err := mb.Put([]byte(k), v); err != nil {
				return err
			}
		}
		j.journalID = newID // appendTx writes it into the records; put back below on failure
		d.Start, err = j.appendTx(tx, kiosk.Record{Time: now, Kind: kiosk.TxSystem, Outcome: kiosk.OutcomeError, Detail: DetailDiverged})
		if err != nil {
			return err
		}
		for _, r := range unsent {
			if r.Reference == "" {
				r.Reference = kiosk.ReferenceOf(r)
			}
			if _, err := j.appendTx(tx, r); err != nil {
				return fmt.Errorf("carry record %d: %w", r.Seq, err)
			}
		}
		if n := len(unsent); n > 0 {
			d.Carried, d.FromSeq, d.ToSeq = n, unsent[0].Seq, unsent[n-1].Seq
		}
		return nil
	})
	if err != nil {
		j.journalID = d.Previous
		return d, j.writeErr("diverge", err)
	}
	d.JournalID = newID
	j.log.Warn("journal diverged from the collector: started a new journal and carried the unsent records over",
		"previous", d.Previous, "journal_id", newID, "carried", d.Carried, "from_seq", d.FromSeq, "to_seq", d.ToSeq,
		"copy", d.SavedTo, "why", why)
	return d, nil
}

// unsentRecords reads every record still in the journal, oldest first.
func unsentRecords(rb *bolt.Bucket) ([]kiosk.Record, error) {
	var out []kiosk.Record
	err := rb.ForEach(func(k, v []byte) error {
		var r kiosk.Record
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("record %d: %w", u64(k), err)
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// HeadSeq is the newest record's sequence (0 before the first).
func (j *Journal) HeadSeq() (uint64, error) {
	var seq uint64
	err := j.view(func(tx *bolt.Tx) error {
		seq = u64(tx.Bucket(bucketMeta).Get(metaHeadSeq))
		return nil
	})
	return seq, err
}
