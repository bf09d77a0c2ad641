package console

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/kiosk"
)

// Follow-ups come a page at a time (7,579 open items made 5.9 MB of HTML),
// counted by what staff have to do, newest first. The cursor names the
// last item shown (?after=TIME.KIOSK/JOURNAL/SEQ): the next page is what
// comes after it, however many were marked meanwhile. The period is the
// last 30 days unless asked; the page says so and links to the period
// before, so nothing older silently drops out.

const followUpsShown = 100

// fuGroups are the kinds in the order the counter works through them.
var fuGroups = store.FollowUpKinds

type fuGroup struct {
	Kind     FollowUpKind
	Count    int
	Selected bool
	URL      string
}

type followUpsPage struct {
	From, To string
	ShowAll  bool
	Kind     FollowUpKind // "" every kind
	Groups   []fuGroup
	Total    int // items of the selected kind in the period
	Items    []FollowUp
	Ended    []EndedJournal // journals that ended with records unsent
	More     int            // items after this page
	Next     string         // the next page's URL, "" when none
	First    string         // the first page's URL when this is not it
	Default  bool           // the period is the default window
	Earlier  string         // the period before, as a URL
	Flash    string
	Back     string
}

func (c *Console) followUps(q *req) {
	v := q.r.URL.Query()
	p := followUpsPage{From: v.Get("from"), To: v.Get("to"), ShowAll: v.Get("show") == "all", Kind: FollowUpKind(v.Get("kind")),
		Flash: flash(q), Back: q.r.URL.RequestURI()}
	if p.From == "" && p.To == "" {
		p.From = q.now.In(kiosk.JST()).AddDate(0, 0, -30).Format("2006-01-02")
		p.To = q.now.In(kiosk.JST()).Format("2006-01-02")
		p.Default = true
	}
	from, to, err := period(url.Values{"from": {p.From}, "to": {p.To}})
	if err == nil && p.Kind != "" && !slices.Contains(fuGroups, p.Kind) {
		err = badInput("input.kind", string(p.Kind))
	}
	after, cerr := parseFUCursor(v.Get("after"))
	if err == nil {
		err = cerr
	}
	if err != nil {
		c.fail(q, http.StatusBadRequest, inputMessage(q.lang, err))
		return
	}
	if err := c.pageFollowUps(ctxOf(q), &p, v, after, from, to); err != nil {
		c.storeFailed(q, "list follow-ups", err)
		return
	}
	if p.Ended, err = endedJournals(ctxOf(q), c.o.Store); err != nil {
		c.storeFailed(q, "list ended journals", err)
		return
	}
	if !p.ShowAll {
		p.Ended = slices.DeleteFunc(p.Ended, func(e EndedJournal) bool { return e.Mark != nil })
	}
	if !c.audited(q, store.ActViewFollowUp, fmt.Sprintf("from=%s to=%s all=%t kind=%s after=%s shown=%d of=%d ended=%d",
		p.From, p.To, p.ShowAll, p.Kind, v.Get("after"), len(p.Items), p.Total, len(p.Ended))) {
		return
	}
	c.render(q, http.StatusOK, "followups", p)
}

// pageFollowUps counts the follow-ups by kind and reads one page of the
// selected kind after the cursor, from the store's follow-up index.
func (c *Console) pageFollowUps(ctx context.Context, p *followUpsPage, v url.Values, after *fuCursor, from, to time.Time) error {
	link := func(set map[string]string) string {
		u := url.Values{}
		for _, k := range []string{"from", "to", "show", "kind"} {
			if x := v.Get(k); x != "" {
				u.Set(k, x)
			}
		}
		for k, x := range set {
			if x == "" {
				u.Del(k)
			} else {
				u.Set(k, x)
			}
		}
		return Prefix + "followups?" + u.Encode()
	}
	fq := store.FollowUpQuery{From: from, To: to, Unmarked: !p.ShowAll}
	counts, err := c.o.Store.FollowUpCounts(ctx, fq)
	if err != nil {
		return err
	}
	for _, k := range fuGroups {
		p.Groups = append(p.Groups, fuGroup{Kind: k, Count: counts[k], Selected: k == p.Kind, URL: link(map[string]string{"kind": string(k)})})
	}
	fq.Kind = p.Kind
	p.Total = sumKinds(counts, p.Kind)
	left := p.Total // items from the cursor on
	if after != nil {
		fq.After = &store.FollowUpCursor{Time: after.Time, ID: after.ID}
		p.First = link(map[string]string{"after": ""})
		rest, err := c.o.Store.FollowUpCounts(ctx, fq)
		if err != nil {
			return err
		}
		left = sumKinds(rest, p.Kind)
	}
	fq.Limit = followUpsShown
	if p.Items, err = followUpsOf(ctx, c.o.Store, fq); err != nil {
		return err
	}
	if p.More = max(left-len(p.Items), 0); p.More > 0 && len(p.Items) > 0 {
		p.Next = link(map[string]string{"after": cursorOf(p.Items[len(p.Items)-1]).String()})
	}
	earlierFrom := from.In(kiosk.JST()).AddDate(0, 0, -30)
	p.Earlier = link(map[string]string{"from": earlierFrom.Format("2006-01-02"), "to": from.In(kiosk.JST()).AddDate(0, 0, -1).Format("2006-01-02"), "after": ""})
	return nil
}

// sumKinds is counts of kind, or of every kind when kind is "".
func sumKinds(counts map[FollowUpKind]int, kind FollowUpKind) int {
	if kind != "" {
		return counts[kind]
	}
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

// fuCursor is where a page of follow-ups ends: the last item's time and identity.
type fuCursor struct {
	Time time.Time
	ID   store.RecordID
}

func cursorOf(f FollowUp) fuCursor { return fuCursor{f.Record.Time, f.ID()} }

func (c fuCursor) String() string {
	return strconv.FormatInt(c.Time.UnixNano(), 10) + "." + c.ID.String()
}

func parseFUCursor(s string) (*fuCursor, error) {
	if s == "" {
		return nil, nil
	}
	ns, id, ok := strings.Cut(s, ".")
	n, err := strconv.ParseInt(ns, 10, 64)
	rid, rerr := store.ParseRecordID(id)
	if !ok || err != nil || rerr != nil {
		return nil, badInput("input.cursor", s)
	}
	return &fuCursor{time.Unix(0, n), rid}, nil
}
