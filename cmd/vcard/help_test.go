package main

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Every program of the repository, built as shipped, exits 0 when asked for
// help, and still fails on a mistake (issue 25: kiosk --help ended with an
// error status).
func TestEveryProgramHelpExitsZero(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every command")
	}
	dir := t.TempDir()
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	build := exec.Command(goBin, "build", "-o", dir+"/", "../kiosk", "../kioskctl", "../collector", ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	tests := []struct {
		args   string
		wantOK bool
	}{
		{"kiosk --help", true}, {"kiosk -h", true},
		{"kioskctl --help", true}, {"kioskctl card status --help", true}, {"kioskctl provision write --help", true},
		{"kioskctl provision check --help", true}, {"kioskctl journal export --help", true},
		{"kioskctl receipt preview --help", true}, {"kioskctl version", true},
		{"vcard --help", true}, {"vcard gen-pki --help", true},
		{"collector --help", true}, {"collector help", true}, {"collector import --help", true},
		{"collector migrate --help", true}, {"collector gen-test-pki --help", true}, {"collector gen-test-crl --help", true},
		{"kiosk --bogus", false}, {"kioskctl bogus", false}, {"vcard --bogus", false}, {"collector bogus", false},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			f := strings.Fields(tt.args)
			out, err := exec.Command(filepath.Join(dir, f[0]), f[1:]...).CombinedOutput()
			if (err == nil) != tt.wantOK {
				t.Errorf("exit: %v, want success %v\n%s", err, tt.wantOK, out)
			}
			if len(out) == 0 {
				t.Error("nothing printed")
			}
		})
	}
}
