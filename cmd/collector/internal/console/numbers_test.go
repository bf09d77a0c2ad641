package console

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// TestVisitsPage: visits per kiosk per day and month, as tables and as
// charts drawn on the server (SVG, no script), counted from the store.
func TestVisitsPage(t *testing.T) {
	st := sampleStore(t)
	if err := st.Install(context.Background(), store.Installed{KioskID: "K09", Since: day0}); err != nil {
		t.Fatal(err)
	}
	s := newSite(t, st, nil, nil)
	c := s.client("staff-tanaka")
	code, body, _ := get(t, c, s.url+"/console/visits")
	if code != http.StatusOK {
		t.Fatalf("visits: %d", code)
	}
	// 25 Nov: K01 3 status checks, K02 9 + 1 (two journals); K09 installed, none.
	mustContain(t, "visits page", body, "2026年11月",
		`<tr id="day-K01"><td class="id">K01</td>`+strings.Repeat(`<td class="num">0</td>`, 24)+`<td class="num">3</td>`,
		`<tr id="day-K02">`, `<td class="num"><b>10</b></td>`, `<tr id="day-K09">`,
		`<tr id="month-K01"><td class="id">K01</td>`+strings.Repeat(`<td class="num">0</td>`, 11)+`<td class="num">3</td>`,
		`<svg class="chart"`, `<title>25: 13</title>`, `<title>2026-11: 13</title>`)
	if strings.Contains(body, "<script") {
		t.Error("the visits page has a script")
	}
	_, body, _ = get(t, c, s.url+"/console/visits?month=2026-10")
	mustContain(t, "October", body, "2026年10月", `<title>25: 0</title>`, `<title>2026-10: 0</title>`, `<title>2025-11: 0</title>`)
	if strings.Contains(body, "2026-11:") {
		t.Error("October's year reaches into November")
	}
	if code, body, _ := get(t, c, s.url+"/console/visits?month=2026-13"); code != http.StatusBadRequest || !strings.Contains(body, "2026-11") {
		t.Errorf("a bad month: %d", code)
	}
	if got := actions(t, st); got != "view_visits view_visits" {
		t.Errorf("audit: %s", got)
	}
}

// TestKioskHistory: the kiosk page lists what changed and when — the
// printer running out, a silence and how long — newest first.
func TestKioskHistory(t *testing.T) {
	st := sampleStore(t)
	ctx := context.Background()
	for _, h := range []store.HistoryEntry{
		{KioskID: "K02", Time: day0.Add(-5 * time.Hour), Kind: store.HistoryDevice, Device: ksync.DevicePrinter, State: ksync.StatePaperOut, Since: day0.Add(-5*time.Hour - time.Minute)},
		{KioskID: "K02", Time: day0.Add(-3 * time.Hour), Kind: store.HistorySilent, Since: day0.Add(-5*time.Hour - 15*time.Minute)},
		{KioskID: "K02", Time: day0.Add(-2 * time.Hour), Kind: store.HistorySync, Detail: "503 Service Unavailable"},
	} {
		if err := st.AddHistory(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	s := newSite(t, st, nil, nil)
	c := s.client("staff-tanaka")
	_, body, _ := get(t, c, s.url+"/console/kiosk/K02")
	mustContain(t, "K02's history", body, `id="history"`, "プリンター：用紙切れ", "通信が途絶えていました（2026-11-25 09:45:00 から 2時間15分）", "送信に失敗するようになりました：503 Service Unavailable")
	hist := body[strings.Index(body, `id="history"`):]
	if i, j := strings.Index(hist, "送信に失敗"), strings.Index(hist, "プリンター：用紙切れ"); i > j {
		t.Error("the history is not newest first")
	}
	_, body, _ = get(t, c, s.url+"/console/kiosk/K01")
	mustContain(t, "K01's history", body, "まだ記録がありません")
}
