package console

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Every console route refuses what another site started, whatever the
// method, before anything is read or audited; the staff's own pages, a
// bookmark and a portal's link to the front page go through.
func TestOtherSitesRefused(t *testing.T) {
	st := sampleStore(t)
	s := newSite(t, st, nil, nil)
	c := s.client("staff-tanaka")
	host := strings.TrimPrefix(s.url, "https://")
	h := func(site, mode, dest string) map[string]string {
		return map[string]string{"Sec-Fetch-Site": site, "Sec-Fetch-Mode": mode, "Sec-Fetch-Dest": dest}
	}
	tests := []struct {
		name, path string
		hdr        map[string]string
		want       int
	}{
		{"img to the export", "/console/export/download?format=csv-ja&from=2026-11-01&to=2026-11-30", h("cross-site", "no-cors", "image"), 403},
		{"iframe of a record", "/console/record/K01/" + jK01 + "/3", h("cross-site", "navigate", "iframe"), 403},
		{"fetch of the audit log", "/console/audit", h("cross-site", "cors", "empty"), 403},
		{"link to the export", "/console/export/download?format=json&from=2026-11-01&to=2026-11-30", h("cross-site", "navigate", "document"), 403},
		{"link to a search", "/console/find?ref=K01-7Q3F-0003", h("cross-site", "navigate", "document"), 403},
		{"same-site img", "/console/followups", h("same-site", "no-cors", "image"), 403},
		{"language switch from elsewhere", "/console/lang?to=en", h("cross-site", "navigate", "document"), 403},
		{"old browser, other Referer", "/console/audit", map[string]string{"Referer": "https://evil.example/page"}, 403},
		{"old browser, null Origin", "/console/followups", map[string]string{"Origin": "null"}, 403},
		{"portal link to the front page", "/console/", h("cross-site", "navigate", "document"), 200},
		{"own page", "/console/followups", h("same-origin", "navigate", "document"), 200},
		{"typed address", "/console/audit", h("none", "navigate", "document"), 200},
		{"no metadata at all", "/console/followups", nil, 200},
		{"old browser, own Referer", "/console/followups", map[string]string{"Referer": "https://" + host + "/console/"}, 200},
		{"stylesheet for anyone", "/console/static/console.css", h("cross-site", "no-cors", "style"), 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := actions(t, st)
			req, _ := http.NewRequest("GET", s.url+tt.path, nil)
			for k, v := range tt.hdr {
				req.Header.Set(k, v)
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("%s: %d, want %d", tt.path, resp.StatusCode, tt.want)
			}
			if after := actions(t, st); tt.want == 403 && after != before {
				t.Errorf("a refused request was audited: %q", strings.TrimPrefix(after, before))
			}
		})
	}
	req, _ := http.NewRequest("GET", s.url+"/console/audit", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	mustContain(t, "refusal page", string(b), "ほかのサイトからの操作は受け付けません", "何も変わっていません")
}

// The collector's bare address leads to the console.
func TestRootLeadsToConsole(t *testing.T) {
	s := newSite(t, sampleStore(t), nil, nil)
	resp, err := s.client("staff-tanaka").Get(s.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != Prefix {
		t.Errorf("/: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// The staff API and kiosk endpoints beside the console: what another site
// started is refused before the handler (no records, no audit entry);
// kiosks and scripts, which send no Fetch Metadata, pass.
func TestRefuseOtherSitesOnTheAPI(t *testing.T) {
	called := 0
	h := RefuseOtherSites(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { called++ }), slog.New(slog.DiscardHandler))
	tests := []struct {
		name string
		hdr  map[string]string
		want int
	}{
		{"script (collector import --url, a kiosk)", nil, 200},
		{"img on another site", map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image"}, 403},
		{"link on another site", map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}, 403},
		{"old browser, other Referer", map[string]string{"Referer": "https://evil.example/"}, 403},
		{"typed into the address bar", map[string]string{"Sec-Fetch-Site": "none", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}, 200},
	}
	for _, tt := range tests {
		called = 0
		r := httptest.NewRequest("GET", "https://collector.example/records?kiosk=K01&after=0", nil)
		for k, v := range tt.hdr {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tt.want || (called == 1) != (tt.want == 200) {
			t.Errorf("%s: %d (handler called %d times), want %d", tt.name, w.Code, called, tt.want)
		}
	}
}
