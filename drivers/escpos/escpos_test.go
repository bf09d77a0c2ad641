package escpos_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/drivers/escpos"
	"github.com/villagehall/kiosk/kiosk"
)

// sampleTime is the fixed time printed on the golden slips (Japan time).
var sampleTime = time.Date(2026, 5, 10, 14, 5, 0, 0, kiosk.JST())

// samples are the slips the kiosk prints, worded by its catalogue, for a
// fictional office.
func samples() map[string]kiosk.Slip {
	m := kiosk.Municipality{Name: "〇〇村", NameEN: "Sample Village", Office: "住民福祉課", OfficeEN: "Resident Welfare Division",
		Counter: "1番窓口", CounterEN: "Counter 1", Phone: "0000-00-0000", Hours: "平日 8:30〜17:15", HoursEN: "Weekdays 8:30-17:15", ETax: true}
	return kiosk.SampleSlips(m, sampleTime)
}

func sample(name string) kiosk.Slip { return samples()[name] }

var update = flag.Bool("update", false, "rewrite the golden slips in testdata/slips")

const goldenDir = "../../testdata/slips"

func TestEncodeSJIS(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"ASCII only 123", true},
		{"〇〇村役場 住民福祉課", true},
		{"ﾊﾝｶｸ", true},
		{"暗証番号（4桁）", true},
		{"平日 8:30〜17:15", true},
		{"6–16 character PIN", true},
		{"①", false},          // NEC row 13: in Windows-31J, not in printer fonts
		{"髙", false},          // IBM extension
		{"😀", false},          // outside Shift_JIS altogether
		{"a\x10\x04b", false}, // a control byte must never reach the printer
	}
	for _, tt := range tests {
		_, ok := escpos.EncodeSJIS(tt.in)
		if ok != tt.ok {
			t.Errorf("EncodeSJIS(%q) ok = %v, want %v", tt.in, ok, tt.ok)
		}
	}
}

// TestJISDashes: each spelling of a dash or wave dash lands on its JIS X
// 0208 cell, the bytes a Shift_JIS printer font holds (0x8160 is the wave
// dash in JIS X 0208 and in Windows-31J alike), and decodes back to it.
func TestJISDashes(t *testing.T) {
	tests := []struct {
		in   string
		sjis []byte
		back string // as the decoder reads the bytes (golang.org/x/text's table)
	}{
		{"〜", []byte{0x81, 0x60}, "〜"}, // U+301C WAVE DASH
		{"～", []byte{0x81, 0x60}, "〜"}, // U+FF5E FULLWIDTH TILDE
		{"∼", []byte{0x81, 0x60}, "〜"}, // U+223C TILDE OPERATOR
		{"〰", []byte{0x81, 0x60}, "〜"}, // U+3030 WAVY DASH: no cell of its own
		{"–", []byte{0x81, 0x5d}, "‐"}, // U+2013 EN DASH → HYPHEN
		{"‒", []byte{0x81, 0x5d}, "‐"}, // U+2012 FIGURE DASH
		{"‐", []byte{0x81, 0x5d}, "‐"}, // U+2010 HYPHEN
		{"—", []byte{0x81, 0x5c}, "―"}, // U+2014 EM DASH → HORIZONTAL BAR
		{"―", []byte{0x81, 0x5c}, "―"}, // U+2015
		{"−", []byte{0x81, 0x7c}, "－"}, // U+2212 MINUS SIGN
		{"‖", []byte{0x81, 0x61}, "∥"}, // U+2016 DOUBLE VERTICAL LINE
		{"¢£¬", []byte{0x81, 0x91, 0x81, 0x92, 0x81, 0xca}, "￠￡￢"},
	}
	for _, tt := range tests {
		b, ok := escpos.EncodeSJIS(tt.in)
		if !ok || !bytes.Equal(b, tt.sjis) {
			t.Errorf("EncodeSJIS(%q) = % x, %v; want % x", tt.in, b, ok, tt.sjis)
			continue
		}
		var e escpos.Encoder
		e.Init()
		e.SelectShiftJIS()
		e.KanjiLine(b)
		doc := mustDecode(t, e.Bytes(), escpos.Width58)
		if got := doc.Blocks[0].Text; got != tt.back {
			t.Errorf("%q decodes as %q, want %q", tt.in, got, tt.back)
		}
		if got, want := doc.Blocks[0].Dots, 12*len(b); got != want {
			t.Errorf("%q is %d dots wide, want %d", tt.in, got, want)
		}
	}
}

