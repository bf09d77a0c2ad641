//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// provisionScript is the image's provisioning script, whose ssh_on this
// test runs with the boot partition in a temporary folder.
const provisionScript = "../../images/rootfs/usr/libexec/kiosk/provision"

// TestProvisionScriptSSHKeyNames: a technician's key saved from Windows as
// kiosk-ssh.pub.txt or kiosk-ssh.pub.pub still turns ssh on and is named
// in the log; with a BOM and CRLF it reaches sshd as a clean line. No key
// file: ssh stays off. The real sshd, systemctl and mountpoint are stubbed:
// only the script's choice of file and what it writes are under test (the
// boot under qemu is image-test's).
func TestProvisionScriptSSHKeyNames(t *testing.T) {
	const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ technician@laptop"
	tests := []struct {
		file, content string
		on            bool
		warn          string
	}{
		{"kiosk-ssh.pub", key + "\n", true, ""},
		{"kiosk-ssh.pub.txt", "\xEF\xBB\xBF" + key + "\r\n", true, "found as kiosk-ssh.pub.txt"},
		{"kiosk-ssh.pub.pub", key + "\n", true, "found as kiosk-ssh.pub.pub"},
		{"id_ed25519.pub", key + "\n", false, ""},
		{"kiosk-ssh.pub.txt", "", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			tmp := t.TempDir()
			boot, data, fault := filepath.Join(tmp, "boot"), filepath.Join(tmp, "data"), filepath.Join(tmp, "fault")
			for _, d := range []string{boot, filepath.Join(data, "ssh")} {
				if err := os.MkdirAll(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(filepath.Join(boot, tt.file), []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			script := `set -euo pipefail
mountpoint() { return 0; }
systemctl() { echo "systemctl $*"; }
ssh-keygen() { : >"${@: -1}"; }
sync() { :; }
eval "$(sed -n '/^ssh_on() {/,/^}/p' "$1")"
boot=$2 data=$3 fault=$4
ssh_on`
			out, err := exec.Command("bash", "-c", script, "test", provisionScript, boot, data, fault).CombinedOutput()
			if err != nil {
				t.Fatalf("ssh_on: %v\n%s", err, out)
			}
			got, err := os.ReadFile(filepath.Join(data, "ssh", "authorized_keys"))
			if on := err == nil; on != tt.on || strings.Contains(string(out), "ssh.service") != tt.on {
				t.Fatalf("ssh on = %v, want %v\n%s", on, tt.on, out)
			}
			if tt.on && string(got) != key+"\n" {
				t.Errorf("authorized_keys = %q, want %q", got, key+"\n")
			}
			if tt.warn != "" && !strings.Contains(string(out), "KIOSK-PROVISION-WARNING ssh key "+tt.warn) {
				t.Errorf("the misnamed file is not named:\n%s", out)
			}
		})
	}
}
