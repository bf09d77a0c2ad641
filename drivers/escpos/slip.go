package escpos

import (
	"fmt"
	"image/color"
	"strings"
	"time"

	"github.com/boombuler/barcode/qr"

	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/linebreak"
)

// Layout turns a kiosk.Slip into ESC/POS bytes for one printer model.
type Layout struct {
	Width Width
	// Kanji: the printer has Japanese fonts (FS C 1, FS &). Without it every
	// non-ASCII line is printed as a raster image.
	Kanji bool
	// NativeQR: the printer understands GS ( k; otherwise the QR code is
	// drawn and sent as a raster image.
	NativeQR bool
	// Font draws raster lines; nil prints boxes for non-ASCII characters.
	Font *Font
}

// qrModule is the QR module size in dots: about 0.6 mm at 203 dpi, large
// enough for the counter's handheld scanner.
const qrModule = 6

// RenderSlip lays out s for the given paper width. kanji selects kanji mode
// and the printer's own QR command; without it Japanese lines and the QR
// code are sent as raster images drawn with DefaultFont.
func RenderSlip(s kiosk.Slip, width Width, kanji bool) []byte {
	return Layout{Width: width, Kanji: kanji, NativeQR: kanji, Font: DefaultFont()}.Render(s)
}

// Render lays out the slip: office, date and time (Japan), then each
// section — title JA + EN, what it means in Japanese and in English, what
// to bring — then counter/phone/hours, the reference as text and QR code,
// feed and cut.
func (l Layout) Render(s kiosk.Slip) []byte {
	if l.Width != Width58 && l.Width != Width80 {
		l.Width = Width58
	}
	w := &writer{l: l}
	w.e.Init()
	if l.Kanji {
		w.e.SelectShiftJIS()
	}
	rule := strings.Repeat("-", l.Width.Cols())

	w.text(s.Office, Center, true, 1)
	if !s.Time.IsZero() {
		w.text(FormatTimeJA(s.Time), Center, false, 1)
	}
	for _, sec := range s.Sections {
		w.text(rule, Left, false, 1)
		w.text(sec.TitleJA, Center, true, 2)
		w.text(sec.TitleEN, Center, true, 1)
		w.blank()
		for _, t := range sec.LinesJA {
			w.text(t, Left, false, 1)
		}
		if len(sec.LinesJA) > 0 && len(sec.LinesEN) > 0 {
			w.blank()
		}
		for _, t := range sec.LinesEN {
			w.text(t, Left, false, 1)
		}
		if len(sec.BringJA) > 0 {
			w.blank()
			w.text("持ち物 / Please bring", Left, true, 1)
			for i, t := range sec.BringJA {
				w.hanging("・", t)
				if i < len(sec.BringEN) {
					w.hanging("  ", sec.BringEN[i])
				}
			}
		}
	}
	w.text(rule, Left, false, 1)
	w.text(s.WhoseJA, Left, true, 1)
	w.text(s.WhoseEN, Left, false, 1)
	w.labelled("窓口 Counter", s.Counter)
	w.labelled("電話 Phone", s.Phone)
	w.labelled("窓口の時間 Hours", s.Hours)
	if s.OtherTownJA != "" {
		w.blank()
		w.text(s.OtherTownJA, Left, false, 1)
		w.text(s.OtherTownEN, Left, false, 1)
	}
	if s.Reference != "" {
		w.text(rule, Left, false, 1)
		w.text("受付番号 / Reference", Center, false, 1)
		w.text(s.Reference, Center, true, 2)
		w.qr(s.Reference)
	}
	w.setStyle(Left, false, 1)
	w.e.Feed(2)
	w.e.Cut(3)
	return w.e.Bytes()
}

// FormatTimeJA formats t in Japan time, e.g. 2025年4月1日(火) 14:05.
func FormatTimeJA(t time.Time) string {
	t = t.In(kiosk.JST())
	wd := []string{"日", "月", "火", "水", "木", "金", "土"}[t.Weekday()]
	return fmt.Sprintf("%d年%d月%d日(%s) %02d:%02d", t.Year(), t.Month(), t.Day(), wd, t.Hour(), t.Minute())
}

// writer tracks the printer's current style so each command is sent only
// when it changes.
type writer struct {
	l     Layout
	e     Encoder
	align Align
	bold  bool
	size  int
	init  bool
}

