package console

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/importer"
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
	"recURL": func(id store.RecordID) string {
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
	"fu":  func(l Lang, k FollowUpKind) string { return label(l, "fu.", string(k)) },
	"fus": func(l Lang, k FollowUpKind) string { return label(l, "fus.", string(k)) },
	"fuOf": func(l Lang, r kiosk.Record) string {
		if k, ok := FollowUpOf(r); ok {
			return label(l, "fus.", string(k))
		}
		return ""
	},
	"officeLines": officeLines,
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	},
}

type kioskRow struct {
	K         store.KioskState
	Level     Level
	Problems  []Problem
	Recreated int
	Gaps      int
	Installed *store.Installed // its entry on the installed list (fleet.go)
	Silent    int              // silentNot, silentNow, silentNever (fleet.go)
}

func (c *Console) row(l Lang, k store.KioskState, now time.Time) kioskRow {
	lv, ps := c.o.Health.assess(l, k, now)
	return kioskRow{K: k, Level: lv, Problems: ps, Recreated: k.Recreations(), Gaps: k.Gaps()}
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
	// The broken and the silent first, with the installed kiosks never
	// heard from: that is what staff open the page for.
	rows = c.withInstalled(q, rows)
	q.notice = c.auditedOrNoted(q, store.ActViewKiosks, fmt.Sprintf("%d kiosks", len(rows)))
	c.render(q, http.StatusOK, "kiosks", rows)
}

type kioskPage struct {
	Row     kioskRow
	Visits  []store.Found
	History []historyLine // numbers.go
}

func (c *Console) kiosk(q *req) {
	id := q.r.PathValue("id")
	k, err := c.o.Store.Kiosk(ctxOf(q), id)
	if err != nil {
		c.storeFailed(q, "read kiosk", err)
		return
	}
	vs, err := records(ctxOf(q), c.o.Store, store.Query{KioskID: id, Limit: 50, Newest: true})
	if err != nil {
		c.storeFailed(q, "list records", err)
		return
	}
	if !c.audited(q, store.ActViewKiosk, id) {
		return
	}
	c.render(q, http.StatusOK, "kiosk", kioskPage{Row: c.row(q.lang, k, q.now), Visits: vs, History: c.history(q, id)})
}

type option struct{ Value, Label string }

