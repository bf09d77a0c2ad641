package escpos_test

import (
	"io"
	"strings"
	"testing"

	"github.com/villagehall/kiosk/drivers/escpos"
)

// FuzzDecode: whatever bytes reach the decoder (the simulated printer's
// and the receipt preview's input), it either fails with an offset-tagged
// error or returns a document that fits the paper, whose page is no
// longer than MaxPaperDots, and that Text, Render and WritePNG turn into
// a slip without panicking. Seeds are real slips.
func FuzzDecode(f *testing.F) {
	f.Add([]byte("\x1b@\x1ba\x01hello\n\x1dV\x42\x03"), false)
	f.Add([]byte("\x1b@\x1cC\x01\x1c&\x82\xa0\n\x1c."), true)
	// Glyphs come from basicfont (a nil font): drawing with the Japanese
	// font is no parsing and would slow the fuzzer tenfold.
	var font *escpos.Font
	f.Fuzz(func(t *testing.T, b []byte, wide bool) {
		width := escpos.Width58
		if wide {
			width = escpos.Width80
		}
		doc, err := escpos.Decode(b, width)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "escpos: offset ") {
				t.Fatalf("error %q does not say where", err)
			}
			return
		}
		for i, bl := range doc.Blocks {
			switch {
			case bl.Kind == escpos.TextBlock && bl.Dots > int(width):
				t.Fatalf("block %d: text %d dots wide on %d-dot paper", i, bl.Dots, width)
			case bl.Kind == escpos.RasterBlock && bl.Bitmap.W > int(width):
				t.Fatalf("block %d: image %d dots wide on %d-dot paper", i, bl.Bitmap.W, width)
			}
		}
		_ = doc.Text()
		// Drawing costs a hundred times the decoding: short documents
		// are drawn (and PNG-encoded when slip-sized), so the fuzzer
		// spends its time in the parser and still reaches the drawing.
		if len(doc.Blocks) > 16 {
			return
		}
		page := doc.Render(font)
		if page.W != int(width) || page.H > escpos.MaxPaperDots {
			t.Fatalf("page %d×%d dots for %d-dot paper", page.W, page.H, width)
		}
		if page.H <= 4000 {
			if err := doc.WritePNG(io.Discard, font); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// TestDecodeRefusesEndlessPaper: a few bytes asking for metres of paper
// are refused before anything is drawn; the longest real slip is far
// inside the bound.
func TestDecodeRefusesEndlessPaper(t *testing.T) {
	feeds := []byte("\x1b@")
	for range 10 {
		feeds = append(feeds, 0x1b, 'd', 0xff) // 255 lines, 7,650 dots each time
	}
	if _, err := escpos.Decode(feeds, escpos.Width80); err == nil || !strings.Contains(err.Error(), "dots of paper") {
		t.Fatalf("30 bytes of feeds: err = %v", err)
	}
	longest := 0
	for _, s := range samples() {
		for _, kanji := range []bool{true, false} {
			doc, err := escpos.Decode(escpos.RenderSlip(s, escpos.Width58, kanji), escpos.Width58)
			if err != nil {
				t.Fatal(err)
			}
			longest = max(longest, doc.Render(escpos.DefaultFont()).H)
		}
	}
	if longest*4 > escpos.MaxPaperDots {
		t.Fatalf("a sample slip is %d dots long: the bound leaves too little room", longest)
	}
	t.Logf("longest sample slip: %d dots (%d mm)", longest, longest/8)
}
