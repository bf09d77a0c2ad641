package journal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/villagehall/kiosk/kiosk"
)

// Salvaged is what Salvage found in a journal file's bytes.
type Salvaged struct {
	// Runs are the verified records, by kiosk, journal and sequence, cut
	// where a sequence is missing or a link does not hold: each run is an
	// unbroken chain piece, exportable as it is.
	Runs [][]kiosk.Record
	// Unverified counts records found whose hash does not match their
	// content (damaged, or hashed with another key): never exported.
	Unverified int
	// Conflicts counts verified records that differ from another verified
	// record at the same place (kept: the first found).
	Conflicts int
}

// Records is how many verified records the runs hold.
func (s Salvaged) Records() int {
	n := 0
	for _, r := range s.Runs {
		n += len(r)
	}
	return n
}

// Salvage reads what it can of the records in a journal file that bbolt
// cannot open (a corrupt file Open moved aside): it looks for every record
// stored in the file's pages — records are JSON values, and each carries
// its own hash — and keeps those whose hash matches their content.
// Freed pages may still hold
// records released long ago; they verify too and the collector
// acknowledges them again as duplicates.
func Salvage(data []byte) Salvaged {
	type place struct {
		kiosk, journal string
		seq            uint64
	}
	found := map[place]kiosk.Record{}
	var s Salvaged
	marker := []byte(`{"seq":`)
	for i := 0; ; {
		at := bytes.Index(data[i:], marker)
		if at < 0 {
			break
		}
		i += at
		var r kiosk.Record
		dec := json.NewDecoder(bytes.NewReader(data[i:]))
		if err := dec.Decode(&r); err != nil || r.Hash == "" {
			i++
			continue
		}
		i += int(dec.InputOffset())
		if r.Seq == 0 || r.Seq > kiosk.MaxSeq || HashRecord(r) != r.Hash {
			s.Unverified++
			continue
		}
		p := place{r.KioskID, r.JournalID, r.Seq}
		if old, ok := found[p]; ok {
			if old.Hash != r.Hash {
				s.Conflicts++
			}
			continue
		}
		found[p] = r
	}
	recs := make([]kiosk.Record, 0, len(found))
	for _, r := range found {
		recs = append(recs, r)
	}
	sort.Slice(recs, func(a, b int) bool {
		x, y := recs[a], recs[b]
		if x.KioskID != y.KioskID {
			return x.KioskID < y.KioskID
		}
		if x.JournalID != y.JournalID {
			return x.JournalID < y.JournalID
		}
		return x.Seq < y.Seq
	})
	for i, r := range recs {
		if i == 0 || !follows(recs[i-1], r) {
			s.Runs = append(s.Runs, nil)
		}
		s.Runs[len(s.Runs)-1] = append(s.Runs[len(s.Runs)-1], r)
	}
	return s
}

func follows(prev, r kiosk.Record) bool {
	return prev.KioskID == r.KioskID && prev.JournalID == r.JournalID && r.Seq-1 == prev.Seq && r.PrevHash == prev.Hash
}

// String says what a salvage found, for a technician.
func (s Salvaged) String() string {
	return fmt.Sprintf("%d records verified in %d unbroken runs; %d found that do not match their hash (not exported); %d conflicting copies",
		s.Records(), len(s.Runs), s.Unverified, s.Conflicts)
}
