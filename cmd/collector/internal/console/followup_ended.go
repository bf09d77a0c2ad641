package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
)

// A journal that ended with records the kiosk reported unsent (a new SD
// card, a corrupt file moved aside) is a follow-up too: those records are
// only on the old card, and someone has to salvage and import them. It is
// no record, so its mark is kept on sequence 0 of the journal that ended
// (records start at 1: no record's mark can be confused with it).

// endedSeq is the sequence a journal-end mark is kept on.
const endedSeq = 0

// FollowUpUnsentAtEnd is the kind of an ended journal's follow-up.
const FollowUpUnsentAtEnd FollowUpKind = store.FlagUnsentAtEnd

// EndedJournal is a journal that ended with records unsent, and its mark.
type EndedJournal struct {
	Flag store.Flag
	Mark *store.Mark
}

// ID names the ended journal in a mark form ("KIOSK/JOURNAL").
func (e EndedJournal) ID() string { return e.Flag.KioskID + "/" + e.Flag.JournalID }

// endedJournals lists every kiosk's unsent_at_end flags with their marks,
// newest first. Flags are few (one per journal ended), so this reads the
// kiosk list once and one mark per flag.
func endedJournals(ctx context.Context, st store.Store) ([]EndedJournal, error) {
	ks, err := st.Kiosks(ctx)
	if err != nil {
		return nil, err
	}
	var out []EndedJournal
	for _, k := range ks {
		for _, f := range k.Flags {
			if f.Kind != store.FlagUnsentAtEnd {
				continue
			}
			m, err := st.MarkOf(ctx, f.KioskID, f.JournalID, endedSeq)
			if err != nil {
				return nil, err
			}
			out = append(out, EndedJournal{Flag: f, Mark: m})
		}
	}
	// Newest first, as the record follow-ups.
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// markEnded marks an ended journal's follow-up handled (the form's "ended"
// field is KIOSK/JOURNAL), then goes back as a record's mark does.
func (c *Console) markEnded(q *req, f url.Values, note string) {
	kioskID, journalID, ok := strings.Cut(f.Get("ended"), "/")
	ctx := ctxOf(q)
	var flag *store.Flag
	if ok {
		k, err := c.o.Store.Kiosk(ctx, kioskID)
		if err != nil && !errors.Is(err, ErrNotFound) {
			c.storeFailed(q, "read kiosk", err)
			return
		}
		for i := range k.Flags {
			if k.Flags[i].Kind == store.FlagUnsentAtEnd && k.Flags[i].JournalID == journalID {
				flag = &k.Flags[i]
			}
		}
	}
	if flag == nil {
		c.fail(q, http.StatusNotFound, text(q.lang, "error.notfound"))
		return
	}
	if !c.audited(q, store.ActMark, fmt.Sprintf("%s/%s ended kind=%s note=%q", kioskID, journalID, FollowUpUnsentAtEnd, note)) {
		return
	}
	m, err := c.o.Store.Mark(ctx, store.Mark{KioskID: kioskID, JournalID: journalID, Seq: endedSeq, RecordTime: flag.First.UTC(),
		Kind: string(FollowUpUnsentAtEnd), By: q.staff.Name, At: q.now.UTC(), Note: note})
	if err != nil && !errors.Is(err, ErrAlreadyMarked) {
		c.storeFailed(q, "mark follow-up", err)
		return
	}
	if err == nil {
		c.log.Info("console: ended journal marked handled", "kiosk", kioskID, "journal", journalID, "staff", q.staff.Name)
	}
	c.backAfterMark(q, f.Get("back"), m, err)
}

// backAfterMark goes back to the page the mark came from with a flash.
func (c *Console) backAfterMark(q *req, to string, m store.Mark, err error) {
	back, _ := url.Parse(localPath(to))
	bq := back.Query()
	if errors.Is(err, ErrAlreadyMarked) {
		bq.Set("flash", "already")
		bq.Set("by", m.By)
		bq.Set("at", formatTime(m.At))
	} else {
		bq.Set("flash", "marked")
	}
	back.RawQuery = bq.Encode()
	http.Redirect(q.w, q.r, back.String(), http.StatusSeeOther)
}
