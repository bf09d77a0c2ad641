package console

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
)

// fleetRoutes serves the installed list.
func (c *Console) fleetRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+Prefix+"installed", c.staff(c.installed))
	mux.HandleFunc("POST "+Prefix+"installed", c.admin(c.install)) // administrators keep the list
	mux.HandleFunc("POST "+Prefix+"installed/remove", c.admin(c.uninstall))
	mux.HandleFunc("GET "+Prefix+"visits", c.staff(c.visits))
	mux.HandleFunc("GET "+Prefix+"alerts", c.staff(c.alerts))
}

// withInstalled adds to rows every installed kiosk the collector never
// heard from, and marks a heard-of kiosk that is not on the list; then
// orders them: the worst first and, among equals, the never-seen and the
// silent first (a kiosk that cannot report is the one nobody notices).
func (c *Console) withInstalled(q *req, rows []kioskRow) []kioskRow {
	ins, err := c.o.Store.Installed(ctxOf(q))
	if err != nil {
		c.log.Error("console: list installed kiosks", "err", err)
		q.notice = text(q.lang, "installed.unreadable")
		return rows
	}
	seen := map[string]bool{}
	for i := range rows {
		id := rows[i].K.KioskID
		seen[id] = true
		j := slices.IndexFunc(ins, func(k store.Installed) bool { return k.KioskID == id })
		switch {
		case j >= 0:
			rows[i].Installed = &ins[j]
		case len(ins) > 0:
			rows[i].Problems = append(rows[i].Problems, Problem{LevelWarn, text(q.lang, "problem.notlisted")})
			rows[i].Level = max(rows[i].Level, LevelWarn)
		}
		switch hb := rows[i].K.HeartbeatAt; {
		case hb.IsZero():
			rows[i].Silent = silentNever
		case q.now.Sub(hb) > c.o.Health.withDefaults().SilentAfter:
			rows[i].Silent = silentNow
		}
	}
	for i := range ins {
		if seen[ins[i].KioskID] {
			continue
		}
		rows = append(rows, kioskRow{K: store.KioskState{KioskID: ins[i].KioskID}, Level: LevelBad, Installed: &ins[i], Silent: silentNever,
			Problems: []Problem{{LevelBad, text(q.lang, "problem.installed.never", ago(q.lang, q.now, ins[i].Since))}}})
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		switch {
		case a.Level != b.Level:
			return a.Level > b.Level
		case a.Silent != b.Silent:
			return a.Silent > b.Silent
		}
		return a.K.KioskID < b.K.KioskID
	})
	return rows
}

// How silent a kiosk is, for the order of the fleet page.
const (
	silentNot   = iota
	silentNow   // heard from, not lately
	silentNever // never heard from
)

type installedPage struct {
	Items []store.Installed
	Flash string
	Error string
	Form  store.Installed
}

func (c *Console) installed(q *req) {
	ins, err := c.o.Store.Installed(ctxOf(q))
	if err != nil {
		c.storeFailed(q, "list installed kiosks", err)
		return
	}
	p := installedPage{Items: ins}
	switch q.r.URL.Query().Get("flash") {
	case "added":
		p.Flash = text(q.lang, "installed.added", q.r.URL.Query().Get("id"))
	case "removed":
		p.Flash = text(q.lang, "installed.removed", q.r.URL.Query().Get("id"))
	}
	if !c.audited(q, store.ActViewFleet, fmt.Sprintf("%d kiosks", len(ins))) {
		return
	}
	c.render(q, http.StatusOK, "installed", p)
}

// install adds (or replaces) one kiosk on the list; a bad entry comes
// back on the form with what is wrong, nothing stored.
func (c *Console) install(q *req) {
	if err := q.r.ParseForm(); err != nil {
		c.fail(q, http.StatusBadRequest, text(q.lang, "error.input", err.Error()))
		return
	}
	f := q.r.PostForm
	k := store.Installed{
		KioskID: strings.ToUpper(strings.TrimSpace(f.Get("kiosk"))),
		Place:   strings.TrimSpace(f.Get("place")),
		Note:    strings.TrimSpace(f.Get("note")),
		Since:   q.now.UTC(),
		By:      q.staff.Name,
	}
	if err := k.Check(); err != nil {
		ins, lerr := c.o.Store.Installed(ctxOf(q))
		if lerr != nil {
			c.storeFailed(q, "list installed kiosks", lerr)
			return
		}
		c.log.Info("console: installed kiosk refused", "kiosk", k.KioskID, "staff", q.staff.Name, "err", err)
		c.render(q, http.StatusBadRequest, "installed", installedPage{Items: ins, Form: k, Error: text(q.lang, "error.input", err.Error())})
		return
	}
	if !c.audited(q, store.ActInstall, fmt.Sprintf("%s place=%q note=%q", k.KioskID, k.Place, k.Note)) {
		return
	}
	if err := c.o.Store.Install(ctxOf(q), k); err != nil {
		c.storeFailed(q, "install kiosk", err)
		return
	}
	c.log.Info("console: kiosk put on the installed list", "kiosk", k.KioskID, "staff", q.staff.Name)
	http.Redirect(q.w, q.r, Prefix+"installed?flash=added&id="+k.KioskID, http.StatusSeeOther)
}

