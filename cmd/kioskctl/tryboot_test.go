package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// On a Pi (the firmware's node in the device tree) a trial needs the
// kiosk-tryboot module; elsewhere (qemu's virt machine) nothing is asked.
func TestTrybootReady(t *testing.T) {
	tests := []struct {
		name     string
		node     string // the firmware node's path under the device tree, "" for none
		compat   string
		loaded   bool
		wantFail bool
	}{
		{"qemu virt: no firmware node", "", "", false, false},
		{"a Pi 4 with the module", "soc/firmware", "raspberrypi,bcm2835-firmware\x00simple-mfd\x00", true, false},
		{"a Pi 4 without the module", "soc/firmware", "raspberrypi,bcm2835-firmware\x00simple-mfd\x00", false, true},
		{"firmware node at the root", "firmware", "raspberrypi,bcm2835-firmware\x00", false, true},
		{"another board's firmware node", "soc/firmware", "arm,scmi\x00", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			dt, mods := filepath.Join(dir, "dt"), filepath.Join(dir, "module")
			os.MkdirAll(filepath.Join(mods, "bcm2835_wdt"), 0o755)
			if tt.node != "" {
				os.MkdirAll(filepath.Join(dt, tt.node), 0o755)
				os.WriteFile(filepath.Join(dt, tt.node, "compatible"), []byte(tt.compat), 0o644)
			}
			if tt.loaded {
				os.MkdirAll(filepath.Join(mods, "kiosk_tryboot"), 0o755)
			}
			err := piFirmware{dtRoot: dt, modules: mods}.trybootReady()
			if (err != nil) != tt.wantFail {
				t.Fatalf("err %v, want failure %v", err, tt.wantFail)
			}
			if err != nil && !strings.Contains(err.Error(), "lsmod | grep kiosk_tryboot") {
				t.Errorf("the error does not say how to check: %v", err)
			}
		})
	}
}