func (w *writer) setStyle(a Align, bold bool, size int) {
	if !w.init || a != w.align {
		w.e.Align(a)
	}
	if !w.init || bold != w.bold {
		w.e.Emphasis(bold)
	}
	if !w.init || size != w.size {
		w.e.Size(size, size)
	}
	w.align, w.bold, w.size, w.init = a, bold, size, true
}

func (w *writer) blank() {
	w.setStyle(w.align, false, 1)
	w.e.ASCIILine("")
}

func (w *writer) text(s string, a Align, bold bool, size int) {
	if strings.TrimSpace(s) == "" {
		return
	}
	if size > 1 && linebreak.Width(s, cells)*size > w.l.Width.Cols() {
		size = 1 // a heading split over lines reads worse than a smaller one
	}
	w.setStyle(a, bold, size)
	for _, line := range wrap(s, w.l.Width.Cols()/size) {
		w.line(line, a, bold, size)
	}
}

// hanging prints s after first (two pitches wide) with the wrapped lines
// indented to match: a bullet "・", or "  " for the English under it.
func (w *writer) hanging(first, s string) {
	w.setStyle(Left, false, 1)
	for i, line := range wrap(s, w.l.Width.Cols()-2) {
		if i == 0 {
			w.line(first+line, Left, false, 1)
		} else {
			w.line("  "+line, Left, false, 1)
		}
	}
}

func (w *writer) labelled(label, value string) {
	if strings.TrimSpace(value) == "" {
		return
	}
	w.text(label+": "+value, Left, false, 1)
}

// line emits one already-wrapped line as ASCII, kanji or raster.
func (w *writer) line(s string, a Align, bold bool, size int) {
	if isPrintableASCII(s) {
		w.e.ASCIILine(s)
		return
	}
	if w.l.Kanji {
		if b, ok := EncodeSJIS(s); ok {
			w.e.KanjiLine(b)
			return
		}
	}
	lb := w.l.Font.lineBitmap(s, bold)
	// Never clip: a line wider than the paper must show in the bytes,
	// where the decoder and the tests see it, not vanish off the edge.
	page := NewBitmap(max(int(w.l.Width), lb.W*size), cellH*size+lineGap)
	x := 0
	switch a {
	case Center:
		x = (page.W - lb.W*size) / 2
	case Right:
		x = page.W - lb.W*size
	}
	blit(page, lb, max(x, 0), 0, size, size)
	w.e.Raster(page)
}

func (w *writer) qr(data string) {
	w.setStyle(Center, false, 1)
	if w.l.NativeQR {
		w.e.QR(data, qrModule)
		w.e.ASCIILine("")
		return
	}
	if b := QRBitmap(data, qrModule, int(w.l.Width)); b != nil {
		w.e.Raster(b)
	}
}

// QRBitmap draws data as a model 2 QR code, error level M, with module
// size mod dots, centred on a page width wide with a two-module margin
// above and below. It returns nil if the data cannot be encoded.
func QRBitmap(data string, mod, width int) *Bitmap {
	code, err := qr.Encode(data, qr.M, qr.Auto)
	if err != nil {
		return nil
	}
	n := code.Bounds().Dx()
	if n*mod > width {
		mod = max(width/n, 1)
	}
	b := NewBitmap(width, (n+4)*mod)
	x0 := (width - n*mod) / 2
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			if isDark(code.At(x, y)) {
				for dy := 0; dy < mod; dy++ {
					for dx := 0; dx < mod; dx++ {
						b.Set(x0+x*mod+dx, (y+2)*mod+dy)
					}
				}
			}
		}
	}
	return b
}

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// cells measures a grapheme the way the printer lays it out, in half-width
// pitches (12 dots): a Shift_JIS byte each in kanji mode, the font's cell
// width in a raster line. The larger of the two is taken, so a line that
// fits fits either way.
func cells(g string) int {
	n := 0
	for _, r := range g {
		n += runeCells(r)
	}
	if b, ok := EncodeSJIS(g); ok {
		n = max(n, len(b))
	}
	return n
}

// wrap breaks s into printed lines of at most cols pitches with the
// kiosk's one line breaker (the screens use the same).
func wrap(s string, cols int) []string { return linebreak.Lines(s, cols, cells) }

func isDark(c color.Color) bool {
	r, g, b, _ := c.RGBA()
	return r+g+b < 3*0x8000
}
