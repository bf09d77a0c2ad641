package alerts

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/console"
	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/kiosk"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// Scan queues an alert for each condition the store shows now. Keys name
// the condition's episode, so seeing it again queues nothing:
//
//	silent/<kiosk>/<last heartbeat>         silent since that heartbeat
//	silent/<kiosk>/never/<added>            installed, never heard from
//	paper_out/<kiosk>/<since>               out of paper since then
//	followup/<kiosk>/<journal>/<seq>        one record's follow-up
//	daily/<JST date>                        the day's summary
func (n *Notifier) Scan(ctx context.Context) error {
	now := n.o.Now()
	ks, err := n.o.Store.Kiosks(ctx)
	if err != nil {
		return err
	}
	ins, err := n.o.Store.Installed(ctx)
	if err != nil {
		return err
	}
	var errs []error
	known := map[string]bool{}
	for _, k := range ks {
		known[k.KioskID] = true
		errs = append(errs, n.silent(ctx, k, now), n.paperOut(ctx, k))
		if n.o.Config.followUps() {
			errs = append(errs, n.followUps(ctx, k, now))
		}
	}
	for _, in := range ins {
		if !known[in.KioskID] && now.Sub(in.Since) > n.o.SilentAfter {
			errs = append(errs, n.queue(ctx, store.Alert{
				Key: "silent/" + in.KioskID + "/never/" + strconv.FormatInt(in.Since.UnixNano(), 10), Kind: store.AlertSilent, KioskID: in.KioskID,
				Subject: fmt.Sprintf("[キオスク] 端末 %s から一度も連絡がありません / Kiosk %s has never reported", in.KioskID, in.KioskID),
				Body: n.body(
					fmt.Sprintf("設置した端末 %s（%s）から、登録（%s）のあと一度も連絡がありません。\n電源・ネットワーク・端末の設定の役場のアドレス（URL）・端末の証明書を確認してください。", in.KioskID, orDash(in.Place), jst(in.Since)),
					fmt.Sprintf("Kiosk %s (%s), installed %s, has never reported.\nCheck its power, network, the town hall address (URL) in its settings and its certificate.", in.KioskID, orDash(in.Place), jst(in.Since)),
					"/console/"),
			}))
		}
	}
	errs = append(errs, n.daily(ctx, ks, ins, now))
	return errors.Join(errs...)
}

func (n *Notifier) silent(ctx context.Context, k store.KioskState, now time.Time) error {
	if k.HeartbeatAt.IsZero() || now.Sub(k.HeartbeatAt) <= n.o.SilentAfter {
		return nil
	}
	return n.queue(ctx, store.Alert{
		Key: "silent/" + k.KioskID + "/" + strconv.FormatInt(k.HeartbeatAt.UnixNano(), 10), Kind: store.AlertSilent, KioskID: k.KioskID,
		Subject: fmt.Sprintf("[キオスク] 端末 %s から連絡がありません / Kiosk %s is silent", k.KioskID, k.KioskID),
		Body: n.body(
			fmt.Sprintf("端末 %s から %s 以降、連絡がありません。電源とネットワークを確認してください。", k.KioskID, jst(k.HeartbeatAt)),
			fmt.Sprintf("Kiosk %s has not reported since %s. Check its power and network.", k.KioskID, jst(k.HeartbeatAt)),
			"/console/kiosk/"+url.PathEscape(k.KioskID)),
	})
}

func (n *Notifier) paperOut(ctx context.Context, k store.KioskState) error {
	if k.LastHeartbeat == nil {
		return nil
	}
	for _, d := range k.LastHeartbeat.Devices {
		if d.Name != ksync.DevicePrinter || d.State != ksync.StatePaperOut {
			continue
		}
		since := d.Since
		if since.IsZero() {
			// No start given: one alert a day at most.
			since = dayOf(k.HeartbeatAt)
		}
		return n.queue(ctx, store.Alert{
			Key: "paper_out/" + k.KioskID + "/" + strconv.FormatInt(since.UnixNano(), 10), Kind: store.AlertPaperOut, KioskID: k.KioskID,
			Subject: fmt.Sprintf("[キオスク] 端末 %s のプリンターが用紙切れです / Kiosk %s: printer out of paper", k.KioskID, k.KioskID),
			Body: n.body(
				fmt.Sprintf("端末 %s のプリンターが用紙切れです（%s から）。ロール紙を交換してください。交換するまで、受付票の代わりに画面に受付番号を表示しています。", k.KioskID, jst(since)),
				fmt.Sprintf("Kiosk %s's printer is out of paper (since %s). Please load a new roll; until then the screen shows the reference instead of a slip.", k.KioskID, jst(since)),
				"/console/kiosk/"+url.PathEscape(k.KioskID)),
		})
	}
	return nil
}

// followUps queues a mail for each record of k that needs staff, read
// once per journal from where the last round stopped, within the window.
func (n *Notifier) followUps(ctx context.Context, k store.KioskState, now time.Time) error {
	for _, j := range k.Journals {
		id := k.KioskID + "/" + j.JournalID
		for after := n.seen[id]; after < j.HeadSeq; {
			rs, err := n.o.Store.Records(ctx, store.Query{KioskID: k.KioskID, JournalID: j.JournalID, AfterSeq: after, From: now.Add(-n.o.FollowUpWindow), Limit: 500})
			if err != nil {
				return err
			}
			if len(rs) == 0 {
				n.seen[id] = j.HeadSeq // nothing within the window
				break
			}
			for _, r := range rs {
				after = r.Seq
				if now.Sub(r.Time) > n.o.FollowUpWindow {
					continue
				}
				if err := n.followUp(ctx, j.JournalID, r); err != nil {
					return err
				}
			}
			n.seen[id] = after
		}
	}
	return nil
}

