package kiosk_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf16"

	"golang.org/x/text/encoding/japanese"

	"github.com/villagehall/kiosk/kiosk"
)

// A provisioning file as Windows Notepad saves it, in each of its encodings:
// UTF-8 with or without a byte-order mark and with CRLF reads as the same
// configuration; Shift-JIS and UTF-16 are named, with the fix.
func TestConfigEncodings(t *testing.T) {
	crlf := strings.ReplaceAll(base, "\n", "\r\n")
	// Windows' Shift-JIS (CP932) writes 〜 as U+FF5E's code.
	sjis, err := japanese.ShiftJIS.NewEncoder().String(strings.ReplaceAll(base, "〜", "～"))
	if err != nil {
		t.Fatalf("encode Shift-JIS: %v", err)
	}
	u16 := []byte{0xFF, 0xFE}
	for _, c := range utf16.Encode([]rune(base)) {
		u16 = append(u16, byte(c), byte(c>>8))
	}
	tests := []struct {
		name     string
		data     string
		wantLine int      // of the error; 0: none expected, or no line
		want     []string // substrings of the error; none: valid
	}{
		{"utf-8", base, 0, nil},
		{"utf-8 with BOM", "\xEF\xBB\xBF" + base, 0, nil},
		{"utf-8 with BOM and CRLF", "\xEF\xBB\xBF" + crlf, 0, nil},
		{"CRLF", crlf, 0, nil},
		// the first kanji of base is on line 4 (name = "〇〇村")
		{"shift-jis", sjis, 4, []string{"Shift-JIS", "save it as UTF-8", "Encoding: UTF-8"}},
		{"utf-16", string(u16), 0, []string{"UTF-16", "save it as UTF-8"}},
		{"latin-1", "kiosk_id = \"K01\"\n# caf\xE9 \xFF\n", 2, []string{"not UTF-8", "0xE9", "save it as UTF-8"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := kiosk.ParseConfig("kiosk-provision.toml", []byte(tt.data))
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("ParseConfig: %v", err)
				}
				if c.Municipality.Name != "〇〇村" || c.Municipality.Hours != "平日 8:30〜17:15" {
					t.Fatalf("municipality = %+v (a CR or BOM left in a value?)", c.Municipality)
				}
				return
			}
			var ce *kiosk.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *ConfigError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if ce.Line != tt.wantLine {
				t.Errorf("line = %d, want %d", ce.Line, tt.wantLine)
			}
		})
	}
}