// TestDashesStayText: the opening hours (〜, –) and the signing PIN's name
// (6〜16, 6–16) go out as kanji-mode text at both widths, not as images.
func TestDashesStayText(t *testing.T) {
	m := kiosk.Municipality{Name: "〇〇村", Office: "住民福祉課", Counter: "1番窓口", Phone: "0000-00-0000",
		Hours: "平日 8:30〜17:15", HoursEN: "Weekdays 8:30–17:15"}
	slip := kiosk.NewSlip([]kiosk.SlipSection{kiosk.SectionOf(kiosk.Guide(kiosk.CodeSignLocked, kiosk.PINSign, m), nil)}, m, "K01-20250401-0001", sampleTime)
	slip.Sections[0].LinesEN = append(slip.Sections[0].LinesEN, "Your 6–16 character PIN")
	for _, w := range []escpos.Width{escpos.Width58, escpos.Width80} {
		doc := mustDecode(t, escpos.RenderSlip(slip, w, true), w)
		if n := count(doc, escpos.RasterBlock); n != 0 {
			t.Errorf("%d dots: %d lines went out as images:\n%s", w, n, doc.Text())
		}
		text := squash(doc.Text())
		for _, want := range []string{"8:30～17:15", "6～16", "Your6‐16character"} {
			if !strings.Contains(text, want) {
				t.Errorf("%d dots: decoded slip lacks %q:\n%s", w, want, doc.Text())
			}
		}
	}
}

func displayWidth(s string) int {
	b, ok := escpos.EncodeSJIS(s)
	if !ok {
		return len([]rune(s)) * 2
	}
	return len(b) // on the printer a Shift_JIS byte is one half-width cell
}

// slipLines is everything a resident must be able to read on the slip.
func slipLines(s kiosk.Slip) []string {
	out := []string{s.Office, s.Counter, s.Phone, s.Hours, s.Reference}
	for _, sec := range s.Sections {
		out = append(out, sec.TitleJA, sec.TitleEN)
		out = append(out, sec.LinesJA...)
		out = append(out, sec.LinesEN...)
		out = append(out, sec.BringJA...)
		out = append(out, sec.BringEN...)
	}
	return out
}

// squash drops spaces and line breaks, and folds 〜 to ～ (one printer
// code, decoded as the latter).
func squash(s string) string {
	return strings.NewReplacer(" ", "", "\n", "", "\u301c", "\uff5e").Replace(s)
}

func TestRoundTrip(t *testing.T) {
	for _, kind := range kiosk.SampleSlipNames() {
		s := sample(kind)
		for _, w := range []escpos.Width{escpos.Width58, escpos.Width80} {
			doc, err := escpos.Decode(escpos.RenderSlip(s, w, true), w)
			if err != nil {
				t.Fatalf("%s/%d: decode: %v", kind, w, err)
			}
			text := squash(doc.Text())
			for _, line := range slipLines(s) {
				if !strings.Contains(text, squash(line)) {
					t.Errorf("%s/%d: decoded slip lacks %q", kind, w, line)
				}
			}
			if !strings.Contains(doc.Text(), "[QR module=6 "+s.Reference+"]") {
				t.Errorf("%s/%d: no QR code for the reference", kind, w)
			}
			if !strings.Contains(text, squash(escpos.FormatTimeJA(s.Time))) {
				t.Errorf("%s/%d: no date", kind, w)
			}
			for _, bl := range doc.Blocks {
				if bl.Kind == escpos.TextBlock && escposCells(bl) > w.Cols() {
					t.Errorf("%s/%d: line %q overflows", kind, w, bl.Text)
				}
			}
		}
	}
}

