package console

import (
	"crypto/tls"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/sync/pki"
)

// Staff are who their certificate says; everyone else is turned away —
// at the handshake without a village certificate, with a page and an audit
// line with a kiosk's.
func TestAuthentication(t *testing.T) {
	st := sampleStore(t)
	s := newSite(t, st, nil, nil)

	code, body, _ := get(t, s.client("staff-tanaka"), s.url+"/console/")
	if code != 200 {
		t.Fatalf("staff: %d\n%s", code, body)
	}
	mustContain(t, "staff page", body, `id="staff">staff-tanaka<`, "端末の状態")

	for _, cn := range []string{"K01", "staffer"} { // a kiosk, and a name that only starts like staff
		code, body, _ = get(t, s.client(cn), s.url+"/console/find?ref=K01-7Q3F-0002")
		if code != http.StatusForbidden || !strings.Contains(body, "職員用の証明書が必要です") || strings.Contains(body, "K01-7Q3F-0002") {
			t.Errorf("%s: %d, want 403 with the certificate page and no record\n%s", cn, code, body)
		}
	}
	if got := actions(t, st); got != "view_kiosks denied denied" {
		t.Errorf("audit log %q, want the staff view and both refusals", got)
	}

	if _, err := s.client("").Get(s.url + "/console/"); err == nil {
		t.Error("a client without a certificate got an answer")
	}
	// A staff certificate from another CA: the handshake fails too.
	otherCA, err := pki.NewCA("another CA", pki.ECDSA)
	if err != nil {
		t.Fatal(err)
	}
	stranger, _ := otherCA.Client("staff-tanaka")
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: s.ca.Pool(), Certificates: []tls.Certificate{stranger.TLS()}}}}
	if _, err := c.Get(s.url + "/console/"); err == nil {
		t.Error("a staff certificate from another CA got an answer")
	}
}

// Kiosks: the silent one with a printer out of paper, a chain break and a
// re-created journal comes first, with every problem in words.
func TestKiosksPage(t *testing.T) {
	s := newSite(t, sampleStore(t), nil, nil)
	_, body, _ := get(t, s.client("staff-tanaka"), s.url+"/console/")
	i1, i2 := strings.Index(body, `id="kiosk-K01"`), strings.Index(body, `id="kiosk-K02"`)
	if i1 < 0 || i2 < 0 || i2 > i1 {
		t.Fatalf("K02 (broken) must come before K01: %d %d", i2, i1)
	}
	k2 := body[i2:i1]
	mustContain(t, "K02 row", k2, `class="lv-bad"`, "要確認", "3時間前から通信がありません", "プリンター：用紙切れ",
		"警告が1件あります", "未送信の記録が120件たまっています", "役場に届いていない記録があります（1か所）", "作り直し 1",
		"記録ファイルが作り直されました（壊れたファイルを退避して作り直し）", "v1.3.2",
		"更新 v1.4.0 を入れられませんでした（新しい版が正常に動きませんでした）。元の版で動いています", "更新できず v1.4.0: 新しい版が正常に動きませんでした")
	mustContain(t, "K01 row", body[i1:], `class="lv-ok"`, "正常", "2分前", "v1.4.0", "更新済み v1.4.0")
}

