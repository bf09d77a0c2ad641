//go:build linux

package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSelftestUsesTheKiosksConfig: without --config the self-test reads
// the kiosk's own configuration (as the journal commands do), a device set
// to none is reported skipped, not failed after a minute's wait, and flags
// may come before or after the device's name.
func TestSelftestUsesTheKiosksConfig(t *testing.T) {
	// The reviewer's kiosk: a keypad, no touchscreen (and, here, no printer).
	none := kioskConfig(t, "none", "real", "none")
	missing := filepath.Join(t.TempDir(), "config.toml")
	tests := []struct {
		name    string
		defCfg  string
		args    []string
		wantErr bool
		want    []string
	}{
		{"all by default", none, []string{"all", "--timeout", "1s"}, true,
			[]string{"printer: skipped (none configured", "touch: skipped (none configured", "speaker: skipped", none, "keypad: FAIL"}},
		{"no device named", none, []string{"--timeout", "1s"}, true, []string{"printer: skipped", "touch: skipped"}},
		{"one device", none, []string{"touch"}, false, []string{"touch: skipped (none configured", "--touch DEVICE"}},
		{"flags after the name", missing, []string{"printer", "--config", none, "--timeout", "1s"}, false, []string{"printer: skipped"}},
		{"flags before the name", missing, []string{"--config", none, "touch"}, false, []string{"touch: skipped"}},
		{"not on a kiosk", missing, []string{"keypad"}, false, []string{"keypad: skipped", "does not exist"}},
		{"a given file must exist", none, []string{"keypad", "--config", missing}, true, nil},
		{"two devices", none, []string{"keypad", "touch"}, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out syncBuffer // the device goroutines log to the same writer
			done := make(chan error, 1)
			go func() { done <- selftestWith(context.Background(), tt.defCfg, tt.args, &out, &out) }()
			var err error
			select {
			case err = <-done:
			case <-time.After(bound):
				t.Fatalf("hung: a skipped device was waited for")
			}
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v\n%s", err, tt.wantErr, out.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("lacks %q:\n%s", w, out.String())
				}
			}
			for _, dev := range []string{"printer", "touch", "speaker"} {
				if strings.Contains(out.String(), dev+": FAIL") {
					t.Errorf("%s, configured as none, failed:\n%s", dev, out.String())
				}
			}
			if strings.Contains(out.String(), "no keypad pins") {
				t.Errorf("the configuration's keypad pins were not read:\n%s", out.String())
			}
		})
	}
}

// A device configured as real still runs and fails honestly: the kiosk's
// configuration is read, its keypad pins used.
func TestSelftestConfiguredDeviceRuns(t *testing.T) {
	cfg := kioskConfig(t, "none", "none", "real")
	var out syncBuffer // the touch reader logs from its goroutine
	err := selftestWith(context.Background(), cfg, []string{"touch", "--timeout", "1s"}, &out, &out)
	if err == nil || strings.Contains(out.String(), "no touchscreen") || !strings.Contains(out.String(), "touch: FAIL") {
		t.Fatalf("err %v\n%s", err, out.String())
	}
}
