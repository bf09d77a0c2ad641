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

// The default reboot is systemd's, without waiting for the job (the reboot
// stops the service kioskctl runs in) and with the trial's argument as an
// option; a command given for a test bench gets it appended as before.
func TestFirmwareRebootCommand(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "calls")
	fake := "#!/bin/sh\necho \"$0 $*\" >>" + log + "\n"
	os.WriteFile(filepath.Join(dir, "systemctl"), []byte(fake), 0o755)
	os.WriteFile(filepath.Join(dir, "bench-reboot"), []byte(fake), 0o755)
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	tests := []struct {
		name   string
		reboot []string
		trial  bool
		want   string
	}{
		{"trial, default", nil, true, "systemctl --no-block --no-wall reboot --reboot-argument=0 tryboot"},
		{"trial, the flag's default", []string{"systemctl", "reboot"}, true, "systemctl --no-block --no-wall reboot --reboot-argument=0 tryboot"},
		{"plain, default", []string{"systemctl", "reboot"}, false, "systemctl --no-block --no-wall reboot"},
		{"trial, a bench's command", []string{filepath.Join(dir, "bench-reboot"), "-x"}, true, "bench-reboot -x 0 tryboot"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.Remove(log)
			f := piFirmware{reboot: tt.reboot}
			var err error
			if tt.trial {
				err = f.RebootTryboot()
			} else {
				err = f.Reboot()
			}
			if err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(log)
			if got := strings.TrimSpace(string(b)); filepath.Base(strings.Fields(got)[0])+got[len(strings.Fields(got)[0]):] != tt.want {
				t.Errorf("ran %q, want %q", got, tt.want)
			}
		})
	}
}

// The reboot stops the service kioskctl runs in, and the systemctl it
// started with it: systemctl killed by SIGTERM means the reboot is under
// way, not that it failed. A bench's command killed so is still an error.
func TestFirmwareRebootKilledOnTheWayDown(t *testing.T) {
	dir := t.TempDir()
	dying := "#!/bin/sh\nkill -TERM $$\n"
	os.WriteFile(filepath.Join(dir, "systemctl"), []byte(dying), 0o755)
	os.WriteFile(filepath.Join(dir, "bench-reboot"), []byte(dying), 0o755)
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	if err := (piFirmware{}).RebootTryboot(); err != nil {
		t.Errorf("systemctl killed by the shutdown it asked for: %v", err)
	}
	if err := (piFirmware{reboot: []string{filepath.Join(dir, "bench-reboot")}}).RebootTryboot(); err == nil {
		t.Error("a bench's reboot command killed by SIGTERM passed as a reboot")
	}
	os.WriteFile(filepath.Join(dir, "systemctl"), []byte("#!/bin/sh\necho 'Failed to reboot' >&2\nexit 1\n"), 0o755)
	if err := (piFirmware{}).RebootTryboot(); err == nil || !strings.Contains(err.Error(), "Failed to reboot") {
		t.Errorf("a failed systemctl: %v", err)
	}
}
