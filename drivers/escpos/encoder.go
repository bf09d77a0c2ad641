// Package escpos drives an ESC/POS receipt printer: an encoder for the few
// commands the kiosk needs, a slip layout, a device writer with real-time
// status, a file printer for simulation, and a decoder that renders the
// exact bytes we emit back to text and PNG for golden tests.
//
// Japanese text goes out in kanji mode as Shift_JIS (JIS X 0208 only, since
// that is what printer fonts hold). A line that cannot be encoded, or every
// non-ASCII line on a printer without kanji mode, is drawn with a CJK font
// and sent as a GS v 0 raster image. The font is IPA Gothic from the Debian
// package fonts-ipafont-gothic.
package escpos

import (
	"bytes"
	"fmt"
	"image"
	"strings"

	"golang.org/x/text/encoding/japanese"
)

// Width is the printable width of the paper in dots (203 dpi).
type Width int

const (
	Width58 Width = 384 // 58 mm paper: 32 half-width columns of font A
	Width80 Width = 576 // 80 mm paper: 48 half-width columns
)

// Font A cell size in dots: a half-width character is 12×24, a kanji 24×24.
const (
	cellW      = 12
	cellH      = 24
	lineGap    = 6 // default line spacing (30 dots) minus the glyph height
	lineHeight = cellH + lineGap
)

// Cols is the number of half-width columns on one line at normal size.
func (w Width) Cols() int { return int(w) / cellW }

// Bytes is the width of one raster row in bytes.
func (w Width) Bytes() int { return int(w) / 8 }

// Align is an ESC a justification.
type Align byte

const (
	Left   Align = 0
	Center Align = 1
	Right  Align = 2
)

// Command bytes, named so the encoder and decoder cannot drift apart.
const (
	esc = 0x1b
	gs  = 0x1d
	fs  = 0x1c
	dle = 0x10
	eot = 0x04
	lf  = 0x0a
)

// Encoder accumulates ESC/POS bytes. It is not safe for concurrent use.
type Encoder struct {
	buf bytes.Buffer
}

// Bytes returns the encoded stream.
func (e *Encoder) Bytes() []byte { return e.buf.Bytes() }

// Init emits ESC @: reset modes, code page and kanji mode.
func (e *Encoder) Init() { e.buf.Write([]byte{esc, '@'}) }

// SelectShiftJIS emits FS C 1 so two-byte codes are read as Shift_JIS.
func (e *Encoder) SelectShiftJIS() { e.buf.Write([]byte{fs, 'C', 1}) }

// Align emits ESC a n.
func (e *Encoder) Align(a Align) { e.buf.Write([]byte{esc, 'a', byte(a)}) }

// Emphasis emits ESC E n.
func (e *Encoder) Emphasis(on bool) { e.buf.Write([]byte{esc, 'E', b2i(on)}) }

// Size emits GS ! n with width and height multipliers 1..8.
func (e *Encoder) Size(w, h int) {
	w, h = clamp(w, 1, 8), clamp(h, 1, 8)
	e.buf.Write([]byte{gs, '!', byte((w-1)<<4 | (h - 1))})
}

// ASCIILine prints printable ASCII and a line feed. Control bytes are
// dropped so text can never contain a real-time command such as DLE EOT.
func (e *Encoder) ASCIILine(s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x20 && c < 0x7f {
			e.buf.WriteByte(c)
		}
	}
	e.buf.WriteByte(lf)
}

// KanjiLine prints already-encoded Shift_JIS bytes between FS & and FS .
// and a line feed. Shift_JIS never contains bytes below 0x20 in valid
// text, which EncodeSJIS guarantees.
func (e *Encoder) KanjiLine(sjis []byte) {
	e.buf.Write([]byte{fs, '&'})
	e.buf.Write(sjis)
	e.buf.Write([]byte{fs, '.', lf})
}

// Feed emits ESC d n: print and feed n lines.
func (e *Encoder) Feed(n int) { e.buf.Write([]byte{esc, 'd', byte(clamp(n, 0, 255))}) }

// Cut emits GS V 66 n: feed to the cutter plus n units, then partial cut.
func (e *Encoder) Cut(n int) { e.buf.Write([]byte{gs, 'V', 66, byte(clamp(n, 0, 255))}) }

// QR stores data in the printer's QR symbol buffer (model 2, error level M)
// and prints it with the given module size in dots (GS ( k).
func (e *Encoder) QR(data string, module int) {
	d := []byte(sanitizeASCII(data))
	e.buf.Write([]byte{gs, '(', 'k', 4, 0, '1', 'A', '2', 0})                     // model 2
	e.buf.Write([]byte{gs, '(', 'k', 3, 0, '1', 'C', byte(clamp(module, 1, 16))}) // module size
	e.buf.Write([]byte{gs, '(', 'k', 3, 0, '1', 'E', '1'})                        // error correction M
	n := len(d) + 3
	e.buf.Write([]byte{gs, '(', 'k', byte(n), byte(n >> 8), '1', 'P', '0'})
	e.buf.Write(d)
	e.buf.Write([]byte{gs, '(', 'k', 3, 0, '1', 'Q', '0'}) // print
}