func (n *Notifier) followUp(ctx context.Context, journalID string, r kiosk.Record) error {
	kind, ok := console.FollowUpOf(r)
	if !ok {
		return nil
	}
	if m, err := n.o.Store.MarkOf(ctx, r.KioskID, journalID, r.Seq); err != nil || m != nil {
		return err // handled before anyone needed telling
	}
	ref := kiosk.ReferenceOf(r)
	if r.Reference != "" {
		ref = r.Reference // a printer note: the visit whose slip did not print
	}
	var ja, en []string
	for _, c := range console.OfficeConditions(r) {
		ja = append(ja, "・"+console.ResidentWords(console.LangJA, r, c))
		en = append(en, "- "+console.ResidentWords(console.LangEN, r, c))
	}
	return n.queue(ctx, store.Alert{
		Key: fmt.Sprintf("followup/%s/%s/%d", r.KioskID, journalID, r.Seq), Kind: store.AlertFollowUp, KioskID: r.KioskID,
		Subject: fmt.Sprintf("[キオスク] 要対応 %s：%s / Follow-up %s", ref, console.FollowUpWords(console.LangJA, kind), ref),
		Body: n.body(
			fmt.Sprintf("受付番号 %s（端末 %s、%s）\n%s\n受付票に書いたこと：\n%s", ref, r.KioskID, jst(r.Time), console.FollowUpWords(console.LangJA, kind), strings.Join(ja, "\n")),
			fmt.Sprintf("Reference %s (kiosk %s, %s)\n%s\nWhat the slip said:\n%s", ref, r.KioskID, jst(r.Time), console.FollowUpWords(console.LangEN, kind), strings.Join(en, "\n")),
			"/console/find?ref="+url.QueryEscape(ref)),
	})
}

// daily queues the day's summary once the day's time has come.
func (n *Notifier) daily(ctx context.Context, ks []store.KioskState, ins []store.Installed, now time.Time) error {
	at, on, err := n.o.Config.daily()
	if err != nil || !on {
		return err
	}
	day := dayOf(now)
	if now.Before(day.Add(at)) {
		return nil
	}
	key := "daily/" + day.Format("2006-01-02")
	fus, err := console.FollowUps(ctx, n.o.Store, day.AddDate(0, 0, -1), day)
	if err != nil {
		return err
	}
	open := map[console.FollowUpKind]int{}
	total := 0
	for _, f := range fus {
		if f.Mark == nil {
			open[f.Kind]++
			total++
		}
	}
	silent, never := 0, 0
	known := map[string]bool{}
	for _, k := range ks {
		known[k.KioskID] = true
		if !k.HeartbeatAt.IsZero() && now.Sub(k.HeartbeatAt) > n.o.SilentAfter {
			silent++
		}
	}
	for _, in := range ins {
		if !known[in.KioskID] {
			never++
		}
	}
	ja := fmt.Sprintf("%s の状況（%s まで）\n端末：%d台、うち連絡が途絶えている端末 %d台、一度も連絡のない設置済み端末 %d台\n前日の未対応の要対応：%d件", day.Format("2006年1月2日"), jst(now), len(ks), silent, never, total)
	en := fmt.Sprintf("Status on %s (as of %s)\nKiosks: %d; silent: %d; installed but never heard from: %d\nYesterday's open follow-ups: %d", day.Format("2 Jan 2006"), jst(now), len(ks), silent, never, total)
	for _, k := range []console.FollowUpKind{console.FollowUpLocked, console.FollowUpPINUnknown, console.FollowUpOffice, console.FollowUpSlip} {
		if open[k] > 0 {
			ja += fmt.Sprintf("\n・%s：%d件", console.FollowUpWords(console.LangJA, k), open[k])
			en += fmt.Sprintf("\n- %s: %d", console.FollowUpWords(console.LangEN, k), open[k])
		}
	}
	return n.queue(ctx, store.Alert{Key: key, Kind: store.AlertDaily,
		Subject: fmt.Sprintf("[キオスク] %s の状況 / Kiosks on %s", day.Format("1月2日"), day.Format("2 Jan")),
		Body:    n.body(ja, en, "/console/followups")})
}

// body is a mail's text: Japanese, then English, then the console link.
func (n *Notifier) body(ja, en, path string) string {
	b := ja + "\n\n" + en + "\n"
	if u := strings.TrimRight(n.o.Config.ConsoleURL, "/"); u != "" {
		b += "\n" + u + path + "\n"
	}
	return b + "\n-- \nキオスク端末 管理（collector）からの自動送信です / Sent by the kiosk collector\n"
}

func jst(t time.Time) string { return t.In(kiosk.JST()).Format("2006-01-02 15:04") }

func dayOf(t time.Time) time.Time {
	y, m, d := t.In(kiosk.JST()).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, kiosk.JST())
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