func (c *Console) uninstall(q *req) {
	if err := q.r.ParseForm(); err != nil {
		c.fail(q, http.StatusBadRequest, text(q.lang, "error.input", err.Error()))
		return
	}
	id := q.r.PostForm.Get("kiosk")
	if !c.audited(q, store.ActUninstall, id) {
		return
	}
	err := c.o.Store.Uninstall(ctxOf(q), id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		c.storeFailed(q, "remove installed kiosk", err)
		return
	}
	c.log.Info("console: kiosk taken off the installed list", "kiosk", id, "staff", q.staff.Name)
	http.Redirect(q.w, q.r, Prefix+"installed?flash=removed&id="+id, http.StatusSeeOther)
}

// alerts lists the newest alert mails, sent or waiting, with why not.
func (c *Console) alerts(q *req) {
	as, err := c.o.Store.Alerts(ctxOf(q), 200)
	if err != nil {
		c.storeFailed(q, "list alerts", err)
		return
	}
	if !c.audited(q, store.ActViewAlerts, fmt.Sprintf("%d alerts", len(as))) {
		return
	}
	c.render(q, http.StatusOK, "alerts", as)
}

// fleetWords are the words of the installed list and the alerts.
var fleetWords = map[string]msg{
	"nav.installed":           {"設置した端末", "Installed kiosks"},
	"installed.lead":          {"役場が設置した端末の一覧です。ここにある端末が一度も連絡してこないときや、連絡が途絶えたときは「端末の状態」の一番上に表示します。", "The kiosks the town hall installed. One that never reports, or stops reporting, is listed at the top of “Kiosks”."},
	"installed.none":          {"まだ登録がありません。設置した端末の番号（端末の設定の kiosk_id）を登録してください。", "None yet. Add the ID of each kiosk you install (kiosk_id in its settings)."},
	"installed.id":            {"端末番号", "Kiosk ID"},
	"installed.place":         {"設置場所", "Place"},
	"installed.note":          {"メモ", "Note"},
	"installed.since":         {"登録日時", "Added"},
	"installed.by":            {"登録者", "By"},
	"installed.add":           {"登録する", "Add"},
	"installed.remove":        {"一覧から外す", "Remove"},
	"installed.added":         {"端末 %s を登録しました。", "Kiosk %s added."},
	"installed.removed":       {"端末 %s を一覧から外しました（記録は残ります）。", "Kiosk %s removed from the list (its records stay)."},
	"installed.unreadable":    {"設置した端末の一覧を読めませんでした。一度も連絡のない端末が表示されていない可能性があります。", "The installed list could not be read: kiosks that never reported may be missing here."},
	"problem.installed.never": {"設置済み（%s登録）ですが、一度も連絡がありません。電源・ネットワーク・端末の設定の役場のアドレス（URL）・端末の証明書を確認してください", "installed (added %s) but never heard from: check power, network, the town hall address (URL) in its settings and its certificate"},
	"problem.notlisted":       {"設置した端末の一覧にありません（一覧に加えてください。心当たりがなければ証明書を確認してください）", "not on the installed list (add it; if nobody knows it, check its certificate)"},
	"never.seen":              {"一度も連絡なし", "never heard from"},
	"nav.alerts":              {"お知らせメール", "Alert mails"},
	"alerts.lead":             {"職員あての自動のお知らせメール（端末の通信途絶・用紙切れ・要対応・毎朝のまとめ）です。メールサーバーに届かなかったものは、時間をおいて送り直します。", "Mails to staff (a silent kiosk, paper out, a follow-up, the morning summary). One the mail server did not take is tried again later."},
	"alerts.none":             {"まだお知らせはありません（設定ファイルの [mail] でメールサーバーを指定すると送ります）。", "No alerts yet (they are mailed once [mail] names the mail server in the configuration)."},
	"alerts.queued":           {"作成", "Queued"},
	"alerts.subject":          {"件名", "Subject"},
	"alerts.sent":             {"送信済み %s", "sent %s"},
	"alerts.waiting":          {"送信待ち（%d回失敗、次は %s）", "waiting (%d failed tries, next %s)"},
	"alerts.waiting.first":    {"送信待ち", "waiting"},
	"al.silent":               {"通信途絶", "silent kiosk"},
	"al.paper_out":            {"用紙切れ", "paper out"},
	"al.followup":             {"要対応", "follow-up"},
	"al.daily":                {"毎朝のまとめ", "daily summary"},
}

// The words of the installed list, the alerts and the numbers
// (numbers.go) join the console's at start-up: kept in their own files,
// so other pages' changes to text.go do not meet them.
func init() {
	addWords(words, fleetWords, numbersWords)
	addWords(labels, map[string]msg{
		"act." + store.ActInstall:    {"端末の登録", "kiosk added to the list"},
		"act." + store.ActUninstall:  {"端末の登録解除", "kiosk removed from the list"},
		"act." + store.ActViewFleet:  {"設置した端末の一覧を表示", "viewed installed kiosks"},
		"act." + store.ActViewAlerts: {"お知らせメールを表示", "viewed alert mails"},
		"act." + store.ActViewVisits: {"利用件数を表示", "viewed visit counts"},
	})
}

// addWords adds every key of from to into; a key defined twice is a
// mistake in this package, found by any test.
func addWords(into map[string]msg, from ...map[string]msg) {
	for _, m := range from {
		for k, v := range m {
			if _, dup := into[k]; dup {
				panic("console: word " + k + " defined twice")
			}
			into[k] = v
		}
	}
}
