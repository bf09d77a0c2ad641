package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"strings"
	"testing"
)

// Flags may follow positional arguments; "--" ends the flags.
func TestParseArgs(t *testing.T) {
	tests := []struct {
		args    []string
		pos     string
		cfg     string
		files   bool
		wantErr bool
	}{
		{[]string{"usb/kiosk-K07"}, "usb/kiosk-K07", "", false, false},
		{[]string{"--config", "c.toml", "usb/kiosk-K07"}, "usb/kiosk-K07", "c.toml", false, false},
		{[]string{"usb/kiosk-K07", "--config", "c.toml"}, "usb/kiosk-K07", "c.toml", false, false},
		{[]string{"a", "--files", "b", "--config=c"}, "a b", "c", true, false},
		{[]string{"a", "--", "--files"}, "a --files", "", false, false},
		{[]string{"a", "--nope"}, "", "", false, true},
		{[]string{"a", "--config"}, "", "", false, true},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			cfg := fs.String("config", "", "")
			files := fs.Bool("files", false, "")
			pos, err := parseArgs(fs, tt.args)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if err != nil {
				return
			}
			if got := strings.Join(pos, " "); got != tt.pos || *cfg != tt.cfg || *files != tt.files {
				t.Errorf("pos %q config %q files %v", got, *cfg, *files)
			}
		})
	}
}

// A technician types the file first and the flag after it.
func TestProvisionCheckFlagAfterFile(t *testing.T) {
	path := kioskConfig(t, "none", "real", "none")
	var out bytes.Buffer
	// --files is read after the file: the journal's folder is not on this machine.
	err := run(context.Background(), []string{"provision", "check", path, "--files"}, &out, &out)
	if err == nil || !strings.Contains(out.String(), "journal.path: directory") {
		t.Fatalf("--files after the file was not read: %v\n%s", err, out.String())
	}
}