// A reference number from a slip leads to its record; case, spaces and
// typos are told apart from records that have not arrived.
func TestFindByReference(t *testing.T) {
	s := newSite(t, sampleStore(t), nil, nil)
	c := s.client("staff-tanaka")
	code, _, h := get(t, c, s.url+"/console/find?ref="+url.QueryEscape(" k01-7q3f-0003 "))
	if code != http.StatusSeeOther || h.Get("Location") != "/console/record/K01/7Q3FABCDEFGHJKMNPQRSTVWXYZ/3" {
		t.Fatalf("lookup: %d → %q", code, h.Get("Location"))
	}
	code, body, _ := get(t, c, s.url+"/console/record/K01/7Q3FABCDEFGHJKMNPQRSTVWXYZ/3")
	if code != 200 {
		t.Fatalf("record: %d", code)
	}
	mustContain(t, "record", body, "K01-7Q3F-0003", "暗証番号の変更（利用者証明用・4けた）", "結果不明",
		"暗証番号の変更結果が不明：新旧どちらの暗証番号が有効か", "対応済みにする",
		`<a href="/console/record/K01/7Q3FABCDEFGHJKMNPQRSTVWXYZ/2">K01-7Q3F-0002</a>　<span class="ok">✓ 正しくつながっています`,
		`<a href="/console/record/K01/7Q3FABCDEFGHJKMNPQRSTVWXYZ/4">K01-7Q3F-0004</a>　<span class="ok">✓`)

	code, body, _ = get(t, c, s.url+"/console/find?ref=K01-7Q3F-0099")
	if code != 200 || !strings.Contains(body, "まだ役場に届いていません") {
		t.Errorf("unknown reference: %d\n%s", code, body)
	}
	code, body, _ = get(t, c, s.url+"/console/find?ref=K01-2026")
	if code != http.StatusBadRequest || !strings.Contains(body, "入力を確認してください") {
		t.Errorf("malformed reference: %d", code)
	}
	// A record's text from a kiosk is shown, never run.
	_, body, _ = get(t, c, s.url+"/console/record/K01/7Q3FABCDEFGHJKMNPQRSTVWXYZ/6")
	if strings.Contains(body, "<script>") || !strings.Contains(body, "&lt;script&gt;") {
		t.Error("a record's detail reached the page unescaped")
	}
	if code, _, _ := get(t, c, s.url+"/console/record/K01/7Q3FABCDEFGHJKMNPQRSTVWXYZ/77"); code != http.StatusNotFound {
		t.Errorf("missing record: %d, want 404", code)
	}
}

func TestFindByFilters(t *testing.T) {
	s := newSite(t, sampleStore(t), nil, nil)
	c := s.client("staff-tanaka")
	tests := []struct {
		query string
		want  []string
		not   []string
	}{
		{"kiosk=K01&from=2026-11-25&to=2026-11-25&kind=status_check", []string{"K01-7Q3F-0002", "K01-7Q3F-0004", "K01-7Q3F-0006"}, []string{"K01-7Q3F-0003"}},
		{"kiosk=K01&outcome=unknown", []string{"K01-7Q3F-0003"}, []string{"K01-7Q3F-0002"}},
		{"from=2026-11-26", nil, []string{"K01-2026"}},
	}
	for _, tt := range tests {
		code, body, _ := get(t, c, s.url+"/console/find?"+tt.query)
		if code != 200 {
			t.Errorf("%s: %d", tt.query, code)
		}
		mustContain(t, tt.query, body, tt.want...)
		for _, n := range tt.not {
			if strings.Contains(body, n) {
				t.Errorf("%s: %q should not be listed", tt.query, n)
			}
		}
	}
	if code, _, _ := get(t, c, s.url+"/console/find?from=2026-13-01"); code != http.StatusBadRequest {
		t.Errorf("bad date: %d", code)
	}
}

