package console

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"net/http"
	"strings"
	"testing"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
)

// Counter staff read and mark follow-ups; imports, exports and the audit
// log are an administrator's, refused to counter staff in Japanese and
// audited; the menu offers counter staff only what they may do.
func TestCounterAndAdministrator(t *testing.T) {
	st := sampleStore(t)
	s := newSite(t, st, nil, nil)
	counter, admin := s.client("staff-mado"), s.client("staff-tanaka")
	routes := []struct {
		path      string
		adminOnly bool
	}{
		{"/console/", false},
		{"/console/kiosk/K01", false},
		{"/console/find?ref=K01-7Q3F-0002", false},
		{"/console/record/K01/" + jK01 + "/3", false},
		{"/console/followups", false},
		{"/console/export", true},
		{"/console/export/download?format=csv-ja&from=2026-11-25&to=2026-11-25", true},
		{"/console/import", true},
		{"/console/audit", true},
	}
	for _, r := range routes {
		t.Run(r.path, func(t *testing.T) {
			before := actions(t, st)
			code, body, _ := get(t, counter, s.url+r.path)
			switch {
			case r.adminOnly && code != http.StatusForbidden:
				t.Errorf("counter staff: %d, want 403", code)
			case r.adminOnly:
				mustContain(t, "refusal", body, "この操作は管理者だけができます", "（窓口）")
				if got := strings.TrimSpace(strings.TrimPrefix(actions(t, st), before)); got != store.ActDeniedRole {
					t.Errorf("audit after the refusal: %q, want %s", got, store.ActDeniedRole)
				}
			case code != http.StatusOK && code != http.StatusSeeOther:
				t.Errorf("counter staff: %d", code)
			}
			if code, _, _ := get(t, admin, s.url+r.path); code != http.StatusOK && code != http.StatusSeeOther {
				t.Errorf("administrator: %d", code)
			}
		})
	}
	_, body, _ := get(t, counter, s.url+"/console/followups")
	if strings.Contains(body, `href="/console/export"`) || strings.Contains(body, `href="/console/audit"`) {
		t.Error("the counter's menu offers an administrator's pages")
	}
	mustContain(t, "counter follow-ups", body, "対応済みにする")
	resp, err := counter.PostForm(s.url+"/console/followups/mark", map[string][]string{"record": {"K01/" + jK01 + "/3"}, "back": {"/console/followups"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if m, _ := st.MarkOf(t.Context(), "K01", jK01, 3); resp.StatusCode != http.StatusSeeOther || m == nil || m.By != "staff-mado" {
		t.Errorf("counter staff's mark: %d %+v", resp.StatusCode, m)
	}
	_, body, _ = get(t, admin, s.url+"/console/audit")
	mustContain(t, "admin's audit page", body, "拒否（管理者の操作）", "staff-mado", "（管理者）")
}

// Who administers: the certificate's OU or the configured names, nobody else.
func TestAdminOf(t *testing.T) {
	c, err := New(Options{Store: sampleStore(t), Admins: []string{"staff-kacho"}})
	if err != nil {
		t.Fatal(err)
	}
	cert := func(cn string, ou ...string) *x509.Certificate {
		return &x509.Certificate{Subject: pkix.Name{CommonName: cn, OrganizationalUnit: ou}}
	}
	tests := []struct {
		cert *x509.Certificate
		want bool
	}{
		{cert("staff-kacho"), true},
		{cert("staff-mado"), false},
		{cert("staff-mado", DefaultAdminOU), true},
		{cert("staff-mado", "counter", "Console-Admin"), false}, // exact, as issued
		{cert("staff-kacho2"), false},
		{cert(""), false},
	}
	for _, tt := range tests {
		if got := c.isAdmin(tt.cert); got != tt.want {
			t.Errorf("%s %v: %t, want %t", tt.cert.Subject.CommonName, tt.cert.Subject.OrganizationalUnit, got, tt.want)
		}
	}
}