type findPage struct {
	Ref, Kiosk, From, To, Kind, Outcome string
	Kiosks                              []string
	Kinds, Outcomes                     []option
	Searched                            bool
	Results                             []store.Found
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
		return time.Time{}, badInput("input.notdate", s)
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
		err = badInput("input.order")
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
		p.Kiosks = append(p.Kiosks, k.KioskID)
	}
	code := http.StatusOK
	switch {
	case p.Ref != "":
		p.Searched = true
		vs, err := lookup(ctxOf(q), c.o.Store, p.Ref)
		switch {
		case errors.Is(err, ErrBadReference):
			code, p.Message = http.StatusBadRequest, inputMessage(q.lang, badInput("input.reference", p.Ref))
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
			http.Redirect(q.w, q.r, funcs["recURL"].(func(store.RecordID) string)(vs[0].ID()), http.StatusSeeOther)
			return
		}
		p.Results = vs
	case len(v) > 0:
		p.Searched = true
		from, to, err := period(v)
		if err != nil {
			p.Message, code = inputMessage(q.lang, err), http.StatusBadRequest
			break
		}
		vs, err := records(ctxOf(q), c.o.Store, store.Query{KioskID: p.Kiosk, From: from, To: to,
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
	V            store.Found
	Journal      *store.JournalState
	Prev, Next   *store.Found
	PrevOK       bool
	NextOK       bool
	Start, Head  bool
	FollowUp     FollowUpKind
	Mark         *store.Mark
	Flash        string
	SlipOf       []store.Found // for a printer note: the visit whose slip it was
	Flags        []store.Flag  // flags raised at this record
	RecordIDText string
}

func (c *Console) record(q *req) {
	p, ok := c.loadRecord(q)
	if !ok {
		return
	}
	p.Flash = flash(q)
	if !c.audited(q, store.ActViewRecord, p.RecordIDText) {
		return
	}
	c.render(q, http.StatusOK, "record", p)
}

// loadRecord reads the record the path names, its neighbours, journal,
// flags, follow-up and mark; it answers the request itself when it fails.
func (c *Console) loadRecord(q *req) (recordPage, bool) {
	seq, err := strconv.ParseUint(q.r.PathValue("seq"), 10, 64)
	if err != nil || seq == 0 {
		c.fail(q, http.StatusNotFound, text(q.lang, "error.notfound"))
		return recordPage{}, false
	}
	id := store.RecordID{KioskID: q.r.PathValue("kiosk"), JournalID: q.r.PathValue("journal"), Seq: seq}
	ctx := ctxOf(q)
	// The record and its two neighbours in its chain.
	vs, err := records(ctx, c.o.Store, store.Query{KioskID: id.KioskID, JournalID: id.JournalID, AfterSeq: seq - min(seq, 2), Limit: 3})
	if err != nil {
		c.storeFailed(q, "read record", err)
		return recordPage{}, false
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
		return recordPage{}, false
	}
	r := p.V.Record
	p.Start = r.PrevHash == journal.Genesis
	p.PrevOK = p.Prev != nil && p.Prev.Record.Hash == r.PrevHash
	p.NextOK = p.Next != nil && p.Next.Record.PrevHash == r.Hash
	k, err := c.o.Store.Kiosk(ctx, id.KioskID)
	if err != nil {
		c.storeFailed(q, "read kiosk", err)
		return recordPage{}, false
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
		if p.Mark, err = c.o.Store.MarkOf(ctx, id.KioskID, id.JournalID, id.Seq); err != nil {
			c.storeFailed(q, "read mark", err)
			return recordPage{}, false
		}
	}
	if r.Kind == kiosk.TxSystem && r.Reference != "" {
		if p.SlipOf, err = lookup(ctx, c.o.Store, r.Reference); err != nil && !errors.Is(err, ErrBadReference) {
			c.storeFailed(q, "look up slip", err)
			return recordPage{}, false
		}
	}
	return p, true
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

const maxNote = 500

// mark records a follow-up as handled, then goes back (POST, redirect, GET).
func (c *Console) mark(q *req) {
	if err := q.r.ParseForm(); err != nil {
		c.fail(q, http.StatusBadRequest, inputMessage(q.lang, err))
		return
	}
	f := q.r.PostForm
	note := strings.TrimSpace(f.Get("note"))
	if len([]rune(note)) > maxNote {
		c.fail(q, http.StatusBadRequest, inputMessage(q.lang, badInput("input.note", maxNote)))
		return
	}
	if f.Get("ended") != "" {
		c.markEnded(q, f, note)
		return
	}
	id, err := store.ParseRecordID(f.Get("record"))
	if err != nil {
		c.fail(q, http.StatusBadRequest, inputMessage(q.lang, badInput("input.record", f.Get("record"))))
		return
	}
	ctx := ctxOf(q)
	vs, err := records(ctx, c.o.Store, store.Query{KioskID: id.KioskID, JournalID: id.JournalID, AfterSeq: id.Seq - 1, Limit: 1})
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
		c.fail(q, http.StatusBadRequest, inputMessage(q.lang, badInput("input.nofollowup")))
		return
	}
	// The audit entry comes first: a mark nobody can trace is not made.
	if !c.audited(q, store.ActMark, fmt.Sprintf("%s kind=%s note=%q", id, kind, note)) {
		return
	}
	m, err := c.o.Store.Mark(ctx, store.Mark{KioskID: id.KioskID, JournalID: id.JournalID, Seq: id.Seq, RecordTime: vs[0].Record.Time.UTC(),
		Kind: string(kind), By: q.staff.Name, At: q.now.UTC(), Note: note})
	if err != nil && !errors.Is(err, ErrAlreadyMarked) {
		c.storeFailed(q, "mark follow-up", err)
		return
	}
	if err == nil {
		c.log.Info("console: follow-up marked handled", "record", id.String(), "kind", kind, "staff", q.staff.Name)
	}
	c.backAfterMark(q, f.Get("back"), m, err)
}

type exportPage struct{ From, To string }

func (c *Console) exportForm(q *req) {
	now := q.now.In(kiosk.JST())
	p := exportPage{From: time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, kiosk.JST()).Format("2006-01-02"), To: now.Format("2006-01-02")}
	c.render(q, http.StatusOK, "export", p)
}

type importPage struct {
	Available bool
	Result    *importer.Result
	Error     string
	Detail    string // the importer's own (English) reason, no server path
}

func (c *Console) importForm(q *req) {
	c.render(q, http.StatusOK, "import", importPage{Available: c.o.Importer != nil})
}
