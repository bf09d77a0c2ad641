package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/japanese"
)

// A technician on a Windows laptop: Notepad's Shift-JIS ("ANSI") and the
// ".txt" it adds behind a hidden extension each get the fix, not a byte
// value or "no such file".
func TestProvisionCheckWindowsFiles(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "written.toml")
	if _, stderr, err := runProvision(t, append([]string{"write", "--out", good}, fullWrite...)...); err != nil {
		t.Fatalf("write: %v\n%s", err, stderr)
	}
	text, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	// CP932 has no U+301C: Notepad writes the full-width tilde's code.
	sjis, err := japanese.ShiftJIS.NewEncoder().Bytes([]byte(strings.ReplaceAll(string(text), "〜", "～")))
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	crlf := []byte("\xEF\xBB\xBF" + strings.ReplaceAll(string(text), "\n", "\r\n"))

	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, file string
		data       []byte
		arg        string // the path given to check
		wantErr    []string
		wantOut    []string
	}{
		{"utf-8 BOM CRLF", "bom/kiosk-provision.toml", crlf, "bom/kiosk-provision.toml", nil, []string{"ok: kiosk K07"}},
		{"shift-jis", "sjis/kiosk-provision.toml", sjis, "sjis/kiosk-provision.toml", []string{"1 problem"},
			[]string{"Shift-JIS", "save it as UTF-8", "Encoding: UTF-8"}},
		{"hidden .txt", "txt/kiosk-provision.toml.txt", text, "txt/kiosk-provision.toml",
			[]string{"no such file, but kiosk-provision.toml.txt is there", "rename it to kiosk-provision.toml", "File name extensions"}, nil},
		{".toml.txt given", "txt2/kiosk-provision.toml.txt", text, "txt2/kiosk-provision.toml.txt",
			[]string{"the contents are fine", "rename it to kiosk-provision.toml"}, []string{"ok: kiosk K07"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, tt.file)), 0o755); err != nil {
				t.Fatal(err)
			}
			write(tt.file, tt.data)
			stdout, _, err := runProvision(t, "check", filepath.Join(dir, tt.arg))
			if (err != nil) != (len(tt.wantErr) > 0) {
				t.Fatalf("check: err = %v, want error %v\n%s", err, len(tt.wantErr) > 0, stdout)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(stdout, w) {
					t.Errorf("output lacks %q:\n%s", w, stdout)
				}
			}
		})
	}
}
