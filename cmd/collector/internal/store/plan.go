package store

import (
	"fmt"
	"slices"
	"time"

	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// Link is what the chain checks need of a record held.
type Link struct{ Hash, PrevHash string }

// Planned is what an Ingest must write.
type Planned struct {
	Put        []kiosk.Record // new records, in the order given
	Acked      []ksync.Ack
	Refused    []ksync.Refusal
	Flags      []Flag
	Duplicates int
}

// Plan decides what an Ingest stores, record by record, oldest first:
//   - a record whose content does not match its hash, that names another
//     kiosk or journal, whose sequence is beyond kiosk.MaxSeq or whose
//     values are off their lists (kiosk.CheckRecord) is refused;
//   - a record already held with the same hash is acknowledged again;
//     with another hash it is a conflict and refused;
//   - a record must link to the record held before it and the record held
//     after it must link to it, else it is a chain break and refused;
//     sequence 1 must start the chain (PrevHash genesis), and only the
//     legacy journal may hold a second start (old firmware's reset files);
//   - anything else is stored, also inside a gap (which it then closes).
//
// It stops at the first refusal: the kiosk releases only the acknowledged
// oldest records anyway, and sends the rest again. held returns the record
// the store holds at seq in this journal.
func Plan(in Ingest, held func(seq uint64) (Link, bool)) Planned {
	var p Planned
	batch := map[uint64]Link{}
	get := func(seq uint64) (Link, bool) {
		if l, ok := batch[seq]; ok {
			return l, true
		}
		return held(seq)
	}
	legacy := in.JournalID == kiosk.LegacyJournalID
	refuse := func(r kiosk.Record, flag, format string, args ...any) {
		reason := fmt.Sprintf(format, args...)
		p.Refused = append(p.Refused, ksync.Refusal{Seq: r.Seq, Reason: reason, Code: flag})
		if flag != "" {
			p.Flags = append(p.Flags, Flag{KioskID: in.KioskID, JournalID: in.JournalID, Kind: flag, Seq: r.Seq,
				Detail: reason, First: in.At, Last: in.At, Count: 1})
		}
	}
	for _, r := range in.Records {
		switch {
		case r.Seq == 0:
			refuse(r, "", "sequence 0 is no record's")
		case r.Seq > kiosk.MaxSeq:
			refuse(r, FlagInvalid, "sequence %d is beyond any journal's (at most %d)", r.Seq, uint64(kiosk.MaxSeq))
		case r.KioskID != in.KioskID:
			refuse(r, FlagForeign, "record names kiosk %q", r.KioskID)
		case r.JournalID != in.JournalID && !(legacy && r.JournalID == ""):
			refuse(r, FlagForeign, "record names journal %q", r.JournalID)
		case journal.HashRecord(r) != r.Hash:
			refuse(r, FlagBadHash, "content does not match its hash")
		default:
			if err := kiosk.CheckRecord(r); err != nil {
				refuse(r, FlagInvalid, "%v", err)
			}
		}
		if len(p.Refused) > 0 {
			break
		}
		if h, ok := get(r.Seq); ok {
			if h.Hash == r.Hash {
				p.Acked = append(p.Acked, ksync.Ack{Seq: r.Seq, Hash: r.Hash})
				p.Duplicates++
				continue
			}
			refuse(r, FlagConflict, "differs from the record already held at sequence %d", r.Seq)
			break
		}
		genesis := r.PrevHash == journal.Genesis
		if pred, ok := get(r.Seq - 1); ok && r.Seq > 1 {
			if r.PrevHash != pred.Hash {
				refuse(r, FlagChainBreak, "does not follow record %d held (prev_hash differs)", r.Seq-1)
			}
		} else if r.Seq == 1 && !genesis {
			refuse(r, FlagChainStart, "sequence 1 does not start a chain")
		} else if genesis && r.Seq > 1 && !legacy {
			refuse(r, FlagChainStart, "starts a second chain inside the journal")
		}
		if succ, ok := get(r.Seq + 1); ok && len(p.Refused) == 0 && succ.PrevHash != r.Hash {
			refuse(r, FlagChainBreak, "record %d held does not follow it", r.Seq+1)
		}
		if len(p.Refused) > 0 {
			break
		}
		p.Put = append(p.Put, r)
		p.Acked = append(p.Acked, ksync.Ack{Seq: r.Seq, Hash: r.Hash})
		batch[r.Seq] = Link{Hash: r.Hash, PrevHash: r.PrevHash}
	}
	return p
}

// NewJournal is the state of a journal seen for the first time.
func NewJournal(kioskID, journalID string, now time.Time) JournalState {
	reason := ReasonUnknown
	if journalID == kiosk.LegacyJournalID {
		reason = ReasonLegacy
	}
	return JournalState{KioskID: kioskID, JournalID: journalID, FirstSeen: now, LastSeen: now, Reason: reason}
}

// reasonOf reads why a journal was made from its start record.
func reasonOf(r kiosk.Record) string {
	switch r.Detail {
	case journal.DetailJournalNew:
		return ReasonNewFile
	case journal.DetailReset:
		return ReasonCorrupt
	case journal.DetailDiverged:
		return ReasonDiverged
	}
	return ReasonUnknown
}

// Apply updates the journal's state for a new record r stored at now:
// head, count, the start of the chain, and the gaps.
func (j *JournalState) Apply(r kiosk.Record, now time.Time) {
	j.Records++
	j.LastSeen = now
	if r.Seq > j.HeadSeq {
		if lo := j.HeadSeq + 1; r.Seq > lo {
			j.Gaps = append(j.Gaps, Gap{From: lo, To: r.Seq - 1, Since: now})
		}
		j.HeadSeq, j.HeadHash = r.Seq, r.Hash
	} else {
		j.fill(r.Seq)
	}
	if r.PrevHash == journal.Genesis {
		// Nothing of this chain comes before its start.
		j.Gaps = slices.DeleteFunc(j.Gaps, func(g Gap) bool { return g.To == r.Seq-1 })
		if j.StartSeq == 0 || r.Seq < j.StartSeq {
			j.StartSeq = r.Seq
			if r.Kind == kiosk.TxSystem && j.JournalID != kiosk.LegacyJournalID {
				j.Created, j.Reason = r.Time, reasonOf(r)
			}
		}
	}
}

// fill takes seq out of the gap it is in.
func (j *JournalState) fill(seq uint64) {
	for i, g := range j.Gaps {
		if seq < g.From || seq > g.To {
			continue
		}
		switch {
		case g.From == g.To:
			j.Gaps = slices.Delete(j.Gaps, i, i+1)
		case seq == g.From:
			j.Gaps[i].From++
		case seq == g.To:
			j.Gaps[i].To--
		default:
			j.Gaps = slices.Insert(j.Gaps, i+1, Gap{From: seq + 1, To: g.To, Since: g.Since})
			j.Gaps[i].To = seq - 1
		}
		return
	}
}

// JournalEvent is the event of a new journal appearing beside others of
// the same kiosk, and the flags it raises (a reference tag already used by
// another of its journals makes references ambiguous).
func JournalEvent(st JournalState, others []JournalState, now time.Time) (Event, []Flag) {
	ev := Event{Time: now, KioskID: st.KioskID, Kind: EventJournalFirst, JournalID: st.JournalID, Reason: st.Reason, Created: st.Created}
	var flags []Flag
	var last time.Time
	for _, o := range others {
		if o.JournalID == st.JournalID {
			continue
		}
		ev.Kind = EventJournalRecreated
		if o.LastSeen.After(last) {
			last, ev.Previous = o.LastSeen, o.JournalID
		}
		if kiosk.JournalTag(o.JournalID) == kiosk.JournalTag(st.JournalID) {
			flags = append(flags, Flag{KioskID: st.KioskID, JournalID: st.JournalID, Kind: FlagTagCollision, First: now, Last: now, Count: 1,
				Detail: fmt.Sprintf("journals %s and %s share the reference tag %s: a lookup shows both", o.JournalID, st.JournalID, kiosk.JournalTag(o.JournalID))})
		}
	}
	return ev, flags
}

// MergeFlag counts a condition seen again into the flag already kept.
func MergeFlag(old *Flag, f Flag) Flag {
	if old == nil {
		if f.Count == 0 {
			f.Count = 1
		}
		if f.First.IsZero() {
			f.First = f.Last
		}
		return f
	}
	m := *old
	m.Count++
	if f.Last.After(m.Last) {
		m.Last = f.Last
	}
	m.Detail = f.Detail
	return m
}
