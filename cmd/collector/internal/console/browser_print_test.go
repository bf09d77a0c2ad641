package console

import (
	"bytes"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/villagehall/kiosk/cmd/collector/internal/browsertest"
)

// The print views printed to PDF by Chromium, as the browser's Print does:
// one A4 page each, the words staff need and none of the menu or forms; the
// page rendered to PNG (poppler's pdftoppm) is looked at, and is the
// README's picture with -update.
func TestInBrowserPrintViews(t *testing.T) {
	for _, tool := range []string{"pdftoppm", "pdftotext", "pdfinfo"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s missing (apt-get install poppler-utils; .ci/deps does): %v", tool, err)
		}
	}
	st := sampleStore(t)
	s := newSite(t, st, nil, nil)
	_, cert, key := s.issue("staff-mado") // counter staff print too
	b := browsertest.New(t, browsertest.Options{CAFile: s.caPE, CertFile: cert, KeyFile: key})
	tests := []struct {
		name, path string
		want       []string
	}{
		{"print-record", "/console/record/K01/" + jK01 + "/3/print",
			[]string{"利用記録（控え）", "K01-7Q3F-0003", "暗証番号の変更結果が不明", "未対応", "確認者", "印刷：staff-mado"}},
		{"print-followups", "/console/followups/print?day=2026-11-25",
			[]string{"要対応の一覧（2026-11-25）", "全4件、うち未対応4件", "暗証番号ロック（1）", "K01-7Q3F-0004", "受付票が未印刷", "印刷：staff-mado"}},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b.Do(chromedp.Navigate(s.url+tt.path), chromedp.WaitVisible(chromedp.CSS("#paper")))
			pdf := browsertest.Get(b, chromedp.PrintToPDF(chromedp.PDFPreferCSSPageSize()))
			file := filepath.Join(dir, tt.name+".pdf")
			if err := os.WriteFile(file, pdf, 0o644); err != nil {
				t.Fatal(err)
			}
			info := run(t, "pdfinfo", file)
			if !strings.Contains(info, "Pages:           1\n") || !strings.Contains(info, "(A4)") {
				t.Errorf("not one A4 page:\n%s", info)
			}
			txt := run(t, "pdftotext", "-layout", file, "-")
			mustContain(t, tt.name+" PDF text", txt, tt.want...)
			for _, not := range []string{"端末の状態", "対応済みにする", "Ctrl+P", "English"} {
				if strings.Contains(txt, not) {
					t.Errorf("the paper shows %q (menu, form or screen hint)", not)
				}
			}
			run(t, "pdftoppm", "-png", "-r", "60", "-singlefile", file, filepath.Join(dir, tt.name))
			img, err := os.ReadFile(filepath.Join(dir, tt.name+".png"))
			if err != nil {
				t.Fatal(err)
			}
			if inked(t, img) < 0.01 {
				t.Error("the page rendered from the PDF is blank")
			}
			if *update {
				if err := os.WriteFile(filepath.Join("..", "..", "..", "..", "testdata", "console", tt.name+".png"), img, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
	if a := actions(t, st); !strings.Contains(a, "view_record view_followups") {
		t.Errorf("printing is not audited: %q", a)
	}
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// inked is the share of the page's pixels that are not near white.
func inked(t *testing.T, b []byte) float64 {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	r := img.Bounds()
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if cr, cg, cb, _ := img.At(x, y).RGBA(); cr < 0xd000 || cg < 0xd000 || cb < 0xd000 {
				n++
			}
		}
	}
	return float64(n) / float64(r.Dx()*r.Dy())
}
