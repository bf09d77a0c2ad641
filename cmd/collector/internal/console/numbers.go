package console

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/kiosk"
)

// countRow is one kiosk's counts over the columns of a table.
type countRow struct {
	KioskID string
	Counts  []int
	Total   int
}

// countTable is kiosks × periods, with the periods' totals.
type countTable struct {
	Heads  []string
	Rows   []countRow
	Totals []int
	Total  int
}

func newTable(heads []string, kiosks []string) *countTable {
	t := &countTable{Heads: heads, Totals: make([]int, len(heads))}
	for _, k := range kiosks {
		t.Rows = append(t.Rows, countRow{KioskID: k, Counts: make([]int, len(heads))})
	}
	return t
}

func (t *countTable) add(kioskID string, col, n int) {
	i := slices.IndexFunc(t.Rows, func(r countRow) bool { return r.KioskID == kioskID })
	if i < 0 {
		t.Rows = append(t.Rows, countRow{KioskID: kioskID, Counts: make([]int, len(t.Heads))})
		i = len(t.Rows) - 1
	}
	t.Rows[i].Counts[col] += n
	t.Rows[i].Total += n
	t.Totals[col] += n
	t.Total += n
}

// chart is a bar chart drawn on the server (SVG, no script): one bar per
// column of a table, its height the column's total.
type chart struct {
	W, H, Top, Base int
	Title           string
	Max             int
	Bars            []bar
}

type bar struct {
	X, Y, W, H int
	Label      string // under the bar
	Value      int
	LabelX     int
}

func newChart(title string, t *countTable, every int) chart {
	const w, h, left, top, base = 760, 240, 44, 20, 200
	c := chart{W: w, H: h, Top: top, Base: base, Title: title, Max: 1}
	for _, n := range t.Totals {
		c.Max = max(c.Max, n)
	}
	slot := (w - left - 10) / max(len(t.Totals), 1)
	for i, n := range t.Totals {
		bh := n * (base - top) / c.Max
		b := bar{X: left + i*slot + slot/8, Y: base - bh, W: slot * 3 / 4, H: bh, Value: n, LabelX: left + i*slot + slot/2}
		if i%every == 0 {
			b.Label = t.Heads[i]
		}
		c.Bars = append(c.Bars, b)
	}
	return c
}

type visitsPage struct {
	Month, Prev, Next string // 2026-11
	MonthText         string
	Daily, Monthly    *countTable
	DailyChart        chart
	MonthlyChart      chart
}

// visits is the visits page: per kiosk and day for a month, and per
// kiosk and month for the year up to it, each as a table and a chart.
func (c *Console) visits(q *req) {
	jst := kiosk.JST()
	now := q.now.In(jst)
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, jst)
	if s := q.r.URL.Query().Get("month"); s != "" {
		m, err := time.ParseInLocation("2006-01", s, jst)
		if err != nil {
			c.fail(q, http.StatusBadRequest, text(q.lang, "error.input", fmt.Sprintf("month %q: write it as 2026-11", s)))
			return
		}
		month = m
	}
	next := month.AddDate(0, 1, 0)
	yearFrom := month.AddDate(0, -11, 0)
	ins, err := c.o.Store.Installed(ctxOf(q))
	if err != nil {
		c.storeFailed(q, "list installed kiosks", err)
		return
	}
	counts, err := c.o.Store.VisitCounts(ctxOf(q), yearFrom, next)
	if err != nil {
		c.storeFailed(q, "count visits", err)
		return
	}
	var kiosks []string
	for _, k := range ins {
		kiosks = append(kiosks, k.KioskID)
	}
	days := next.AddDate(0, 0, -1).Day()
	var dayHeads, monthHeads []string
	for d := 1; d <= days; d++ {
		dayHeads = append(dayHeads, strconv.Itoa(d))
	}
	for m := yearFrom; m.Before(next); m = m.AddDate(0, 1, 0) {
		monthHeads = append(monthHeads, m.Format("2006-01"))
	}
	p := visitsPage{Month: month.Format("2006-01"), Prev: month.AddDate(0, -1, 0).Format("2006-01"), Next: next.Format("2006-01"),
		MonthText: month.Format("2006-01"), Daily: newTable(dayHeads, kiosks), Monthly: newTable(monthHeads, kiosks)}
	if q.lang == LangJA {
		p.MonthText = fmt.Sprintf("%d年%d月", month.Year(), int(month.Month()))
	}
	for _, dc := range counts {
		d, err := time.ParseInLocation(time.DateOnly, dc.Day, jst)
		if err != nil {
			continue
		}
		p.Monthly.add(dc.KioskID, int(d.Year()-yearFrom.Year())*12+int(d.Month()-yearFrom.Month()), dc.Visits)
		if !d.Before(month) {
			p.Daily.add(dc.KioskID, d.Day()-1, dc.Visits)
		}
	}
	slices.SortStableFunc(p.Daily.Rows, func(a, b countRow) int { return compareStr(a.KioskID, b.KioskID) })
	slices.SortStableFunc(p.Monthly.Rows, func(a, b countRow) int { return compareStr(a.KioskID, b.KioskID) })
	p.DailyChart = newChart(text(q.lang, "visits.daily.chart", p.MonthText), p.Daily, 1)
	p.MonthlyChart = newChart(text(q.lang, "visits.monthly.chart"), p.Monthly, 1)
	if !c.audited(q, store.ActViewVisits, p.Month) {
		return
	}
	c.render(q, http.StatusOK, "visits", p)
}

func compareStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// history is a kiosk's changes, for its page.
func (c *Console) history(q *req, kioskID string) []historyLine {
	hs, err := c.o.Store.History(ctxOf(q), kioskID, 100)
	if err != nil {
		c.log.Error("console: kiosk history", "kiosk", kioskID, "err", err)
		q.notice = text(q.lang, "history.unreadable")
		return nil
	}
	out := make([]historyLine, 0, len(hs))
	for _, h := range hs {
		out = append(out, historyLine{HistoryEntry: h, Text: historyText(q.lang, h)})
	}
	return out
}

type historyLine struct {
	store.HistoryEntry
	Text string
	Bad  bool
}

func historyText(l Lang, h store.HistoryEntry) string {
	switch h.Kind {
	case store.HistorySilent:
		return text(l, "history.silent", formatTime(h.Since), duration(l, h.Time.Sub(h.Since)))
	case store.HistorySync:
		if h.Detail == "" {
			return text(l, "history.sync.ok")
		}
		return text(l, "history.sync.bad", h.Detail)
	}
	s := text(l, "history.device", label(l, "dev.", h.Device), label(l, "st.", h.State))
	if !h.Since.IsZero() {
		s += text(l, "history.since", formatTime(h.Since))
	}
	return s
}

// duration says how long d was, in l: 2時間15分, 2 h 15 min.
func duration(l Lang, d time.Duration) string {
	d = d.Round(time.Minute)
	h, m := int(d.Hours()), int(d.Minutes())%60
	switch {
	case h >= 48:
		return text(l, "dur.days", h/24, h%24)
	case h > 0:
		return text(l, "dur.hours", h, m)
	}
	return text(l, "dur.min", m)
}

var numbersWords = map[string]msg{
	"nav.visits":           {"利用件数", "Visits"},
	"visits.lead":          {"カードを読み取った回数（状態の確認と、読み取れなかったカード）を、端末ごと・日ごと・月ごとに数えています。暗証番号の変更などは、同じ来訪の中の操作なので数えません。", "Card reads (status checks and cards that could not be read) per kiosk, day and month. PIN changes and the like happen within such a visit and are not counted again."},
	"visits.daily":         {"%s の日ごとの利用件数", "Visits per day, %s"},
	"visits.daily.chart":   {"%s の日ごとの利用件数（全端末）", "Visits per day, %s (all kiosks)"},
	"visits.monthly":       {"月ごとの利用件数（12か月）", "Visits per month (12 months)"},
	"visits.monthly.chart": {"月ごとの利用件数（全端末）", "Visits per month (all kiosks)"},
	"visits.prev":          {"前の月", "Previous month"},
	"visits.next":          {"次の月", "Next month"},
	"visits.total":         {"合計", "Total"},
	"history":              {"端末の履歴（機器の状態・通信）", "History (devices and sync)"},
	"history.none":         {"まだ記録がありません。機器の状態が変わったときや、通信が途絶えたときに記録します。", "Nothing yet: changes of the devices and silences are recorded as they happen."},
	"history.unreadable":   {"端末の履歴を読めませんでした。", "The kiosk's history could not be read."},
	"history.silent":       {"通信が途絶えていました（%s から %s）", "silent from %s for %s"},
	"history.sync.bad":     {"送信に失敗するようになりました：%s", "sync started failing: %s"},
	"history.sync.ok":      {"送信が再びできるようになりました", "sync works again"},
	"history.device":       {"%s：%s", "%s: %s"},
	"history.since":        {"（端末の記録では %s から）", " (since %s, as the kiosk says)"},
	"dur.min":              {"%d分間", "%d min"},
	"dur.hours":            {"%d時間%d分", "%d h %d min"},
	"dur.days":             {"%d日と%d時間", "%d days %d h"},
}
