package console

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

var funcs = template.FuncMap{
	"t":     text,
	"label": label,
	"time":  formatTime,
	"ago":   ago,
	"level": func(l Level) string { return l.key() },
	"recURL": func(id RecordID) string {
		return Prefix + "record/" + url.PathEscape(id.KioskID) + "/" + url.PathEscape(id.JournalID) + "/" + strconv.FormatUint(id.Seq, 10)
	},
	"kioskURL": func(id string) string { return Prefix + "kiosk/" + url.PathEscape(id) },
	"langURL": func(l Lang, path string) string {
		to := LangEN
		if l == LangEN {
			to = LangJA
		}
		return Prefix + "lang?" + url.Values{"to": {string(to)}, "back": {path}}.Encode()
	},
	"tries": func(p *int) string {
		if p == nil {
			return "—"
		}
		return strconv.Itoa(*p)
	},
	"short": func(h string) string {
		if len(h) > 16 {
			return h[:16] + "…"
		}
		return h
	},
	"devClass": func(d ksync.DeviceHealth) string {
		switch {
		case d.State == ksync.StateOK:
			return "dev-ok"
		case d.State == "unknown" || d.State == "":
			return "dev-unknown"
		}
		return "dev-bad"
	},
	"fu": func(l Lang, k FollowUpKind) string { return label(l, "fu.", string(k)) },
	"fuOf": func(l Lang, r kiosk.Record) string {
		if k, ok := FollowUpOf(r); ok {
			return label(l, "fus.", string(k))
		}
		return ""
	},
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	},
}

type kioskRow struct {
	K         Kiosk
	Level     Level
	Problems  []Problem
	Recreated int
	Gaps      int
}

func (c *Console) row(l Lang, k Kiosk, now time.Time) kioskRow {
	lv, ps := c.o.Health.assess(l, k, now)
	return kioskRow{K: k, Level: lv, Problems: ps, Recreated: recreations(k), Gaps: gapCount(k)}
}

func (c *Console) kiosks(q *req) {
	ks, err := c.o.Store.Kiosks(ctxOf(q))
	if err != nil {
		c.storeFailed(q, "list kiosks", err)
		return
	}
	rows := make([]kioskRow, 0, len(ks))
	for _, k := range ks {
		rows = append(rows, c.row(q.lang, k, q.now))
	}
	// The broken and the silent first: that is what staff open the page for.
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].Level != rows[j].Level {
			return rows[i].Level > rows[j].Level
		}
		return rows[i].K.ID < rows[j].K.ID
	})
	q.notice = c.auditedOrNoted(q, store.ActViewKiosks, fmt.Sprintf("%d kiosks", len(rows)))
	c.render(q, http.StatusOK, "kiosks", rows)
}

type kioskPage struct {
	Row    kioskRow
	Visits []Visit
}

func (c *Console) kiosk(q *req) {
	id := q.r.PathValue("id")
	k, err := c.o.Store.Kiosk(ctxOf(q), id)
	if err != nil {
		c.storeFailed(q, "read kiosk", err)
		return
	}
	vs, err := c.o.Store.Records(ctxOf(q), store.Query{KioskID: id, Limit: 50, Newest: true})
	if err != nil {
		c.storeFailed(q, "list records", err)
		return
	}
	if !c.audited(q, store.ActViewKiosk, id) {
		return
	}
	c.render(q, http.StatusOK, "kiosk", kioskPage{Row: c.row(q.lang, k, q.now), Visits: vs})
}

type option struct{ Value, Label string }

type findPage struct {
	Ref, Kiosk, From, To, Kind, Outcome string
	Kiosks                              []string
	Kinds, Outcomes                     []option
	Searched                            bool
	Results                             []Visit
	More                                bool
	Message                             string
}

const findLimit = 200

var (
	allKinds    = []kiosk.TxKind{kiosk.TxStatus, kiosk.TxChangeAuth, kiosk.TxChangeSign, kiosk.TxSignCheck, kiosk.TxCardError, kiosk.TxSystem}
	allOutcomes = []kiosk.Outcome{kiosk.OutcomeOK, kiosk.OutcomeWrongPIN, kiosk.OutcomeLocked, kiosk.OutcomeUnknown,
		kiosk.OutcomeCancelled, kiosk.OutcomeRemoved, kiosk.OutcomeError, kiosk.OutcomeNotPossible}
)

