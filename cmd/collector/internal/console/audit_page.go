package console

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
)

// The audit page shows one page of the log, newest first, and reads only
// that page (and the entry before it, to check the page links to it): a
// log of millions of entries costs no more to look at than a short one.
// The cursor is the sequence the page ends before (?before=N, shown as
// "older"); absent, the page ends at the newest entry. Checking the whole
// chain is asked for (?verify=all) and reads the log in chunks.

const (
	auditShown      = 200    // entries on one page
	auditCheckChunk = 10_000 // entries read at a time for the whole-chain check
)

type auditPage struct {
	Entries []store.AuditEntry // newest first
	Total   uint64             // entries in the log (sequences run from 1 without a hole)
	Older   uint64             // entries before this page
	Before  uint64             // the cursor of the next (older) page, 0 when none
	Newer   bool               // a newer page exists
	// Checked says what was checked: this page's link (First–Last) or,
	// with All, the whole chain.
	All         bool
	First, Last uint64
	Break       *store.AuditBreak
	Head        string
}

func (c *Console) auditLog(q *req) {
	v := q.r.URL.Query()
	all := v.Get("verify") == "all"
	// The view itself is an entry, written first: its sequence is the
	// log's length when the page is read (it is shown on it).
	detail := ""
	if all {
		detail = "verify=all"
	}
	self, err := c.o.Store.AppendAudit(ctxOf(q), store.AuditEntry{Time: q.now, Staff: q.staff.Name, Cert: q.staff.Serial,
		Action: store.ActViewAudit, Detail: detail, Remote: q.r.RemoteAddr})
	if err != nil {
		c.log.Error("console: audit log write failed", "action", store.ActViewAudit, "staff", q.staff.Name, "err", err)
		c.auditUnwritable(q, err)
		return
	}
	p := auditPage{Total: self.Seq, Head: self.Hash, All: all}
	end := self.Seq + 1 // the page ends before this sequence
	if s := v.Get("before"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil || n < 2 || n > end {
			c.fail(q, http.StatusBadRequest, inputMessage(q.lang, badInput("input.cursor", s)))
			return
		}
		end, p.Newer = n, true
	}
	first := uint64(1)
	if end > auditShown {
		first = end - auditShown
	}
	// The page and the entry before it, oldest first.
	es, err := c.o.Store.Audit(ctxOf(q), max(first, 2)-2, int(end-first)+1)
	if err != nil {
		c.storeFailed(q, "read audit log", err)
		return
	}
	var prev *store.AuditEntry
	if first > 1 && len(es) > 0 && es[0].Seq == first-1 {
		prev, es = &es[0], es[1:]
	}
	if first > 1 && prev == nil {
		p.Break = &store.AuditBreak{Seq: first - 1, Reason: "missing"}
	} else if len(es) > 0 {
		p.Break = store.VerifyAudit(prev, es)
	}
	p.First, p.Last, p.Older = first, end-1, first-1
	if p.Older > 0 {
		p.Before = first
	}
	if all && p.Break == nil {
		p.Break, err = c.checkWholeAudit(q)
		if err != nil {
			c.storeFailed(q, "check audit log", err)
			return
		}
	}
	for i := len(es) - 1; i >= 0; i-- {
		p.Entries = append(p.Entries, es[i])
	}
	c.render(q, http.StatusOK, "audit", p)
}

// checkWholeAudit checks the chain from the first entry to the last, a
// chunk at a time (memory stays one chunk, however long the log).
func (c *Console) checkWholeAudit(q *req) (*store.AuditBreak, error) {
	var prev *store.AuditEntry
	for after := uint64(0); ; {
		es, err := c.o.Store.Audit(ctxOf(q), after, auditCheckChunk)
		if err != nil {
			return nil, fmt.Errorf("audit after %d: %w", after, err)
		}
		if len(es) == 0 {
			return nil, nil
		}
		if b := store.VerifyAudit(prev, es); b != nil {
			return b, nil
		}
		prev = &es[len(es)-1]
		after = prev.Seq
	}
}

// auditUnwritable answers when the view's own entry cannot be written.
func (c *Console) auditUnwritable(q *req, err error) {
	if isUnavailable(err) {
		c.unavailable(q, "audit", err)
		return
	}
	c.fail(q, http.StatusServiceUnavailable, text(q.lang, "error.audit"))
}