func escposCells(bl escpos.Block) int { return displayWidth(bl.Text) * max(bl.Size, 1) }

func TestRasterFallback(t *testing.T) {
	s := sample("pin-changed")
	s.Sections[0].LinesJA = append(s.Sections[0].LinesJA, "丸数字①は印刷できない")

	t.Run("kanji printer rasters only the unencodable line", func(t *testing.T) {
		b := escpos.RenderSlip(s, escpos.Width58, true)
		doc := mustDecode(t, b, escpos.Width58)
		if n := count(doc, escpos.RasterBlock); n != 1 {
			t.Errorf("raster blocks = %d, want 1", n)
		}
		if !strings.Contains(squash(doc.Text()), squash(s.Sections[0].TitleJA)) {
			t.Error("encodable Japanese line was not printed as text")
		}
	})
	t.Run("printer without kanji rasters every Japanese line", func(t *testing.T) {
		b := escpos.RenderSlip(s, escpos.Width58, false)
		if bytes.Contains(b, []byte{0x1c, '&'}) || bytes.Contains(b, []byte{0x1d, '(', 'k'}) {
			t.Error("kanji mode or GS ( k sent to a printer without them")
		}
		doc := mustDecode(t, b, escpos.Width58)
		if !strings.Contains(squash(doc.Text()), squash(s.Sections[0].LinesEN[0])) || !strings.Contains(doc.Text(), s.Reference) {
			t.Error("ASCII lines should stay text")
		}
		if strings.Contains(doc.Text(), "暗証番号") {
			t.Error("Japanese text leaked into an ASCII-only stream")
		}
		if n := count(doc, escpos.RasterBlock); n < len(s.Sections[0].LinesJA)+3 {
			t.Errorf("raster blocks = %d, want at least %d", n, len(s.Sections[0].LinesJA)+3)
		}
	})
}

func count(d *escpos.Doc, k escpos.BlockKind) int {
	n := 0
	for _, b := range d.Blocks {
		if b.Kind == k {
			n++
		}
	}
	return n
}