// Raster emits GS v 0 for a 1-bit image: set bits are black, MSB is the
// left pixel. Byte pairs that a printer could mistake for a real-time
// command (DLE EOT / DLE ENQ / DLE DC4) are broken by clearing the single
// DLE byte's pixel: one white dot is invisible, a spurious status answer
// or printer reset is not. The header gets the same treatment by padding
// the height with a blank row.
func (e *Encoder) Raster(b *Bitmap) {
	if b == nil || b.H == 0 || b.Stride == 0 {
		return
	}
	data := append([]byte(nil), b.Pix...)
	h := b.H
	if byte(h) == dle { // yL = DLE would be followed by yH
		data = append(data, make([]byte, b.Stride)...)
		h++
	}
	breakRealtime(data)
	e.buf.Write([]byte{gs, 'v', '0', 0, byte(b.Stride), byte(b.Stride >> 8), byte(h), byte(h >> 8)})
	e.buf.Write(data)
}

// breakRealtime rewrites DLE followed by EOT, ENQ or DC4 in raster data.
func breakRealtime(data []byte) {
	for i := 0; i+1 < len(data); i++ {
		if data[i] == dle {
			switch data[i+1] {
			case eot, 0x05, 0x14:
				data[i] = 0
			}
		}
	}
}

// EncodeSJIS encodes s as Shift_JIS restricted to ASCII, half-width katakana
// and JIS X 0208 (rows 1–8 and 16–84). golang.org/x/text also maps the
// Windows-31J extensions (①, ㈱, IBM kanji), which printer fonts lack, so
// those are rejected here. Dashes and wave dashes are first brought to
// their JIS X 0208 positions (see JISForm). ok is false when any rune
// does not fit.
func EncodeSJIS(s string) (b []byte, ok bool) {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return nil, false
		}
	}
	out, err := japanese.ShiftJIS.NewEncoder().Bytes([]byte(JISForm(s)))
	if err != nil {
		return nil, false
	}
	for i := 0; i < len(out); i++ {
		c := out[i]
		switch {
		case c < 0x80 || (c >= 0xa1 && c <= 0xdf):
			continue
		case (c >= 0x81 && c <= 0x84) || (c >= 0x88 && c <= 0x9f) || (c >= 0xe0 && c <= 0xea):
			i++ // trail byte 0x40..0xfc, never a control byte
		default:
			return nil, false
		}
	}
	return out, true
}

// JISForm rewrites the dashes, wave dashes and a few symbols that Japanese
// text carries in several Unicode spellings to the one golang.org/x/text's
// Shift_JIS encoder (the Windows-31J table) accepts for the same JIS X 0208
// cell. JIS X 0208 itself (and the Unicode consortium's SHIFTJIS.TXT) puts
// U+301C WAVE DASH at 0x8160, where Windows-31J has U+FF5E; the kiosk's
// municipal texts use either. Characters with no JIS X 0208 cell of their
// own go to the nearest one, as the Windows best-fit table does (– and ‒
// to the hyphen 0x815D, — to the dash 0x815C). Everything else is kept.
func JISForm(s string) string {
	if isPrintableASCII(s) {
		return s
	}
	return strings.Map(jisRune, s)
}

func jisRune(r rune) rune {
	switch r {
	case '\u301c', '\u223c', '\u3030', '\u2053': // 〜 ∼ 〰 ⁓ → ～ 0x8160
		return '\uff5e'
	case '\u2011', '\u2012', '\u2013', '\u2043': // non-breaking hyphen, figure dash, – , ⁃ → ‐ 0x815D
		return '\u2010'
	case '\u2014', '\u2e3a': // — ⸺ → ― 0x815C
		return '\u2015'
	case '\u2212', '\ufe63': // − ﹣ → － 0x817C
		return '\uff0d'
	case '\u2016': // ‖ → ∥ 0x8161
		return '\u2225'
	case '\u00a2': // ¢ → ￠ 0x8191
		return '\uffe0'
	case '\u00a3': // £ → ￡ 0x8192
		return '\uffe1'
	case '\u00ac': // ¬ → ￢ 0x81CA
		return '\uffe2'
	}
	return r
}

// Bitmap is a 1-bit image in the printer's raster layout.
type Bitmap struct {
	W, H, Stride int
	Pix          []byte
}

// NewBitmap allocates a white bitmap.
func NewBitmap(w, h int) *Bitmap {
	stride := (w + 7) / 8
	return &Bitmap{W: stride * 8, H: h, Stride: stride, Pix: make([]byte, stride*h)}
}

// Set blackens the dot at x, y.
func (b *Bitmap) Set(x, y int) {
	if x < 0 || y < 0 || x >= b.W || y >= b.H {
		return
	}
	b.Pix[y*b.Stride+x/8] |= 0x80 >> (x % 8)
}

// At reports whether the dot at x, y is black.
func (b *Bitmap) At(x, y int) bool {
	if x < 0 || y < 0 || x >= b.W || y >= b.H {
		return false
	}
	return b.Pix[y*b.Stride+x/8]&(0x80>>(x%8)) != 0
}

// FromImage thresholds img (dark = black) into a bitmap.
func FromImage(img image.Image) *Bitmap {
	r := img.Bounds()
	b := NewBitmap(r.Dx(), r.Dy())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, ca := img.At(x, y).RGBA()
			lum := (299*cr + 587*cg + 114*cb) / 1000
			if ca > 0x8000 && lum < 0x8000 {
				b.Set(x-r.Min.X, y-r.Min.Y)
			}
		}
	}
	return b
}

func sanitizeASCII(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x20 && c < 0x7f {
			out = append(out, c)
		}
	}
	return string(out)
}

func b2i(b bool) byte {
	if b {
		return 1
	}
	return 0
}

func clamp(v, lo, hi int) int {
	return max(lo, min(v, hi))
}

// errAt formats a decoder error with its byte offset.
func errAt(off int, format string, args ...any) error {
	return fmt.Errorf("escpos: offset %d: "+format, append([]any{off}, args...)...)
}
