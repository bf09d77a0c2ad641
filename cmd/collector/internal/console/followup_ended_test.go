package console

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
)

// A journal that ended with records unsent is on Follow-ups (not only on
// the kiosk's page), in Japanese, and is marked handled once, audited.
func TestEndedJournalIsAFollowUp(t *testing.T) {
	st := sampleStore(t)
	detail := "journal " + jK02a + " ended when the kiosk started journal " + jK02b + ": 3 records unsent"
	if err := st.RaiseFlag(t.Context(), store.Flag{KioskID: "K02", JournalID: jK02a, Kind: store.FlagUnsentAtEnd,
		Detail: detail, First: day0.Add(-2 * time.Hour), Last: day0.Add(-2 * time.Hour), Count: 1}); err != nil {
		t.Fatal(err)
	}
	s := newSite(t, st, nil, nil)
	c := s.client("staff-tanaka")
	row := `id="ended-K02/` + jK02a + `"`
	_, body, _ := get(t, c, s.url+"/console/followups")
	mustContain(t, "follow-ups", body, row, "未送信の記録を残して終わった記録ファイル", "未送信の記録が古いカードに残っています", "kioskctl journal salvage")
	if strings.Contains(body, detail) {
		t.Error("the flag's English detail is on the Japanese page")
	}
	post := func(c *http.Client, ended string) *http.Response {
		t.Helper()
		form := url.Values{"ended": {ended}, "note": {"古いカードを回収"}, "back": {"/console/followups"}}
		resp, err := c.PostForm(s.url+"/console/followups/mark", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for _, bad := range []string{"K02/NOSUCHJOURNAL", "K09/" + jK02a, "K02", "K01/" + jK01} {
		if resp := post(c, bad); resp.StatusCode != http.StatusNotFound {
			t.Errorf("mark of %q: %d, want 404", bad, resp.StatusCode)
		}
	}
	if resp := post(c, "K02/"+jK02a); resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "flash=marked") {
		t.Fatalf("mark: %d → %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	m, err := st.MarkOf(t.Context(), "K02", jK02a, endedSeq)
	if err != nil || m == nil || m.By != "staff-tanaka" || m.Kind != store.FlagUnsentAtEnd || m.Note != "古いカードを回収" {
		t.Fatalf("mark kept: %+v %v", m, err)
	}
	if resp := post(s.client("staff-sato"), "K02/"+jK02a); !strings.Contains(resp.Header.Get("Location"), "by=staff-tanaka") {
		t.Errorf("second mark: %s", resp.Header.Get("Location"))
	}
	_, body, _ = get(t, c, s.url+"/console/followups")
	if strings.Contains(body, row) {
		t.Error("a handled ended journal is still listed as open")
	}
	_, body, _ = get(t, c, s.url+"/console/followups?show=all")
	mustContain(t, "follow-ups, all", body, row, "staff-tanaka が")
	if a := actions(t, st); strings.Count(a, store.ActMark) != 2 {
		t.Errorf("audit: %s (want the two marks tried on the ended journal)", a)
	}
}
