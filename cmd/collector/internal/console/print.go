package console

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/kiosk"
)

// Paper: a record, and the day's follow-ups, laid out for A4 (the print
// stylesheet in console.css hides the menu and forms). Staff print them
// with the browser's own print command; no script. Printing is a view
// like any other: audited, with "print" in the detail.

// recordPrint is one record on paper, for a resident's file or the counter.
func (c *Console) recordPrint(q *req) {
	p, ok := c.loadRecord(q)
	if !ok {
		return
	}
	if !c.audited(q, store.ActViewRecord, p.RecordIDText+" print") {
		return
	}
	c.render(q, http.StatusOK, "print_record", p)
}

type printFollowUpsPage struct {
	Day    string
	Groups []printGroup
	Open   int
	Total  int
}

type printGroup struct {
	Kind  FollowUpKind
	Items []FollowUp
}

// followUpsPrint is one day's follow-ups (?day=YYYY-MM-DD, default today),
// open and handled, by what to do: the counter's list for the day.
func (c *Console) followUpsPrint(q *req) {
	day := q.r.URL.Query().Get("day")
	if day == "" {
		day = q.now.In(kiosk.JST()).Format("2006-01-02")
	}
	from, err := parseDay(day, false)
	if err != nil {
		c.fail(q, http.StatusBadRequest, inputMessage(q.lang, err))
		return
	}
	to, _ := parseDay(day, true)
	items, err := FollowUps(ctxOf(q), c.o.Store, from, to)
	if err != nil {
		c.storeFailed(q, "list follow-ups", err)
		return
	}
	p := printFollowUpsPage{Day: day, Total: len(items)}
	slices.Reverse(items) // the day in the order it happened
	for _, k := range fuGroups {
		g := printGroup{Kind: k}
		for _, it := range items {
			if it.Kind == k {
				g.Items = append(g.Items, it)
				if it.Mark == nil {
					p.Open++
				}
			}
		}
		if len(g.Items) > 0 {
			p.Groups = append(p.Groups, g)
		}
	}
	if !c.audited(q, store.ActViewFollowUp, fmt.Sprintf("day=%s print items=%d", day, len(items))) {
		return
	}
	c.render(q, http.StatusOK, "print_followups", p)
}
