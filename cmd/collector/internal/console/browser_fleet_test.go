package console

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/villagehall/kiosk/cmd/collector/internal/browsertest"
	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/kiosk"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// TestFleetInBrowser: issue 24's town hall day in a real Chromium with a
// staff certificate — an installed kiosk never heard from tops the fleet
// page, the F7 visit (no signing certificate) has its follow-up in the
// slip's words, the visits chart is drawn, a kiosk's history says when
// the printer ran out and how long it was silent, and the alert mails
// are listed with what became of them.
func TestFleetInBrowser(t *testing.T) {
	st := sampleStore(t)
	ctx := context.Background()
	// The F7 visit: a card in date without a signing certificate.
	j, err := st.Journal(ctx, "K01", jK01)
	if err != nil {
		t.Fatal(err)
	}
	f7 := seal("K01", jK01, j.HeadSeq+1, j.HeadHash, kiosk.Record{Time: at(13, 40), ClockTrusted: true, Kind: kiosk.TxStatus, Outcome: kiosk.OutcomeOK,
		Card: kiosk.CardMyNumber, Status: string(kiosk.CodeValid), AuthTries: tries(3), Office: []kiosk.Code{kiosk.CodeNoSignCert}})
	if res, err := st.Ingest(ctx, store.Ingest{KioskID: "K01", JournalID: jK01, Records: f7, Source: store.SourceSync, At: day0}); err != nil || len(res.Refused) > 0 {
		t.Fatalf("F7 record: %+v %v", res.Refused, err)
	}
	for _, k := range []store.Installed{{KioskID: "K01", Place: "本庁舎1階ロビー", Since: day0.AddDate(0, -1, 0), By: "staff-sato"},
		{KioskID: "K02", Place: "北分館", Since: day0.AddDate(0, -1, 0), By: "staff-sato"},
		{KioskID: "K09", Place: "南出張所", Note: "11月設置", Since: day0.AddDate(0, 0, -2), By: "staff-sato"}} {
		if err := st.Install(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	for _, h := range []store.HistoryEntry{
		{KioskID: "K02", Time: day0.Add(-6 * time.Hour), Kind: store.HistoryDevice, Device: ksync.DevicePrinter, State: ksync.StatePaperOut, Since: day0.Add(-6*time.Hour - time.Minute)},
		{KioskID: "K02", Time: day0.Add(-4 * time.Hour), Kind: store.HistorySilent, Since: day0.Add(-5*time.Hour - 20*time.Minute)},
		{KioskID: "K02", Time: day0.Add(-3*time.Hour - 30*time.Minute), Kind: store.HistorySync, Detail: "503 Service Unavailable"},
	} {
		if err := st.AddHistory(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []store.Alert{
		{Key: "paper_out/K02/1", Kind: store.AlertPaperOut, KioskID: "K02", Subject: "[キオスク] 端末 K02 のプリンターが用紙切れです / Kiosk K02: printer out of paper", Queued: day0.Add(-6 * time.Hour), NextTry: day0.Add(-6 * time.Hour)},
		{Key: "silent/K09/never/1", Kind: store.AlertSilent, KioskID: "K09", Subject: "[キオスク] 端末 K09 から一度も連絡がありません / Kiosk K09 has never reported", Queued: day0.Add(-time.Hour), NextTry: day0.Add(-time.Hour)},
	} {
		if _, err := st.QueueAlert(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.AlertDone(ctx, "paper_out/K02/1", store.AlertTry{Sent: day0.Add(-6*time.Hour + time.Second)}); err != nil {
		t.Fatal(err)
	}
	if err := st.AlertDone(ctx, "silent/K09/never/1", store.AlertTry{Error: "connect to mail.village.example:25: connection refused", Next: day0.Add(4 * time.Minute)}); err != nil {
		t.Fatal(err)
	}

	s := newSite(t, st, nil, nil)
	_, staffCert, staffKey := s.issue("staff-tanaka")
	b := browsertest.New(t, browsertest.Options{CAFile: s.caPE, CertFile: staffCert, KeyFile: staffKey})
	text := func(sel string) string {
		t.Helper()
		return browsertest.Get(b, chromedp.Text(chromedp.CSS(sel)))
	}

	b.Do(chromedp.Navigate(s.url + "/console/"))
	first := browsertest.Get(b, chromedp.AttributeValue(chromedp.CSS("table.kiosks tbody tr"), "id"))
	if first.Value != "kiosk-K09" {
		t.Errorf("first row %q, want the installed kiosk never heard from", first.Value)
	}
	if got := text("#kiosk-K09"); !strings.Contains(got, "一度も連絡がありません") || !strings.Contains(got, "南出張所") {
		t.Errorf("K09's row: %q", got)
	}
	shot(t, b, "fleet-never-seen")

	b.Do(chromedp.Navigate(s.url+"/console/find"),
		chromedp.SendKeys(chromedp.CSS("#ref"), kiosk.ReferenceOf(f7[0])),
		chromedp.Click(chromedp.CSS("#ref-search")),
		chromedp.WaitVisible(chromedp.CSS("#followup")))
	if got := text("#office"); !strings.Contains(got, "このカードには署名用電子証明書が入っていません") {
		t.Errorf("the F7 follow-up: %q", got)
	}
	shot(t, b, "followup-f7")

	b.Do(chromedp.Navigate(s.url + "/console/visits?month=2026-11"))
	if n := browsertest.Get(b, chromedp.Evaluate[int](`document.querySelectorAll("#chart-daily svg rect").length`)); n != 30 {
		t.Errorf("the daily chart has %v bars, want 30 (November)", n)
	}
	shot(t, b, "visits")

	b.Do(chromedp.Navigate(s.url + "/console/kiosk/K02"))
	if got := text("#history"); !strings.Contains(got, "用紙切れ") || !strings.Contains(got, "1時間20分") {
		t.Errorf("K02's history: %q", got)
	}
	shot(t, b, "kiosk-history")

	b.Do(chromedp.Navigate(s.url + "/console/alerts"))
	if got := text("table.alerts"); !strings.Contains(got, "送信済み") || !strings.Contains(got, "1回失敗") {
		t.Errorf("alerts: %q", got)
	}
	shot(t, b, "alerts")
}
