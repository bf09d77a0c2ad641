package console

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/villagehall/kiosk/cmd/collector/internal/importer"
	"github.com/villagehall/kiosk/cmd/collector/internal/store"
)

// Every action the audit log can hold is said in Japanese on the Japanese
// audit page (an untranslated one shows its code, e.g. "api_records").
func TestEveryAuditActionHasWords(t *testing.T) {
	for _, a := range []string{store.ActViewKiosks, store.ActViewKiosk, store.ActSearch, store.ActViewRecord, store.ActViewFollowUp,
		store.ActMark, store.ActExport, store.ActImport, store.ActImported, store.ActImportFailed, store.ActViewAudit, store.ActDenied,
		store.ActRevoked, store.ActDeniedRole, store.ActAPIRecords, store.ActAPIKiosks, store.ActAPILookup, store.ActAPIImport} {
		if got := label(LangJA, "act.", a); got == a || !hasJapanese(got) {
			t.Errorf("action %s on the Japanese page: %q", a, got)
		}
	}
}

// Every input mistake and import refusal is said in Japanese and in
// English, and the two differ (no English left on the Japanese page).
func TestInputWordsInBothLanguages(t *testing.T) {
	for _, m := range []map[string]msg{inputWords, importerWords} {
		for k, w := range m {
			if !hasJapanese(w.in(LangJA)) || w.in(LangEN) == "" || hasJapanese(w.in(LangEN)) {
				t.Errorf("%s: %q / %q", k, w.in(LangJA), w.in(LangEN))
			}
		}
	}
}

// The importer's reason keeps the file's name and loses the server's
// temporary folder; the page says what happened in Japanese first.
func TestImportRefusalNamesNoServerPath(t *testing.T) {
	st := sampleStore(t)
	imp := &pathImporter{}
	s := newSite(t, st, nil, imp)
	code, body := upload(t, s, part{"files", "records.jsonl", "x"})
	if code != 422 || imp.dir == "" {
		t.Fatalf("%d (importer saw %q)\n%s", code, imp.dir, body)
	}
	if strings.Contains(body, imp.dir) || strings.Contains(body, "console-import-") {
		t.Errorf("the page shows the server's temporary folder %s", imp.dir)
	}
	mustContain(t, "refusal", body, "書き出しの内容を確かめられなかったため", "open manifest.json")
	es, _ := st.Audit(t.Context(), 0, 0)
	for _, e := range es {
		if strings.Contains(e.Detail, imp.dir) {
			t.Errorf("the audit log keeps the temporary folder: %s", e.Detail)
		}
	}
}

// pathImporter fails as a real one does on a folder without a manifest.
type pathImporter struct{ dir string }

func hasJapanese(s string) bool {
	for _, r := range s {
		if r >= 0x3040 && r <= 0x9fff || r >= 0xff00 && r <= 0xffef {
			return true
		}
	}
	return false
}

func (p *pathImporter) Import(ctx context.Context, dir string) (importer.Result, error) {
	p.dir = dir
	return importer.Result{}, fmt.Errorf("read manifest: open %s: no such file or directory", filepath.Join(dir, "manifest.json"))
}