// parseDay reads a date input (YYYY-MM-DD) as the start of that day in
// JST; end makes it the start of the next day (the range includes it).
func parseDay(s string, end bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	d, err := time.ParseInLocation("2006-01-02", s, kiosk.JST())
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date (YYYY-MM-DD)", s)
	}
	if end {
		d = d.AddDate(0, 0, 1)
	}
	return d, nil
}

// period reads the from/to fields of a form.
func period(v url.Values) (from, to time.Time, err error) {
	if from, err = parseDay(v.Get("from"), false); err != nil {
		return
	}
	if to, err = parseDay(v.Get("to"), true); err != nil {
		return
	}
	if !from.IsZero() && !to.IsZero() && !from.Before(to) {
		err = errors.New("the end date is before the start date")
	}
	return
}

func (c *Console) find(q *req) {
	v := q.r.URL.Query()
	p := findPage{Ref: strings.TrimSpace(v.Get("ref")), Kiosk: v.Get("kiosk"), From: v.Get("from"), To: v.Get("to"),
		Kind: v.Get("kind"), Outcome: v.Get("outcome")}
	for _, k := range allKinds {
		p.Kinds = append(p.Kinds, option{string(k), label(q.lang, "", string(k))})
	}
	for _, o := range allOutcomes {
		p.Outcomes = append(p.Outcomes, option{string(o), label(q.lang, "", string(o))})
	}
	ks, err := c.o.Store.Kiosks(ctxOf(q))
	if err != nil {
		c.storeFailed(q, "list kiosks", err)
		return
	}
	for _, k := range ks {
		p.Kiosks = append(p.Kiosks, k.ID)
	}
	code := http.StatusOK
	switch {
	case p.Ref != "":
		p.Searched = true
		vs, err := c.o.Store.Lookup(ctxOf(q), p.Ref)
		switch {
		case errors.Is(err, ErrBadReference):
			code, p.Message = http.StatusBadRequest, text(q.lang, "error.input", err.Error())
		case err != nil:
			c.storeFailed(q, "look up reference", err)
			return
		case len(vs) == 0:
			p.Message = text(q.lang, "ref.not.found", p.Ref)
		}
		if !c.audited(q, store.ActSearch, "ref="+p.Ref+fmt.Sprintf(" found=%d", len(vs))) {
			return
		}
		if len(vs) == 1 {
			// What the counter wants: the record itself.
			http.Redirect(q.w, q.r, funcs["recURL"].(func(RecordID) string)(vs[0].ID()), http.StatusSeeOther)
			return
		}
		p.Results = vs
	case len(v) > 0:
		p.Searched = true
		from, to, err := period(v)
		if err != nil {
			p.Message, code = text(q.lang, "error.input", err.Error()), http.StatusBadRequest
			break
		}
		vs, err := c.o.Store.Records(ctxOf(q), store.Query{KioskID: p.Kiosk, From: from, To: to,
			Kind: kiosk.TxKind(p.Kind), Outcome: kiosk.Outcome(p.Outcome), Limit: findLimit + 1, Newest: true})
		if err != nil {
			c.storeFailed(q, "search records", err)
			return
		}
		if len(vs) > findLimit {
			vs, p.More = vs[:findLimit], true
		}
		p.Results = vs
		if len(vs) == 0 {
			p.Message = text(q.lang, "no.results")
		}
		if !c.audited(q, store.ActSearch, q.r.URL.RawQuery+fmt.Sprintf(" found=%d", len(vs))) {
			return
		}
	}
	if !p.Searched && !c.audited(q, store.ActSearch, "form") {
		return
	}
	c.render(q, code, "find", p)
}

type recordPage struct {
	V            Visit
	Journal      *store.JournalState
	Prev, Next   *Visit
	PrevOK       bool
	NextOK       bool
	Start, Head  bool
	FollowUp     FollowUpKind
	Mark         *store.Mark
	Flash        string
	SlipOf       []Visit      // for a printer note: the visit whose slip it was
	Flags        []store.Flag // flags raised at this record
	RecordIDText string
}