func TestFollowUpOf(t *testing.T) {
	tests := []struct {
		r    kiosk.Record
		want FollowUpKind
	}{
		{kiosk.Record{Kind: kiosk.TxChangeAuth, Outcome: kiosk.OutcomeUnknown, Status: "pin_change_unknown"}, FollowUpPINUnknown},
		{kiosk.Record{Kind: kiosk.TxChangeSign, Outcome: kiosk.OutcomeLocked, Status: "sign_locked"}, FollowUpLocked},
		{kiosk.Record{Kind: kiosk.TxStatus, Outcome: kiosk.OutcomeOK, Status: "auth_locked"}, FollowUpLocked},
		{kiosk.Record{Kind: kiosk.TxStatus, Outcome: kiosk.OutcomeOK, Status: "expired"}, FollowUpOffice},
		{kiosk.Record{Kind: kiosk.TxStatus, Outcome: kiosk.OutcomeOK, Status: "renewal"}, FollowUpOffice},
		{kiosk.Record{Kind: kiosk.TxCardError, Outcome: kiosk.OutcomeError, Status: "unreadable"}, FollowUpOffice},
		// The slip's other conditions count, not only the leading status (F7).
		{kiosk.Record{Kind: kiosk.TxStatus, Outcome: kiosk.OutcomeOK, Status: "valid", Office: []kiosk.Code{kiosk.CodeNoSignCert}}, FollowUpOffice},
		{kiosk.Record{Kind: kiosk.TxStatus, Outcome: kiosk.OutcomeOK, Status: "valid", Office: []kiosk.Code{kiosk.CodeAuthLastTry, kiosk.CodeSignLocked}}, FollowUpLocked},
		// The last try spent on a wrong PIN locks it.
		{kiosk.Record{Kind: kiosk.TxChangeAuth, Outcome: kiosk.OutcomeWrongPIN, Status: "wrong_pin", AuthTries: tries(0)}, FollowUpLocked},
		{kiosk.Record{Kind: kiosk.TxChangeAuth, Outcome: kiosk.OutcomeWrongPIN, Status: "wrong_pin", AuthTries: tries(2)}, ""},
		{kiosk.Record{Kind: kiosk.TxSystem, Outcome: kiosk.OutcomeError, Detail: kiosk.DetailPrinterUnavailable, Reference: "K01-7Q3F-0004"}, FollowUpSlip},
		{kiosk.Record{Kind: kiosk.TxStatus, Outcome: kiosk.OutcomeOK, Status: "valid"}, ""},
		{kiosk.Record{Kind: kiosk.TxChangeAuth, Outcome: kiosk.OutcomeOK, Status: "pin_changed"}, ""},
		{kiosk.Record{Kind: kiosk.TxChangeAuth, Outcome: kiosk.OutcomeWrongPIN, Status: "wrong_pin"}, ""},
		{kiosk.Record{Kind: kiosk.TxSystem, Outcome: kiosk.OutcomeError, Detail: "journal_reset"}, ""},
	}
	for _, tt := range tests {
		got, ok := FollowUpOf(tt.r)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("%s/%s/%s/%s: %q %v, want %q", tt.r.Kind, tt.r.Outcome, tt.r.Status, tt.r.Detail, got, ok, tt.want)
		}
	}
}

