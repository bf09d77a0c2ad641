package console

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/cmd/collector/internal/store/boltstore"
	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
)

// pagedStore holds K09's 260 locked PINs and 40 PIN changes with no
// answer over the last days, one every 5 minutes, newest last.
func pagedStore(t *testing.T) *boltstore.Store {
	t.Helper()
	st, err := boltstore.Open(t.TempDir(), func() time.Time { return day0 })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	recs := []kiosk.Record{{Time: at(8, 0).AddDate(0, 0, -2), ClockTrusted: true, Kind: kiosk.TxSystem, Outcome: kiosk.OutcomeOK, Detail: journal.DetailJournalNew}}
	for i := range 300 {
		r := kiosk.Record{Time: recs[0].Time.Add(time.Duration(i+1) * 5 * time.Minute), ClockTrusted: true, Kind: kiosk.TxStatus,
			Outcome: kiosk.OutcomeOK, Card: kiosk.CardMyNumber, Status: "auth_locked", AuthTries: tries(0)}
		if i%15 == 0 { // 20 of them
			r.Kind, r.Outcome, r.Status, r.AuthTries = kiosk.TxChangeAuth, kiosk.OutcomeUnknown, "pin_change_unknown", nil
		}
		recs = append(recs, r)
	}
	recs = seal("K09", jK01, 1, journal.Genesis, recs...)
	if res, err := st.Ingest(context.Background(), store.Ingest{KioskID: "K09", JournalID: jK01, Records: recs, Source: store.SourceSync, At: day0}); err != nil || len(res.Refused) > 0 {
		t.Fatalf("ingest: %v %v", res.Refused, err)
	}
	return st
}

var fuRow = regexp.MustCompile(`id="fu-K09/[^/]+/(\d+)"`)

// Follow-ups page by a cursor, newest first, counted, by what to do; the
// window says what it shows and leads to the period before.
func TestFollowUpsPaged(t *testing.T) {
	st := pagedStore(t)
	s := newSite(t, st, nil, nil)
	c := s.client("staff-mado")
	page := func(u string) (string, []string) {
		t.Helper()
		code, body, _ := get(t, c, u)
		if code != http.StatusOK {
			t.Fatalf("%s: %d", u, code)
		}
		var seqs []string
		for _, m := range fuRow.FindAllStringSubmatch(body, -1) {
			seqs = append(seqs, m[1])
		}
		return body, seqs
	}
	body, seqs := page(s.url + "/console/followups")
	if len(seqs) != followUpsShown || seqs[0] != "301" || seqs[99] != "202" {
		t.Fatalf("first page: %d rows, %v…", len(seqs), seqs[:min(3, len(seqs))])
	}
	mustContain(t, "first page", body, "300件中 100件を表示", "さらに古い要対応が 200件", "暗証番号ロック <b>280</b>", "変更結果が不明 <b>20</b>",
		"2026-10-26 から 2026-11-25 までを表示しています", "その前の30日を表示する", "from=2026-09-26&amp;to=2026-10-25")
	next := regexp.MustCompile(`id="fu-next" href="([^"]+)"`).FindStringSubmatch(body)
	if next == nil {
		t.Fatal("no next page")
	}
	// An item on the next page is marked meanwhile: the cursor still follows on.
	if _, err := st.Mark(t.Context(), store.Mark{KioskID: "K09", JournalID: jK01, Seq: 201, RecordTime: day0, Kind: "pin_locked", By: "staff-x", At: day0}); err != nil {
		t.Fatal(err)
	}
	body, seqs = page(s.url + html.UnescapeString(next[1]))
	if len(seqs) != followUpsShown || seqs[0] != "200" || seqs[99] != "101" {
		t.Fatalf("second page: %d rows, from %v", len(seqs), seqs[:min(3, len(seqs))])
	}
	mustContain(t, "second page", body, "299件中 100件を表示", "さらに古い要対応が 99件", `id="fu-first"`)

	body, seqs = page(s.url + "/console/followups?kind=pin_change_unknown")
	if len(seqs) != 20 || strings.Contains(body, `id="fu-next"`) {
		t.Errorf("one kind: %d rows", len(seqs))
	}
	for _, bad := range []string{"?kind=nonsense", "?after=12", "?after=x.K09/J/1", "?after=" + fmt.Sprint(day0.UnixNano()) + ".K09/J/0"} {
		if code, body, _ := get(t, c, s.url+"/console/followups"+bad); code != http.StatusBadRequest || !strings.Contains(body, "入力を確認してください") {
			t.Errorf("%s: %d", bad, code)
		}
	}
}
