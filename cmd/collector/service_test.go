package main

import (
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestHelpListsEveryCommand: collector --help (and help, -h) exits 0 and
// names every command run knows.
func TestHelpListsEveryCommand(t *testing.T) {
	for _, arg := range []string{"--help", "-h", "help"} {
		out, err := exec.Command(bin("collector"), arg).Output()
		if err != nil {
			t.Fatalf("collector %s: %v", arg, err)
		}
		for _, cmd := range []string{"serve", "check-config", "import", "migrate", "backup", "gen-test-pki", "gen-test-crl", "help"} {
			if !regexp.MustCompile(`(?m)^  collector (\[` + cmd + `\]|` + cmd + `\b)`).Match(out) {
				t.Errorf("collector %s does not list %s:\n%s", arg, cmd, out)
			}
		}
	}
	if out, err := runBin(t, "collector", "serve", "--help"); err != nil || !strings.Contains(out, "-metrics-listen") {
		t.Errorf("collector serve --help: %v\n%s", err, out)
	}
}

// TestCheckConfig: the packaged example, pointed at real certificates,
// checks; each mistake is named by its key, all of them at once.
func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	if out, err := runBin(t, "collector", "gen-test-pki", dir, "staff-a"); err != nil {
		t.Fatalf("gen-test-pki: %v\n%s", err, out)
	}
	example, err := os.ReadFile(filepath.Join(repoRoot(), "cmd", "collector", "packaging", "collector.toml"))
	if err != nil {
		t.Fatal(err)
	}
	good := strings.NewReplacer("/etc/collector/ca.pem", dir+"/ca.pem", "/etc/collector/server.pem", dir+"/server.pem",
		"/etc/collector/server-key.pem", dir+"/server-key.pem").Replace(string(example))
	tests := []struct {
		name, toml string
		want       []string // empty: valid
	}{
		{"the packaged example", good, nil},
		{"misspelt key and bad values", strings.Replace(good, `store_timeout   = "3s"`, `store_timeout   = "10s"`, 1) + "\nlisten_addr = \":1\"\n",
			[]string{"listen_addr: unknown key", "store_timeout: must not be longer than request_timeout"}},
		{"no store, no certificates", "listen = \"nonsense\"\n", []string{"listen: want host:port", "ca: required", "cert: required", "key: required", "data: give data"}},
		{"both stores", strings.Replace(good, "# store = ", "store = ", 1), []string{"store: give data or store, not both"}},
		{"a certificate that is not there", strings.Replace(good, dir+"/server.pem", dir+"/gone.pem", 1), []string{"ca, cert, key:"}},
		{"not TOML", "listen = ", []string{"collector.toml:1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "collector.toml")
			if err := os.WriteFile(f, []byte(tc.toml), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := runBin(t, "collector", "check-config", f)
			if len(tc.want) == 0 {
				if err != nil || !strings.Contains(out, ": OK:") {
					t.Fatalf("check-config: %v\n%s", err, out)
				}
				return
			}
			if err == nil {
				t.Fatalf("check-config passed:\n%s", out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("check-config does not say %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestUnitExposure: systemd rates the packaged unit's exposure at 2.0 or
// less (own user, read-only system, only its data writable).
func TestUnitExposure(t *testing.T) {
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Skip("no systemd-analyze (.ci/deps installs systemd)")
	}
	unit := filepath.Join(repoRoot(), "cmd", "collector", "packaging", "collector.service")
	out, err := exec.Command("systemd-analyze", "security", "--offline=yes", unit).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Overall exposure level for collector\.service: ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no exposure level in:\n%s", out)
	}
	if v, _ := strconv.ParseFloat(string(m[1]), 64); v > 2.0 {
		t.Errorf("exposure %v, want at most 2.0:\n%s", v, out)
	}
	t.Logf("exposure %s", m[1])
	for _, want := range []string{"User=collector", "ProtectSystem=strict", "ReadWritePaths=/var/lib/collector", "NoNewPrivileges=yes"} {
		b, _ := os.ReadFile(unit)
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("the unit lacks %s", want)
		}
	}
}

// TestDebianPackage builds the package as make deb does, for both
// architectures, and checks what it installs.
func TestDebianPackage(t *testing.T) {
	out := t.TempDir()
	build := exec.Command("bash", filepath.Join(repoRoot(), "cmd", "collector", "packaging", "build-deb.sh"), out, "1.2.3", "amd64", "arm64")
	// amd64: the collector this package's tests run; arm64 is cross-built.
	build.Env = append(os.Environ(), "COLLECTOR_BIN_amd64="+bin("collector"))
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build-deb.sh: %v\n%s", err, b)
	}
	for arch, machine := range map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64} {
		deb := filepath.Join(out, "village-collector_1.2.3_"+arch+".deb")
		contents, err := exec.Command("dpkg-deb", "--contents", deb).Output()
		if err != nil {
			t.Fatalf("dpkg-deb --contents %s: %v", deb, err)
		}
		for _, want := range []string{"-rwxr-xr-x root/root .* ./usr/bin/collector\n", "-rw-r--r-- root/root .* ./lib/systemd/system/collector.service\n",
			"-rw-r----- root/root .* ./etc/collector/collector.toml\n", "./usr/share/doc/village-collector/README.md\n"} {
			if !regexp.MustCompile(want).Match(contents) {
				t.Errorf("%s: no %q in:\n%s", arch, want, contents)
			}
		}
		for field, want := range map[string]string{"Architecture": arch, "Package": "village-collector", "Version": "1.2.3", "Depends": "adduser"} {
			if v, err := exec.Command("dpkg-deb", "--field", deb, field).Output(); err != nil || strings.TrimSpace(string(v)) != want {
				t.Errorf("%s: %s = %q (%v), want %q", arch, field, v, err, want)
			}
		}
		ctl := t.TempDir()
		if b, err := exec.Command("dpkg-deb", "--control", deb, ctl).CombinedOutput(); err != nil {
			t.Fatalf("dpkg-deb --control: %v\n%s", err, b)
		}
		if b, _ := os.ReadFile(filepath.Join(ctl, "conffiles")); strings.TrimSpace(string(b)) != "/etc/collector/collector.toml" {
			t.Errorf("%s: conffiles %q", arch, b)
		}
		root := t.TempDir()
		if b, err := exec.Command("dpkg-deb", "--extract", deb, root).CombinedOutput(); err != nil {
			t.Fatalf("dpkg-deb --extract: %v\n%s", err, b)
		}
		f, err := elf.Open(filepath.Join(root, "usr/bin/collector"))
		if err != nil {
			t.Fatal(err)
		}
		if f.Machine != machine {
			t.Errorf("%s package: the collector is built for %v", arch, f.Machine)
		}
		f.Close()
	}
}