func (c *Console) record(q *req) {
	seq, err := strconv.ParseUint(q.r.PathValue("seq"), 10, 64)
	if err != nil || seq == 0 {
		c.fail(q, http.StatusNotFound, text(q.lang, "error.notfound"))
		return
	}
	id := RecordID{KioskID: q.r.PathValue("kiosk"), JournalID: q.r.PathValue("journal"), Seq: seq}
	ctx := ctxOf(q)
	// The record and its two neighbours in its chain.
	vs, err := c.o.Store.Records(ctx, store.Query{KioskID: id.KioskID, JournalID: id.JournalID, AfterSeq: seq - min(seq, 2), Limit: 3})
	if err != nil {
		c.storeFailed(q, "read record", err)
		return
	}
	p := recordPage{RecordIDText: id.String()}
	var found bool
	for i := range vs {
		switch vs[i].Record.Seq {
		case seq - 1:
			p.Prev = &vs[i]
		case seq:
			p.V, found = vs[i], true
		case seq + 1:
			p.Next = &vs[i]
		}
	}
	if !found {
		c.fail(q, http.StatusNotFound, text(q.lang, "error.notfound"))
		return
	}
	r := p.V.Record
	p.Start = r.PrevHash == journal.Genesis
	p.PrevOK = p.Prev != nil && p.Prev.Record.Hash == r.PrevHash
	p.NextOK = p.Next != nil && p.Next.Record.PrevHash == r.Hash
	k, err := c.o.Store.Kiosk(ctx, id.KioskID)
	if err != nil {
		c.storeFailed(q, "read kiosk", err)
		return
	}
	for i := range k.Journals {
		if k.Journals[i].JournalID == id.JournalID {
			p.Journal = &k.Journals[i]
			p.Head = p.Journal.HeadSeq == seq
		}
	}
	for _, f := range k.Flags {
		if f.JournalID == id.JournalID && f.Seq == seq {
			p.Flags = append(p.Flags, f)
		}
	}
	if fk, ok := FollowUpOf(r); ok {
		p.FollowUp = fk
		if p.Mark, err = c.o.Store.MarkOf(ctx, id); err != nil {
			c.storeFailed(q, "read mark", err)
			return
		}
	}
	if r.Kind == kiosk.TxSystem && r.Reference != "" {
		if p.SlipOf, err = c.o.Store.Lookup(ctx, r.Reference); err != nil && !errors.Is(err, ErrBadReference) {
			c.storeFailed(q, "look up slip", err)
			return
		}
	}
	p.Flash = flash(q)
	if !c.audited(q, store.ActViewRecord, id.String()) {
		return
	}
	c.render(q, http.StatusOK, "record", p)
}

// flash is the one-line confirmation a redirect after a mark carries.
func flash(q *req) string {
	switch v := q.r.URL.Query(); v.Get("flash") {
	case "marked":
		return text(q.lang, "marked")
	case "already":
		return text(q.lang, "already.marked", v.Get("by"), v.Get("at"))
	}
	return ""
}

type followUpsPage struct {
	From, To string
	ShowAll  bool
	Items    []FollowUp
	Flash    string
	Back     string
}

func (c *Console) followUps(q *req) {
	v := q.r.URL.Query()
	p := followUpsPage{From: v.Get("from"), To: v.Get("to"), ShowAll: v.Get("show") == "all", Flash: flash(q), Back: q.r.URL.RequestURI()}
	if p.From == "" && p.To == "" {
		// The last 30 days unless asked.
		p.From = q.now.In(kiosk.JST()).AddDate(0, 0, -30).Format("2006-01-02")
		p.To = q.now.In(kiosk.JST()).Format("2006-01-02")
	}
	from, to, err := period(url.Values{"from": {p.From}, "to": {p.To}})
	if err != nil {
		c.fail(q, http.StatusBadRequest, text(q.lang, "error.input", err.Error()))
		return
	}
	items, err := c.o.Store.FollowUps(ctxOf(q), from, to)
	if err != nil {
		c.storeFailed(q, "list follow-ups", err)
		return
	}
	if !p.ShowAll {
		open := items[:0]
		for _, it := range items {
			if it.Mark == nil {
				open = append(open, it)
			}
		}
		items = open
	}
	p.Items = items
	if !c.audited(q, store.ActViewFollowUp, fmt.Sprintf("from=%s to=%s all=%t shown=%d", p.From, p.To, p.ShowAll, len(items))) {
		return
	}
	c.render(q, http.StatusOK, "followups", p)
}