func mustDecode(t *testing.T, b []byte, w escpos.Width) *escpos.Doc {
	t.Helper()
	d, err := escpos.Decode(b, w)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func hasRealtime(b []byte) int {
	for i := 0; i+1 < len(b); i++ {
		if b[i] == 0x10 && (b[i+1] == 0x04 || b[i+1] == 0x05 || b[i+1] == 0x14) {
			return i
		}
	}
	return -1
}

func TestRasterNeverCarriesRealtimeCommands(t *testing.T) {
	bm := escpos.NewBitmap(64, 16) // height 16 = 0x10: the header itself is a trap
	for i := range bm.Pix {
		bm.Pix[i] = []byte{0x10, 0x04, 0x10, 0x14, 0x10, 0x05, 0x10, 0x01}[i%8]
	}
	var e escpos.Encoder
	e.Raster(bm)
	if i := hasRealtime(e.Bytes()); i >= 0 {
		t.Fatalf("DLE real-time sequence at %d in % x", i, e.Bytes()[:min(len(e.Bytes()), 32)])
	}
	doc := mustDecode(t, e.Bytes(), escpos.Width58)
	if got := doc.Blocks[0].Bitmap.H; got != 17 {
		t.Errorf("height = %d, want 17 (padded past 0x10)", got)
	}

	for kind, s := range samples() {
		for _, kanji := range []bool{true, false} {
			if i := hasRealtime(escpos.RenderSlip(s, escpos.Width80, kanji)); i >= 0 {
				t.Errorf("%s kanji=%v: real-time sequence at offset %d", kind, kanji, i)
			}
		}
	}
}

func TestDecodeRejectsUnknown(t *testing.T) {
	kanji := func(s string) []byte {
		var e escpos.Encoder
		e.SelectShiftJIS()
		b, ok := escpos.EncodeSJIS(s)
		if !ok {
			t.Fatalf("cannot encode %q", s)
		}
		e.KanjiLine(b)
		return e.Bytes()
	}
	tests := map[string][]byte{
		"unknown ESC":        {0x1b, 'z'},
		"control byte":       {0x07, '\n'},
		"truncated raster":   {0x1d, 'v', '0', 0, 1, 0, 5, 0, 0xff},
		"unterminated":       []byte("abc"),
		"kanji without FS C": {0x1c, '&'},
		"bad trail byte":     {0x1c, 'C', 1, 0x1c, '&', 0x88, 0x0a, 0x1c, '.', '\n'},
		// The 58 mm overflow the layout once made: a full-width bracket
		// carried onto a 32-column word, 408 dots on 384-dot paper.
		"408-dot line at 58 mm":          kanji("（https://www.example.lg.jp/hours/"),
		"33 ASCII columns at 58 mm":      []byte(strings.Repeat("x", 33) + "\n"),
		"double size 17 columns at 58mm": append([]byte{0x1d, '!', 0x11}, []byte(strings.Repeat("x", 17)+"\n")...),
		"raster wider than the paper":    append([]byte{0x1d, 'v', '0', 0, 49, 0, 1, 0}, make([]byte, 49)...),
	}
	for name, b := range tests {
		if _, err := escpos.Decode(b, escpos.Width58); err == nil {
			t.Errorf("%s: Decode accepted % x", name, b[:min(len(b), 24)])
		}
	}
	// The same overflowing line fits 80 mm paper, and says how wide it is.
	doc, err := escpos.Decode(kanji("（https://www.example.lg.jp/hours/"), escpos.Width80)
	if err != nil || doc.Blocks[0].Dots != 408 {
		t.Fatalf("at 80 mm: %v, %+v", err, doc)
	}
	_, err = escpos.Decode(kanji("（https://www.example.lg.jp/hours/"), escpos.Width58)
	if err == nil || !strings.Contains(err.Error(), "408 dots wide on 384-dot paper") {
		t.Errorf("overflow error %v does not say how wide", err)
	}
}

// TestGolden compares every sample slip with testdata/slips: text for the
// layout, PNG for what the paper looks like. go test -update rewrites them.
func TestGolden(t *testing.T) {
	font := escpos.DefaultFont()
	type tc struct {
		name  string
		kind  string
		width escpos.Width
		kanji bool
	}
	var cases []tc
	for _, kind := range kiosk.SampleSlipNames() {
		for _, w := range []escpos.Width{escpos.Width58, escpos.Width80} {
			cases = append(cases, tc{kind + "-" + widthName(w), kind, w, true})
		}
	}
	// Printers without kanji mode: everything Japanese is a raster image.
	cases = append(cases, tc{"renewal-58-raster", "renewal", escpos.Width58, false}, tc{"juki-80-raster", "juki", escpos.Width80, false})

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := sample(c.kind)
			l := escpos.Layout{Width: c.width, Kanji: c.kanji, NativeQR: c.kanji, Font: font}
			doc := mustDecode(t, l.Render(s), c.width)
			golden(t, c.name+".txt", []byte(doc.Text()))
			if font == nil {
				t.Skip("no CJK font: apt-get install fonts-ipafont-gothic for PNG goldens")
			}
			var png bytes.Buffer
			if err := doc.WritePNG(&png, font); err != nil {
				t.Fatal(err)
			}
			golden(t, c.name+".png", png.Bytes())
		})
	}
}

func widthName(w escpos.Width) string {
	if w == escpos.Width80 {
		return "80"
	}
	return "58"
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join(goldenDir, name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./drivers/escpos -update)", err)
	}
	if !bytes.Equal(got, want) {
		if strings.HasSuffix(name, ".txt") {
			t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", name, got, want)
		} else {
			out := filepath.Join(t.TempDir(), name)
			_ = os.WriteFile(out, got, 0o644)
			t.Errorf("%s differs; got written to %s", name, out)
		}
	}
}