// A follow-up is marked once, by whom and when; a second mark keeps the
// first; a form posted from another site is refused.
func TestMarkFollowUp(t *testing.T) {
	st := sampleStore(t)
	s := newSite(t, st, nil, nil)
	c := s.client("staff-tanaka")
	_, body, _ := get(t, c, s.url+"/console/followups?from=2026-11-25&to=2026-11-25")
	mustContain(t, "follow-ups", body, "K01-7Q3F-0003", "K01-7Q3F-0004", "K01-7Q3F-0006", "受付票が印刷されませんでした")
	if strings.Contains(body, `id="fu-K01/7Q3FABCDEFGHJKMNPQRSTVWXYZ/2"`) || strings.Contains(body, "K02-M4X9") {
		t.Error("a valid status check is listed as a follow-up")
	}
	post := func(c *http.Client, rec string, hdr map[string]string) *http.Response {
		t.Helper()
		form := url.Values{"record": {rec}, "note": {"窓口で新しい暗証番号を確認"}, "back": {"/console/followups?from=2026-11-25&to=2026-11-25"}}
		req, _ := http.NewRequest("POST", s.url+"/console/followups/mark", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := post(c, "K01/7Q3FABCDEFGHJKMNPQRSTVWXYZ/3", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site mark: %d, want 403", resp.StatusCode)
	}
	if m, _ := s.view.MarkOf(t.Context(), "K01", jK01, 3); m != nil {
		t.Fatal("a cross-site post made a mark")
	}
	resp := post(c, "K01/7Q3FABCDEFGHJKMNPQRSTVWXYZ/3", map[string]string{"Sec-Fetch-Site": "same-origin"})
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "flash=marked") {
		t.Fatalf("mark: %d → %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	m, _ := s.view.MarkOf(t.Context(), "K01", jK01, 3)
	if m == nil || m.By != "staff-tanaka" || !m.At.Equal(day0) || m.Kind != string(FollowUpPINUnknown) || m.Note != "窓口で新しい暗証番号を確認" {
		t.Fatalf("mark kept: %+v", m)
	}
	resp = post(s.client("staff-sato"), "K01/7Q3FABCDEFGHJKMNPQRSTVWXYZ/3", nil)
	if loc := resp.Header.Get("Location"); !strings.Contains(loc, "flash=already") || !strings.Contains(loc, "by=staff-tanaka") {
		t.Errorf("second mark: %s", loc)
	}
	_, body, _ = get(t, c, s.url+"/console/record/K01/7Q3FABCDEFGHJKMNPQRSTVWXYZ/3?flash=marked")
	mustContain(t, "record after mark", body, "対応済みにしました。", "staff-tanaka が 2026-11-25 15:00:00 に対応", "窓口で新しい暗証番号を確認")
	_, body, _ = get(t, c, s.url+"/console/followups?from=2026-11-25&to=2026-11-25")
	if strings.Contains(body, `id="fu-K01/7Q3FABCDEFGHJKMNPQRSTVWXYZ/3"`) {
		t.Error("a handled follow-up is still listed as open")
	}
	if resp := post(c, "K01/7Q3FABCDEFGHJKMNPQRSTVWXYZ/2", nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("marking a record that needs nothing: %d", resp.StatusCode)
	}
}

// byRef finds a CSV row by its reference number.
func byRef(t *testing.T, rows [][]string, ref string) []string {
	t.Helper()
	for _, r := range rows {
		if r[0] == ref {
			return r
		}
	}
	t.Fatalf("no row %s", ref)
	return nil
}

// The CSV opens in Excel: BOM, CRLF, Japanese headings and labels, no
// formula from a kiosk; the English one keeps codes; JSON round-trips.
func TestExport(t *testing.T) {
	s := newSite(t, sampleStore(t), nil, nil)
	c := s.client("staff-tanaka")
	code, body, h := get(t, c, s.url+"/console/export/download?from=2026-11-25&to=2026-11-25&format=csv-ja")
	if code != 200 || h.Get("Content-Type") != "text/csv; charset=utf-8" || !strings.Contains(h.Get("Content-Disposition"), `filename="kiosk-records-20261125-20261125.csv"`) {
		t.Fatalf("csv: %d %v", code, h)
	}
	if !strings.HasPrefix(body, "\ufeff") {
		t.Fatal("no byte-order mark: Excel would read Shift_JIS")
	}
	const lines = 1 + 6 + 10 + 2 // heading, K01, K02's two journals (5 and 6 never arrived)
	if strings.Count(body, "\r\n") != lines || strings.Count(body, "\n") != lines {
		t.Errorf("want %d CRLF lines, got %d CRLF, %d LF", lines, strings.Count(body, "\r\n"), strings.Count(body, "\n"))
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rows[0][:6], ","); got != "受付番号,日時,端末,記録ファイル,番号,内容" {
		t.Errorf("header %q", got)
	}
	if r := byRef(t, rows, "K01-7Q3F-0003"); r[1] != "2026-11-25 09:20:00" || r[5] != "暗証番号の変更（利用者証明用・4けた）" || r[6] != "結果不明" {
		t.Errorf("row 3: %q", r)
	}
	if r := byRef(t, rows, "K01-7Q3F-0006"); r[11] != `'=HYPERLINK("x")<script>` || r[14] != "未確認" {
		t.Errorf("a formula from a kiosk must be defused: %q", r[11])
	}
	if rows[1][0] != "K02-M4X9-0001" || rows[len(rows)-1][0] != "K01-7Q3F-0006" {
		t.Errorf("not oldest first: %s … %s", rows[1][0], rows[len(rows)-1][0])
	}
	_, body, _ = get(t, c, s.url+"/console/export/download?from=2026-11-25&to=2026-11-25&format=csv-en")
	rows, _ = csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if r := byRef(t, rows, "K01-7Q3F-0003"); rows[0][0] != "reference" || r[5] != "change_auth_pin" || r[6] != "unknown" {
		t.Errorf("English CSV: %q / %q", rows[0], r)
	}
	_, body, _ = get(t, c, s.url+"/console/export/download?from=2026-11-25&to=2026-11-25&format=json")
	var out []exported
	if err := json.Unmarshal([]byte(body), &out); err != nil || len(out) != lines-1 {
		t.Fatalf("JSON: %v, %d records", err, len(out))
	}
	if e := out[12]; e.Reference != "K01-7Q3F-0003" || e.JournalID != jK01 || e.Record.Outcome != kiosk.OutcomeUnknown || e.Record.Hash == "" {
		t.Errorf("JSON record 12: %+v", e)
	}
	if code, _, _ := get(t, c, s.url+"/console/export/download?from=2026-11-25&format=csv-ja"); code != http.StatusBadRequest {
		t.Errorf("export without an end date: %d", code)
	}
}

// Every view, search, export and mark is in the audit log, in order, as
// one chain; an edit of the stored log shows; the log has no way in to
// change it; and when it cannot be written nothing is shown.
func TestAudit(t *testing.T) {
	st := sampleStore(t)
	f := &failing{Store: st, fail: map[string]error{}}
	s := newSite(t, st, f, nil)
	c := s.client("staff-tanaka")
	rec := "/console/record/K01/" + jK01 + "/3"
	for _, p := range []string{"/console/", "/console/kiosk/K02", "/console/find?ref=K01-7Q3F-0003", rec,
		"/console/followups", "/console/export/download?from=2026-11-25&to=2026-11-25&format=csv-ja"} {
		get(t, c, s.url+p)
	}
	want := "view_kiosks view_kiosk search view_record view_followups export"
	if got := actions(t, st); got != want {
		t.Fatalf("audit actions %q, want %q", got, want)
	}
	es, _ := st.Audit(t.Context(), 0, 0)
	if b := store.VerifyAudit(nil, es); b != nil {
		t.Fatal(b)
	}
	if e := es[3]; e.Staff != "staff-tanaka" || e.Cert == "" || e.Detail != "K01/"+jK01+"/3" || !e.Time.Equal(day0) {
		t.Errorf("entry: %+v", e)
	}
	_, body, _ := get(t, c, s.url+"/console/audit")
	mustContain(t, "audit page", body, "書き換え・抜けはありません", "記録を表示", "K01/"+jK01+"/3")

	for _, m := range []string{"POST", "PUT", "DELETE", "PATCH"} {
		req, _ := http.NewRequest(m, s.url+"/console/audit", strings.NewReader("seq=1"))
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("%s /console/audit: %d, want 405", m, resp.StatusCode)
		}
	}

	// The stored log as someone with access to the store left it: an
	// entry edited, then one dropped. (The stores' own tests edit their
	// files and tables; here the page must say so.)
	f.audit = func(es []store.AuditEntry) []store.AuditEntry {
		es[3].Detail = "K01/" + jK01 + "/2"
		return es
	}
	_, body, _ = get(t, c, s.url+"/console/audit")
	mustContain(t, "audit page after an edit", body, "記録のつながりが壊れています", "audit entry 4")
	f.audit = func(es []store.AuditEntry) []store.AuditEntry { return append(es[:2], es[3:]...) }
	_, body, _ = get(t, c, s.url+"/console/audit")
	mustContain(t, "audit page after a drop", body, "記録のつながりが壊れています", "audit entry 3: missing")

	f.fail["AppendAudit"] = errors.New("disk full")
	// The kiosk list names no resident: it stays readable, saying that
	// nothing is being logged.
	if code, body, _ := get(t, c, s.url+"/console/"); code != http.StatusOK || !strings.Contains(body, "この画面の閲覧は記録されていません") || !strings.Contains(body, "K01") {
		t.Errorf("kiosk list with the audit log failing: %d\n%s", code, body)
	}
	for _, p := range []string{rec, "/console/export/download?from=2026-11-25&to=2026-11-25&format=csv-ja"} {
		code, body, _ := get(t, c, s.url+p)
		if code != http.StatusServiceUnavailable || strings.Contains(body, "K01-7Q3F") || !strings.Contains(body, "操作記録に書き込めない") {
			t.Errorf("%s with the audit log failing: %d\n%s", p, code, body)
		}
	}
}

func TestStoreFailure(t *testing.T) {
	st := sampleStore(t)
	s := newSite(t, st, &failing{Store: st, fail: map[string]error{"Kiosks": errors.New("i/o error")}}, nil)
	code, body, _ := get(t, s.client("staff-tanaka"), s.url+"/console/")
	if code != http.StatusInternalServerError || !strings.Contains(body, "記録の読み出しに失敗しました") || strings.Contains(body, "i/o error") {
		t.Errorf("store failure: %d\n%s", code, body)
	}
}

// English is one click away and stays; the switch goes back only inside
// the console.
func TestLanguage(t *testing.T) {
	s := newSite(t, sampleStore(t), nil, nil)
	c := s.client("staff-tanaka")
	_, body, _ := get(t, c, s.url+"/console/find")
	mustContain(t, "Japanese", body, `lang="ja"`, `href="/console/lang?back=%2Fconsole%2Ffind&amp;to=en"`)
	code, _, h := get(t, c, s.url+"/console/lang?to=en&back=/console/find")
	if code != http.StatusSeeOther || h.Get("Location") != "/console/find" {
		t.Fatalf("switch: %d %s", code, h.Get("Location"))
	}
	_, body, _ = get(t, c, s.url+"/console/find")
	mustContain(t, "English", body, `lang="en"`, "Find a visit", "Type the reference number", "日本語")
	for _, back := range []string{"https://evil.example/", "//evil.example/console/", "/other", `/console/\evil`} {
		_, _, h := get(t, c, s.url+"/console/lang?to=ja&back="+url.QueryEscape(back))
		if h.Get("Location") != "/console/" {
			t.Errorf("back=%q went to %q", back, h.Get("Location"))
		}
	}
}

// TestStoreUnavailable: a database that cannot be reached is said to be
// that, with what to check and a Retry-After — on a read and on the audit
// write alike — never as the audit log or as a bug.
func TestStoreUnavailable(t *testing.T) {
	down := fmt.Errorf("%w: dial unix /run/postgresql: connection refused", store.ErrUnavailable)
	for _, method := range []string{"Kiosks", "AppendAudit"} {
		st := sampleStore(t)
		s := newSite(t, st, &failing{Store: st, fail: map[string]error{method: down}}, nil)
		for _, p := range []string{"/console/kiosk/K01", "/console/followups"} {
			if method == "Kiosks" {
				p = "/console/"
			}
			code, body, hdr := get(t, s.client("staff-tanaka"), s.url+p)
			if code != http.StatusServiceUnavailable || hdr.Get("Retry-After") == "" || !strings.Contains(body, "データベースに接続できません") ||
				!strings.Contains(body, "ディスクの空き") || strings.Contains(body, "操作記録に書き込めない") || strings.Contains(body, "connection refused") {
				t.Errorf("%s failing, %s: %d %v\n%s", method, p, code, hdr, body)
			}
		}
	}
}

// The export names every condition the slip sent the resident to the
// counter for, as the follow-ups do: labels in Japanese, codes in English,
// and nothing for a visit that needed no counter.
func TestExportOfficeConditions(t *testing.T) {
	office := []kiosk.Code{kiosk.CodeNoSignCert, kiosk.CodeAuthLocked}
	vs := []store.Found{
		{JournalID: jK01, Record: kiosk.Record{KioskID: "K01", Seq: 1, Kind: kiosk.TxStatus, Office: office}},
		{JournalID: jK01, Record: kiosk.Record{KioskID: "K01", Seq: 2, Kind: kiosk.TxStatus}},
	}
	for _, tc := range []struct {
		l          Lang
		head, want string
	}{
		{LangJA, "窓口へのご案内", label(LangJA, "", "no_sign_cert") + "、" + label(LangJA, "", "auth_locked")},
		{LangEN, "office", "no_sign_cert auth_locked"},
	} {
		var b strings.Builder
		if err := writeCSV(&b, tc.l, vs); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(b.String(), "\ufeff"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		col := slices.Index(rows[0], tc.head)
		if col < 0 || rows[1][col] != tc.want || rows[2][col] != "" {
			t.Errorf("%s: column %d of %q: %q / %q, want %q / empty", tc.head, col, rows[0], rows[1], rows[2], tc.want)
		}
	}
}
