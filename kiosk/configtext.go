package kiosk

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// Provisioning files are written by hand on whatever PC the technician has:
// Windows Notepad saves UTF-8 with a byte-order mark and CRLF line ends, or
// (as "ANSI" on a Japanese Windows) Shift-JIS, or (as "Unicode") UTF-16.
// configText takes the first two as they are and names the others with the
// fix, instead of failing on the first byte TOML cannot read.

// saveAsUTF8 is what to do, for the messages below.
const saveAsUTF8 = "save it as UTF-8 (Notepad: File > Save As > Encoding: UTF-8) and check it again"

// configText returns the file's text without a UTF-8 byte-order mark, or a
// *ConfigError that names the encoding found and how to fix it. CRLF line
// ends are left to the TOML decoder, which reads them as newlines.
func configText(name string, data []byte) (string, error) {
	data = bytes.TrimPrefix(data, []byte{0xEF, 0xBB, 0xBF})
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		return "", &ConfigError{File: name, Msg: "the file is saved as UTF-16 (\"Unicode\"): " + saveAsUTF8}
	}
	if utf8.Valid(data) {
		return string(data), nil
	}
	line := 1 + bytes.Count(data[:firstInvalidUTF8(data)], []byte{'\n'})
	if isShiftJIS(data) {
		return "", &ConfigError{File: name, Line: line,
			Msg: "the file is saved as Shift-JIS (\"ANSI\" on a Japanese Windows), not UTF-8: " + saveAsUTF8}
	}
	i := firstInvalidUTF8(data)
	return "", &ConfigError{File: name, Line: line,
		Msg: fmt.Sprintf("not UTF-8 text (byte 0x%02X at offset %d): %s", data[i], i, saveAsUTF8)}
}

func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// isShiftJIS reports whether b is well-formed Shift-JIS (CP932) with at
// least one double-byte character: ASCII, half-width katakana (A1–DF), and
// lead bytes 81–9F or E0–FC each followed by a trail byte 40–7E or 80–FC.
func isShiftJIS(b []byte) bool {
	double := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c < 0x80, c >= 0xA1 && c <= 0xDF:
		case c >= 0x81 && c <= 0x9F, c >= 0xE0 && c <= 0xFC:
			if i+1 >= len(b) {
				return false
			}
			t := b[i+1]
			if t < 0x40 || t == 0x7F || t > 0xFC {
				return false
			}
			i++
			double = true
		default:
			return false
		}
	}
	return double
}
