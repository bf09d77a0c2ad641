package main

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/villagehall/kiosk/cmd/collector/internal/browsertest"
	"github.com/villagehall/kiosk/cmd/collector/internal/pgtest"
	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// The staff console as shipped: the collector binary on PostgreSQL, a
// kiosk's journal carried on a "USB stick" by the kioskctl binary, and a
// member of staff in Chromium with a staff certificate from
// `collector gen-test-pki`. The export goes in through the browser, the
// reference on the resident's slip finds the visit, its follow-up is
// marked, the CSV comes down as Excel wants it. Then `collector migrate`
// moves a bbolt store into PostgreSQL and the console shows it.
func TestConsoleWholeProgram(t *testing.T) {
	pg, err := pgtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := pg.Stop(); err != nil {
			t.Error(err)
		}
	})
	dir := t.TempDir()
	pkiDir := filepath.Join(dir, "pki")
	if out, err := runBin(t, "collector", "gen-test-pki", pkiDir, "K05", "staff-tanaka"); err != nil {
		t.Fatalf("gen-test-pki: %v\n%s", err, out)
	}
	pem := func(name string) string { return filepath.Join(pkiDir, name+".pem") }

	// The kiosk's journal: a visit whose PIN change had no answer.
	db := filepath.Join(dir, "journal.db")
	j, err := journal.Open(db, journal.Options{KioskID: "K05"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	now := time.Now()
	var visit kiosk.Record
	for i, r := range []kiosk.Record{
		{Kind: kiosk.TxStatus, Outcome: kiosk.OutcomeOK, Card: kiosk.CardMyNumber, Status: "valid"},
		{Kind: kiosk.TxChangeSign, Outcome: kiosk.OutcomeUnknown, Card: kiosk.CardMyNumber, Status: "pin_change_unknown"},
		{Kind: kiosk.TxStatus, Outcome: kiosk.OutcomeOK, Card: kiosk.CardMyNumber, Status: "expired"},
	} {
		r.Time, r.ClockTrusted = now.Add(time.Duration(i)*time.Second), true
		stored, err := j.Append(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		if r.Kind == kiosk.TxChangeSign {
			visit = stored
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	usb := filepath.Join(dir, "usb", "kiosk-K05")
	if out, err := runBin(t, "kioskctl", "journal", "export", "--db", db, "--to", usb,
		"--cert", pem("client-K05"), "--key", filepath.Join(pkiDir, "client-K05-key.pem")); err != nil {
		t.Fatalf("kioskctl journal export: %v\n%s", err, out)
	}

	logf, err := os.Create(filepath.Join(dir, "collector.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	c := &collectorProc{t: t, addr: freePort(t), log: logf, args: []string{"--ca", pem("ca"), "--cert", pem("server"),
		"--key", filepath.Join(pkiDir, "server-key.pem"), "--store", pg.DSN("postgres"), "--admins", "staff-tanaka"}}
	c.start()
	t.Cleanup(c.stop)
	base := "https://" + c.addr + "/console/"

	b := browsertest.New(t, browsertest.Options{CAFile: pem("ca"), CertFile: pem("client-staff-tanaka"), KeyFile: filepath.Join(pkiDir, "client-staff-tanaka-key.pem")})
	text := func(sel string) string { t.Helper(); return browsertest.Get(b, chromedp.Text(chromedp.CSS(sel))) }
	b.Do(chromedp.Navigate(base+"import"),
		chromedp.SetUploadFiles(chromedp.CSS("#files"), []string{filepath.Join(usb, ksync.ExportRecords), filepath.Join(usb, ksync.ExportManifest)}),
		chromedp.Click(chromedp.CSS("#import")),
		chromedp.WaitVisible(chromedp.CSS("#import-result, #import-error")))
	if got := text("main"); !strings.Contains(got, "取り込みました：端末 K05、記録 4件（新しく届いたもの 4件") {
		data, _ := os.ReadFile(logf.Name())
		t.Fatalf("import through the console: %q\n%s", got, data)
	}

	ref := kiosk.ReferenceOf(visit)
	b.Do(chromedp.Navigate(base+"find"), chromedp.SendKeys(chromedp.CSS("#ref"), strings.ToLower(ref)),
		chromedp.Click(chromedp.CSS("#ref-search")), chromedp.WaitVisible(chromedp.CSS("#reference")))
	if got := text("#reference"); got != ref {
		t.Fatalf("the slip's reference %s opened %q", ref, got)
	}
	b.Do(chromedp.Click(chromedp.CSS(".mark-button")), chromedp.WaitVisible(chromedp.CSS("#handled")))
	if got := text("#handled"); !strings.Contains(got, "staff-tanaka") {
		t.Errorf("after the mark: %q", got)
	}

	day := now.In(time.FixedZone("JST", 9*3600)).Format("2006-01-02")
	b.Do(chromedp.Navigate(base+"export"), chromedp.SetValue(chromedp.CSS("input[name=from]"), day), chromedp.SetValue(chromedp.CSS("input[name=to]"), day))
	name, data := b.Download(chromedp.Click(chromedp.CSS("#download")))
	body, ok := strings.CutPrefix(string(data), "\ufeff")
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if !ok || err != nil || !strings.HasSuffix(name, ".csv") || strings.Count(body, "\r\n") != 5 || rows[0][0] != "受付番号" || len(rows) != 5 {
		t.Fatalf("CSV %s: BOM %v, %v, %q", name, ok, err, body)
	}
	found := false
	for _, r := range rows {
		found = found || (r[0] == ref && r[5] == "暗証番号の変更（署名用・英数字）" && r[6] == "結果不明")
	}
	if !found {
		t.Errorf("the visit is not in the CSV as Excel shows it: %q", rows)
	}
	c.stop()

	// A town hall that started on bbolt moves to PostgreSQL.
	data2 := filepath.Join(dir, "bolt")
	if out, err := runBin(t, "collector", "import", "--data", data2, "--ca", pem("ca"), usb); err != nil {
		t.Fatalf("import into bbolt: %v\n%s", err, out)
	}
	pg2 := pg.NewSchema(t)
	out, err := runBin(t, "collector", "migrate", "--data", data2, "--to", pg2)
	if err != nil || !strings.Contains(out, "migrated and checked: 1 kiosks, 1 journals, 4 records") {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	c2 := &collectorProc{t: t, addr: freePort(t), log: logf, args: []string{"--ca", pem("ca"), "--cert", pem("server"),
		"--key", filepath.Join(pkiDir, "server-key.pem"), "--store", pg2}}
	c2.start()
	t.Cleanup(c2.stop)
	b.Do(chromedp.Navigate("https://"+c2.addr+"/console/find?ref="+ref), chromedp.WaitVisible(chromedp.CSS("#reference")))
	if got := text("#reference"); got != ref {
		t.Errorf("after the migration the reference opens %q", got)
	}
}
