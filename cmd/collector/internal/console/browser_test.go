package console

import (
	"encoding/csv"
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/villagehall/kiosk/cmd/collector/internal/browsertest"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

var update = flag.Bool("update", false, "rewrite the screenshots in testdata/console")

// shot saves a screenshot: into the repository's testdata/console with
// -update (the README shows them), else beside the test's temp files.
func shot(t *testing.T, b *browsertest.Browser, name string) {
	t.Helper()
	dir := t.TempDir()
	if *update {
		dir = filepath.Join("..", "..", "..", "..", "testdata", "console")
	}
	b.Screenshot(filepath.Join(dir, name+".png"))
}

// The console as staff use it, in a real Chromium holding a staff
// certificate: every page renders, the reference from a slip finds its
// record, a follow-up is marked, the CSV downloads and parses as Excel
// reads it, an export folder's files are imported; a kiosk's certificate
// gets the refusal page.
func TestInBrowser(t *testing.T) {
	st := sampleStore(t)
	s := newSite(t, st, nil, nil)
	_, staffCert, staffKey := s.issue("staff-tanaka")
	b := browsertest.New(t, browsertest.Options{CAFile: s.caPE, CertFile: staffCert, KeyFile: staffKey})
	text := func(sel string) string {
		t.Helper()
		return browsertest.Get(b, chromedp.Text(chromedp.CSS(sel)))
	}

	b.Do(chromedp.Navigate(s.url + "/console/"))
	if got := browsertest.Get(b, chromedp.AttributeValue(chromedp.CSS("#kiosk-K02"), "class")); got.Value != "lv-bad" {
		t.Errorf("K02 row class %q, want lv-bad", got.Value)
	}
	if !strings.Contains(text("#kiosk-K02"), "用紙切れ") {
		t.Errorf("K02 row does not say the printer is out of paper: %q", text("#kiosk-K02"))
	}
	shot(t, b, "kiosks")

	b.Do(chromedp.Navigate(s.url+"/console/find"),
		chromedp.SendKeys(chromedp.CSS("#ref"), "k01-7q3f-0003"),
		chromedp.Click(chromedp.CSS("#ref-search")),
		chromedp.WaitVisible(chromedp.CSS("#reference")))
	if got := text("#reference"); got != "K01-7Q3F-0003" {
		t.Fatalf("search by reference opened %q", got)
	}
	if !strings.Contains(text("#chain-prev"), "正しくつながっています") {
		t.Errorf("chain: %q", text("#chain-prev"))
	}
	shot(t, b, "record")

	b.Do(chromedp.SendKeys(chromedp.CSS("form.mark input[name=note]"), "窓口で確認済み"),
		chromedp.Click(chromedp.CSS(".mark-button")),
		chromedp.WaitVisible(chromedp.CSS("#handled")))
	if got := text("#handled"); !strings.Contains(got, "staff-tanaka") {
		t.Errorf("after the mark: %q", got)
	}
	if m, _ := s.view.MarkOf(t.Context(), "K01", jK01, 3); m == nil || m.By != "staff-tanaka" {
		t.Fatalf("mark not stored: %+v", m)
	}
	b.Do(chromedp.Navigate(s.url + "/console/followups?from=2026-11-01&to=2026-11-30&show=all"))
	shot(t, b, "followups")

	b.Do(chromedp.Navigate(s.url+"/console/export"),
		chromedp.SetValue(chromedp.CSS("input[name=from]"), "2026-11-25"),
		chromedp.SetValue(chromedp.CSS("input[name=to]"), "2026-11-25"))
	shot(t, b, "export")
	name, data := b.Download(chromedp.Click(chromedp.CSS("#download")))
	if name != "kiosk-records-20261125-20261125.csv" || !strings.HasPrefix(string(data), "\ufeff受付番号,日時") || !strings.Contains(string(data), "\r\n") {
		t.Fatalf("download %q: %.80q", name, data)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(data), "\ufeff"))).ReadAll()
	if err != nil || len(rows) != 19 || byRef(t, rows, "K01-7Q3F-0003")[6] != "結果不明" {
		t.Errorf("CSV: %v, %d rows", err, len(rows))
	}

	dir, jid := realExport(t, s, 5)
	b.Do(chromedp.Navigate(s.url+"/console/import"),
		chromedp.SetUploadFiles(chromedp.CSS("#files"), []string{filepath.Join(dir, ksync.ExportRecords), filepath.Join(dir, ksync.ExportManifest)}),
		chromedp.Click(chromedp.CSS("#import")),
		chromedp.WaitVisible(chromedp.CSS("#import-result")))
	if j, err := st.Journal(t.Context(), "K07", jid); err != nil || j.Records != 5 {
		t.Errorf("after the upload: %+v %v", j, err)
	}
	shot(t, b, "import")

	b.Do(chromedp.Navigate(s.url + "/console/audit"))
	if got := text("#audit-state"); !strings.Contains(got, "書き換え・抜けはありません") {
		t.Errorf("audit: %q", got)
	}
	shot(t, b, "audit")

	b.Do(chromedp.Navigate(s.url+"/console/"), chromedp.Click(chromedp.CSS("#lang")), chromedp.WaitVisible(chromedp.CSS("#kiosk-K02")))
	if got := text("h1"); got != "Kiosks" {
		t.Errorf("after the language switch: %q", got)
	}
	shot(t, b, "kiosks-en")

	_, k01Cert, k01Key := s.issue("K01")
	kb := browsertest.New(t, browsertest.Options{CAFile: s.caPE, CertFile: k01Cert, KeyFile: k01Key})
	kb.Do(chromedp.Navigate(s.url + "/console/"))
	if got := browsertest.Get(kb, chromedp.Text(chromedp.CSS("#denied"))); !strings.Contains(got, "職員用の証明書") {
		t.Errorf("kiosk certificate: %q", got)
	}
	shot(t, kb, "denied")
}
