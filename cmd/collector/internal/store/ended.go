package store

import (
	"fmt"
	"time"
)

// UnsentAtEnd is the follow-up for the journal a kiosk left behind when it
// started st (a new SD card, a corrupt file moved aside): how many of the
// records its last heartbeat from that journal reported unsent are not at
// the collector. Those are only on the old card or file now (kioskctl
// journal salvage). A journal that diverged carried its unsent records
// over, so it leaves nothing behind. last and before are the kiosk's
// latest heartbeat and the last one from the journal before it.
func UnsentAtEnd(st JournalState, journals []JournalState, last, before *Heartbeat, now time.Time) (Flag, bool) {
	if st.Reason == ReasonDiverged {
		return Flag{}, false
	}
	hb := last
	if hb == nil || hb.HB.JournalID == st.JournalID {
		hb = before
	}
	if hb == nil || hb.HB.JournalID == "" || hb.HB.JournalID == st.JournalID || hb.HB.Sync.Unsent <= 0 {
		return Flag{}, false
	}
	var old *JournalState
	for i := range journals {
		if journals[i].JournalID == hb.HB.JournalID {
			old = &journals[i]
		}
	}
	unsent := uint64(hb.HB.Sync.Unsent)
	missing, span := unsent, ""
	if head := hb.HB.Sync.HeadSeq; head >= unsent && unsent > 0 {
		lo := head - unsent + 1
		span = fmt.Sprintf(" (sequences %d–%d)", lo, head)
		if old != nil {
			missing = unsent - old.held(lo, head)
		}
	}
	if missing == 0 {
		return Flag{}, false
	}
	return Flag{KioskID: st.KioskID, JournalID: hb.HB.JournalID, Kind: FlagUnsentAtEnd, First: now, Last: now, Count: 1,
		Detail: fmt.Sprintf("journal %s ended when the kiosk started journal %s (%s): its last heartbeat (%s) reported %d records unsent%s, "+
			"%d of them are not at the collector; they are only on the old card or file (kioskctl journal salvage, then import)",
			hb.HB.JournalID, st.JournalID, st.Reason, hb.HB.Time.UTC().Format(time.RFC3339), unsent, span, missing)}, true
}

// held counts the records the journal holds from lo to hi.
func (j JournalState) held(lo, hi uint64) uint64 {
	hi = min(hi, j.HeadSeq)
	if lo > hi {
		return 0
	}
	n := hi - lo + 1
	for _, g := range j.Gaps {
		a, b := max(g.From, lo), min(g.To, hi)
		if a <= b {
			n -= b - a + 1
		}
	}
	return n
}