const maxNote = 500

// mark records a follow-up as handled, then goes back (POST, redirect, GET).
func (c *Console) mark(q *req) {
	if err := q.r.ParseForm(); err != nil {
		c.fail(q, http.StatusBadRequest, text(q.lang, "error.input", err.Error()))
		return
	}
	f := q.r.PostForm
	id, err := ParseRecordID(f.Get("record"))
	if err != nil {
		c.fail(q, http.StatusBadRequest, text(q.lang, "error.input", err.Error()))
		return
	}
	note := strings.TrimSpace(f.Get("note"))
	if len([]rune(note)) > maxNote {
		c.fail(q, http.StatusBadRequest, text(q.lang, "error.input", fmt.Sprintf("the note is longer than %d characters", maxNote)))
		return
	}
	ctx := ctxOf(q)
	vs, err := c.o.Store.Records(ctx, store.Query{KioskID: id.KioskID, JournalID: id.JournalID, AfterSeq: id.Seq - 1, Limit: 1})
	if err != nil {
		c.storeFailed(q, "read record", err)
		return
	}
	if len(vs) == 0 || vs[0].Record.Seq != id.Seq {
		c.fail(q, http.StatusNotFound, text(q.lang, "error.notfound"))
		return
	}
	kind, ok := FollowUpOf(vs[0].Record)
	if !ok {
		c.fail(q, http.StatusBadRequest, text(q.lang, "error.input", "this record needs no follow-up"))
		return
	}
	// The audit entry comes first: a mark nobody can trace is not made.
	if !c.audited(q, store.ActMark, fmt.Sprintf("%s kind=%s note=%q", id, kind, note)) {
		return
	}
	m, err := c.o.Store.Mark(ctx, store.Mark{KioskID: id.KioskID, JournalID: id.JournalID, Seq: id.Seq, RecordTime: vs[0].Record.Time.UTC(),
		Kind: string(kind), By: q.staff.Name, At: q.now.UTC(), Note: note})
	back, _ := url.Parse(localPath(f.Get("back")))
	bq := back.Query()
	switch {
	case errors.Is(err, ErrAlreadyMarked):
		bq.Set("flash", "already")
		bq.Set("by", m.By)
		bq.Set("at", formatTime(m.At))
	case err != nil:
		c.storeFailed(q, "mark follow-up", err)
		return
	default:
		bq.Set("flash", "marked")
		c.log.Info("console: follow-up marked handled", "record", id.String(), "kind", kind, "staff", q.staff.Name)
	}
	back.RawQuery = bq.Encode()
	http.Redirect(q.w, q.r, back.String(), http.StatusSeeOther)
}

type exportPage struct{ From, To string }

func (c *Console) exportForm(q *req) {
	now := q.now.In(kiosk.JST())
	p := exportPage{From: time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, kiosk.JST()).Format("2006-01-02"), To: now.Format("2006-01-02")}
	c.render(q, http.StatusOK, "export", p)
}

type importPage struct {
	Available bool
	Result    *ImportResult
	Error     string
}

func (c *Console) importForm(q *req) {
	c.render(q, http.StatusOK, "import", importPage{Available: c.o.Importer != nil})
}

type auditPage struct {
	Entries []store.AuditEntry
	Total   int
	Break   *store.AuditBreak
	Head    string
}

const auditShown = 200

func (c *Console) auditLog(q *req) {
	// The view itself is an entry: write it first, then read and check the
	// whole chain including it.
	if !c.audited(q, store.ActViewAudit, "") {
		return
	}
	es, err := c.o.Store.Audit(ctxOf(q), 0, 0)
	if err != nil {
		c.storeFailed(q, "read audit log", err)
		return
	}
	p := auditPage{Total: len(es), Break: store.VerifyAudit(nil, es)}
	if len(es) > 0 {
		p.Head = es[len(es)-1].Hash
	}
	for i := len(es) - 1; i >= 0 && len(p.Entries) < auditShown; i-- {
		p.Entries = append(p.Entries, es[i])
	}
	c.render(q, http.StatusOK, "audit", p)
}
