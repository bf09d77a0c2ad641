package console

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
)

// postForm posts form to path as a same-origin browser would, and returns
// the status, the redirect target and the body.
func (s *site) postForm(c *http.Client, path string, form url.Values, hdr map[string]string) (int, string, string) {
	s.t.Helper()
	req, _ := http.NewRequest("POST", s.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

// TestInstalledKiosks: staff keep the list of kiosks the town hall
// installed; one never heard from is listed first on the fleet page with
// what to check, one heard from but not on the list is pointed out, a bad
// entry is refused with its reason and stores nothing, and every change is
// audited. A cross-site post changes nothing.
func TestInstalledKiosks(t *testing.T) {
	st := sampleStore(t)
	s := newSite(t, st, nil, nil)
	c := s.client("staff-tanaka")

	// Before any entry, nothing is "not on the list".
	_, body, _ := get(t, c, s.url+"/console/")
	if strings.Contains(body, text(LangJA, "problem.notlisted")) {
		t.Error("with no installed list, every kiosk is called unlisted")
	}

	add := func(id, place string) (int, string, string) {
		return s.postForm(c, "/console/installed", url.Values{"kiosk": {id}, "place": {place}, "note": {"2026-11 設置"}}, nil)
	}
	if code, loc, _ := add(" k09 ", "北分館 ロビー"); code != http.StatusSeeOther || loc != "/console/installed?flash=added&id=K09" {
		t.Fatalf("add K09: %d %q", code, loc)
	}
	if code, _, _ := add("K01", "本庁舎1階"); code != http.StatusSeeOther {
		t.Fatalf("add K01: %d", code)
	}
	tests := []struct{ id, place, want string }{
		{"", "x", "kiosk ID"},
		{"K-01", "x", "kiosk ID"},
		{"K0000001", "x", "kiosk ID"},
		{"K05", strings.Repeat("あ", 101), "longer than 100"},
	}
	for _, tt := range tests {
		code, _, body := add(tt.id, tt.place)
		if code != http.StatusBadRequest || !strings.Contains(body, tt.want) || !strings.Contains(body, `id="error"`) {
			t.Errorf("add %q/%q: %d, want 400 saying %q", tt.id, tt.place, code, tt.want)
		}
	}
	code, _, _ := s.postForm(c, "/console/installed", url.Values{"kiosk": {"K07"}}, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"})
	if code != http.StatusForbidden {
		t.Errorf("cross-site add: %d, want 403", code)
	}
	ins, err := st.Installed(context.Background())
	if err != nil || len(ins) != 2 || ins[0].KioskID != "K01" || ins[1].KioskID != "K09" || ins[1].Place != "北分館 ロビー" || ins[1].By != "staff-tanaka" {
		t.Fatalf("installed: %+v %v, want K01 and K09 only", ins, err)
	}

	_, body, _ = get(t, c, s.url+"/console/")
	mustContain(t, "fleet page", body, `id="kiosk-K09"`, "北分館 ロビー", "一度も連絡がありません", "端末の証明書を確認してください")
	i09, i02, i01 := strings.Index(body, `id="kiosk-K09"`), strings.Index(body, `id="kiosk-K02"`), strings.Index(body, `id="kiosk-K01"`)
	if !(i09 < i02 && i02 < i01) {
		t.Errorf("order K09 %d, K02 %d, K01 %d: want the never-seen installed kiosk first, then the silent one, then the working one", i09, i02, i01)
	}
	// K02 is heard from but nobody put it on the list.
	row02 := body[i02:i01]
	mustContain(t, "K02's row", row02, text(LangJA, "problem.notlisted"))
	if strings.Contains(body[i01:], text(LangJA, "problem.notlisted")) {
		t.Error("K01 is on the list but called unlisted")
	}
	get(t, c, s.url+"/console/lang?to=en&back=/console/")
	_, body, _ = get(t, c, s.url+"/console/")
	mustContain(t, "fleet page in English", body, "installed (added", "never heard from")
	get(t, c, s.url+"/console/lang?to=ja&back=/console/")

	_, body, _ = get(t, c, s.url+"/console/installed")
	mustContain(t, "installed page", body, `id="installed-K09"`, `id="installed-K01"`, "staff-tanaka", "2026-11 設置")
	if code, loc, _ := s.postForm(c, "/console/installed/remove", url.Values{"kiosk": {"K09"}}, nil); code != http.StatusSeeOther || !strings.Contains(loc, "removed") {
		t.Fatalf("remove: %d %q", code, loc)
	}
	_, body, _ = get(t, c, s.url+"/console/")
	if strings.Contains(body, `id="kiosk-K09"`) {
		t.Error("a kiosk taken off the list (never heard from) is still listed")
	}
	if got, want := actions(t, st), "view_kiosks install_kiosk install_kiosk view_kiosks view_kiosks view_installed uninstall_kiosk view_kiosks"; got != want {
		t.Errorf("audit: %s\nwant %s", got, want)
	}
	_, body, _ = get(t, c, s.url+"/console/audit")
	mustContain(t, "audit page", body, "端末の登録", "端末の登録解除")
	_ = store.ActInstall
}
