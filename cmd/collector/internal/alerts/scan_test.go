package alerts

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/cmd/collector/internal/store/boltstore"
	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// TestScan: what the store shows becomes alerts, each once however often
// it is seen and across a restart (a new Notifier): an installed kiosk
// never heard from, a silent one, a printer out of paper, each follow-up
// (not one already handled, not one older than the window), a printer
// note under its visit's reference, and one daily summary.
func TestScan(t *testing.T) {
	now := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC) // 12:00 JST
	clock := func() time.Time { return now }
	st, err := boltstore.Open(t.TempDir(), clock)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	const jid = "7Q3FABCDEFGHJKMNPQRSTVWXYZ"
	recs := []kiosk.Record{
		{Time: now.Add(-time.Hour), Kind: kiosk.TxSystem, Outcome: kiosk.OutcomeOK, Detail: journal.DetailJournalNew},
		{Time: now.AddDate(0, 0, -10), Kind: kiosk.TxStatus, Outcome: kiosk.OutcomeOK, Status: "expired"}, // older than the window
		{Time: now.Add(-50 * time.Minute), Kind: kiosk.TxStatus, Outcome: kiosk.OutcomeOK, Status: "valid", Office: []kiosk.Code{kiosk.CodeNoSignCert}},
		{Time: now.Add(-40 * time.Minute), Kind: kiosk.TxStatus, Outcome: kiosk.OutcomeOK, Status: "auth_locked"}, // handled below
		{Time: now.Add(-30 * time.Minute), Kind: kiosk.TxStatus, Outcome: kiosk.OutcomeOK, Status: "valid"},
		{Time: now.Add(-30 * time.Minute), Kind: kiosk.TxSystem, Outcome: kiosk.OutcomeError, Detail: kiosk.DetailPrinterUnavailable, Reference: "K01-7Q3F-0005"},
	}
	prev := journal.Genesis
	for i := range recs {
		r := &recs[i]
		r.Seq, r.KioskID, r.JournalID, r.PrevHash, r.ClockTrusted = uint64(i+1), "K01", jid, prev, true
		r.Hash = journal.HashRecord(*r)
		prev = r.Hash
	}
	if res, err := st.Ingest(ctx, store.Ingest{KioskID: "K01", JournalID: jid, Records: recs, Source: store.SourceSync, At: now}); err != nil || len(res.Refused) > 0 {
		t.Fatal(res.Refused, err)
	}
	if _, err := st.Mark(ctx, store.Mark{KioskID: "K01", JournalID: jid, Seq: 4, RecordTime: recs[3].Time, Kind: "pin_locked", By: "staff-a", At: now}); err != nil {
		t.Fatal(err)
	}
	hb := ksync.Heartbeat{KioskID: "K01", JournalID: jid, Devices: []ksync.DeviceHealth{{Name: ksync.DevicePrinter, State: ksync.StatePaperOut, Since: now.Add(-2 * time.Hour)}}}
	if err := st.SaveHeartbeat(ctx, store.Heartbeat{HB: hb, ReceivedAt: now.Add(-20 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []store.Installed{{KioskID: "K01", Since: now.AddDate(0, -1, 0)}, {KioskID: "K09", Place: "南出張所", Since: now.Add(-time.Hour)}, {KioskID: "K10", Since: now.Add(-time.Minute)}} {
		if err := st.Install(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	cfg := Config{Server: "127.0.0.1:1", From: "k@village.example", To: []string{"s@village.example"}, DailyAt: "09:00"}
	keys := func() []string {
		as, err := st.Alerts(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, a := range as {
			out = append(out, a.Key)
		}
		slices.Sort(out)
		return out
	}
	for round := range 3 { // three rounds, the last by a new Notifier (a restart)
		n, err := New(Options{Store: st, Config: cfg, Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Scan(ctx); err != nil {
			t.Fatal(err)
		}
		if round == 0 {
			if err := n.Scan(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := []string{
		"daily/2026-11-25",
		"followup/K01/" + jid + "/3",
		"followup/K01/" + jid + "/6",
		"paper_out/K01/" + itoa(now.Add(-2*time.Hour).UnixNano()),
		"silent/K01/" + itoa(now.Add(-20*time.Minute).UnixNano()),
		"silent/K09/never/" + itoa(now.Add(-time.Hour).UnixNano()),
	}
	if got := keys(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("alerts:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	as, _ := st.Alerts(ctx, 0)
	for _, a := range as {
		switch a.Key {
		case "followup/K01/" + jid + "/3":
			for _, w := range []string{"K01-7Q3F-0003", "このカードには署名用電子証明書が入っていません", "This card has no signing certificate"} {
				if !strings.Contains(a.Body, w) {
					t.Errorf("F7 follow-up mail lacks %q:\n%s", w, a.Body)
				}
			}
		case "followup/K01/" + jid + "/6":
			if !strings.Contains(a.Subject, "K01-7Q3F-0005") {
				t.Errorf("a printer note's mail names %q, want the visit's reference K01-7Q3F-0005", a.Subject)
			}
		case "daily/2026-11-25":
			if !strings.Contains(a.Body, "一度も連絡のない設置済み端末 2台") {
				t.Errorf("daily summary:\n%s", a.Body)
			}
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
