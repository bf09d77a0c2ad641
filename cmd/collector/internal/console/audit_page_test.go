package console

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
)

// The audit page reads one page of the log (and the entry before it), newest
// first, pages back by a cursor with a count of what is older, says it
// checked that page; the whole chain is checked when asked, in chunks.
func TestAuditPaged(t *testing.T) {
	st := sampleStore(t)
	for i := range 450 {
		if _, err := st.AppendAudit(t.Context(), store.AuditEntry{Time: day0, Staff: "staff-old", Action: store.ActSearch, Detail: fmt.Sprint("n=", i+1)}); err != nil {
			t.Fatal(err)
		}
	}
	read := 0
	f := &failing{Store: st, fail: map[string]error{}, audit: func(es []store.AuditEntry) []store.AuditEntry { read += len(es); return es }}
	s := newSite(t, st, f, nil)
	c := s.client("staff-tanaka")

	page := func(query string) string {
		t.Helper()
		read = 0
		code, body, _ := get(t, c, s.url+"/console/audit"+query)
		if code != http.StatusOK {
			t.Fatalf("audit%s: %d", query, code)
		}
		return body
	}
	body := page("")
	if read > auditShown+1 {
		t.Errorf("the newest page read %d entries", read)
	}
	mustContain(t, "newest page", body, "この画面の記録（252〜451番）", "全451件", `href="/console/audit?before=252"`, "これより古い記録 251件", `id="check-all"`)
	if strings.Contains(body, ">251<") {
		t.Error("the newest page shows entry 251")
	}
	body = page("?before=252")
	mustContain(t, "second page", body, "この画面の記録（52〜251番）", `href="/console/audit?before=52"`, "これより古い記録 51件", `id="newest"`)
	body = page("?before=52")
	mustContain(t, "last page", body, "この画面の記録（1〜51番）")
	if strings.Contains(body, `id="older"`) {
		t.Error("the oldest page offers an older one")
	}
	for _, bad := range []string{"0", "1", "x", "-3", "99999"} {
		if code, body, _ := get(t, c, s.url+"/console/audit?before="+bad); code != http.StatusBadRequest || !strings.Contains(body, "ページの指定") {
			t.Errorf("before=%s: %d", bad, code)
		}
	}

	// An entry edited on the second page: the newest page cannot see it,
	// the second page and the whole-chain check do.
	f.audit = func(es []store.AuditEntry) []store.AuditEntry {
		for i := range es {
			if es[i].Seq == 100 {
				es[i].Detail = "edited"
			}
		}
		return es
	}
	mustContain(t, "second page, edited", page("?before=252"), "記録のつながりが壊れています", "audit entry 100")
	body = page("?verify=all")
	mustContain(t, "whole chain, edited", body, "記録のつながりが壊れています", "audit entry 100")
	if !strings.Contains(actions(t, st), "view_audit") {
		t.Error("views are not audited")
	}
}
