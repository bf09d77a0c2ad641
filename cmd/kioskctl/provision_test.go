package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/kiosk"
)

var fullWrite = []string{
	"--kiosk-id", "K07", "--municipality", "〇〇村", "--office", "住民福祉課",
	"--phone", "0000-00-0000", "--hours", "平日 8:30〜17:15",
}

func runProvision(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var o, e bytes.Buffer
	err = provisionCmd(context.Background(), args, &o, &e)
	return o.String(), e.String(), err
}

func TestProvisionWriteThenCheck(t *testing.T) {
	out := filepath.Join(t.TempDir(), "kiosk-provision.toml")
	args := append([]string{"write", "--collector", "https://collector.example.jp:8443", "--cert-ref-key",
		"--printer-width", "58", "--touch", "real", "--out", out}, fullWrite...)
	if _, stderr, err := runProvision(t, args...); err != nil {
		t.Fatalf("write: %v\n%s", err, stderr)
	}
	cfg, err := kiosk.LoadConfig(out)
	if err != nil {
		t.Fatalf("written file does not load: %v", err)
	}
	if cfg.KioskID != "K07" || cfg.Municipality.Name != "〇〇村" || cfg.Devices.Printer.WidthMM != 58 ||
		cfg.Sync.Key != "/var/lib/kiosk/keys/kiosk-key.pem" || cfg.Journal.Path != "/var/lib/kiosk/journal/journal.db" ||
		cfg.IdleTimeout != time.Minute || cfg.Sync.Interval != 5*time.Minute || len(cfg.Devices.Keypad.RowPins) != 4 {
		t.Errorf("written config = %+v", cfg)
	}
	stdout, _, err := runProvision(t, "check", out)
	if err != nil || !strings.Contains(stdout, "ok: kiosk K07") {
		t.Errorf("check = %v, %q", err, stdout)
	}
	// On a PC the key files are not there: --files says which and where.
	stdout, _, err = runProvision(t, "check", "--files", out)
	if err == nil {
		t.Fatal("check --files passed without the key files")
	}
	for _, want := range []string{"sync.ca:", "sync.key:", "journal.cert_ref_key:", "kiosk-keys/", "journal.path:"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("check --files output lacks %q:\n%s", want, stdout)
		}
	}
	// Writing again without --force must not clobber the technician's edits.
	if _, _, err := runProvision(t, append([]string{"write", "--out", out}, fullWrite...)...); err == nil {
		t.Error("write over an existing file without --force succeeded")
	}
}

// TestProvisionCollectorURL: the one collector address form is the one
// written, and anything else is refused naming the field, when written and
// when checked.
func TestProvisionCollectorURL(t *testing.T) {
	out := filepath.Join(t.TempDir(), "kiosk-provision.toml")
	_, _, err := runProvision(t, append([]string{"write", "--collector", "https://collector.example.jp/v1/journal", "--out", out}, fullWrite...)...)
	if err == nil || !strings.Contains(err.Error(), "sync.collector_url") || !strings.Contains(err.Error(), `remove "/v1/journal"`) {
		t.Fatalf("write with a path in the collector URL: %v", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("a file was written anyway")
	}
	if _, stderr, err := runProvision(t, append([]string{"write", "--collector", "https://collector.example.jp:8443", "--out", out}, fullWrite...)...); err != nil {
		t.Fatalf("write: %v\n%s", err, stderr)
	}
	cfg, err := kiosk.LoadConfig(out)
	if err != nil || cfg.Sync.CollectorURL != "https://collector.example.jp:8443" {
		t.Fatalf("written: %+v %v", cfg.Sync, err)
	}
	data, _ := os.ReadFile(out)
	bad := filepath.Join(t.TempDir(), "bad.toml")
	os.WriteFile(bad, bytes.Replace(data, []byte(`collector_url = "https://collector.example.jp:8443"`), []byte(`collector_url = "https://collector.example.jp/v1/journal"`), 1), 0o644)
	stdout, _, err := runProvision(t, "check", bad)
	if err == nil || !strings.Contains(stdout, "sync.collector_url: must be the collector's base URL") {
		t.Fatalf("check of a URL with a path: %v\n%s", err, stdout)
	}
	// The template's commented example is the valid form too.
	off := filepath.Join(t.TempDir(), "off.toml")
	if _, _, err := runProvision(t, append([]string{"write", "--out", off}, fullWrite...)...); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(off)
	m := regexp.MustCompile(`# collector_url = "([^"]*)"`).FindSubmatch(data)
	if m == nil || kiosk.CheckCollectorURL(string(m[1])) != nil {
		t.Fatalf("template example %q", m)
	}
}

func TestProvisionCheckNamesEveryField(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bad.toml")
	bad := `kiosk_id = "k-7"
[municipality]
name = "〇〇村"
office = "住民福祉課"
phone = "1"
hours = "x"
[journal]
path = "/var/lib/kiosk/journal/journal.db"
[devices.printer]
width_mm = 70
[devices.keypad]
mode = "sim"
[devices.screen]
mdoe = "real"
`
	if err := os.WriteFile(p, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, _, err := runProvision(t, "check", p)
	if err == nil {
		t.Fatal("check passed a bad file")
	}
	if errors.Is(err, errUsage) {
		t.Fatalf("check returned usage: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 3 {
		t.Errorf("want one line per problem (3), got:\n%s", stdout)
	}
	for _, want := range []string{"kiosk_id:", "devices.printer.width_mm:", "devices.screen.mdoe: unknown key"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(err.Error(), "3 problem(s)") {
		t.Errorf("error = %v", err)
	}
}

func TestProvisionWriteIncompleteSaysWhatToFill(t *testing.T) {
	out := filepath.Join(t.TempDir(), "p.toml")
	_, stderr, err := runProvision(t, "write", "--kiosk-id", "K01", "--out", out)
	if err == nil {
		t.Fatal("write without municipality details succeeded")
	}
	for _, want := range []string{"municipality.name", "municipality.phone", "municipality.hours", "municipality.office"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	data, rerr := os.ReadFile(out)
	if rerr != nil || !bytes.Contains(data, []byte("FILL IN")) {
		t.Errorf("incomplete file not written with FILL IN marks: %v", rerr)
	}
}

func TestProvisionWriteQuotesLikeTOML(t *testing.T) {
	o := provisionOpts{
		KioskID: "K1", Language: "en", IdleTimeout: 90 * time.Second, IdleWarning: 20 * time.Second,
		Municipality: kiosk.Municipality{Name: `A "quoted" \ village`, Office: "tab\there\x1b", Phone: "1", Hours: "line\nbreak"},
		SyncInterval: time.Minute, Reader: "sim", Keypad: "sim", KeypadLayout: "*#", RowPins: "A", Cols: "B,C",
		Printer: "sim", PrinterPath: "/tmp/r", PrinterWidth: 80, Touch: "none", Screen: "sim",
	}
	data := renderProvision(o, time.Unix(0, 0))
	cfg, err := kiosk.ParseConfig("p.toml", data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if cfg.Municipality.Name != o.Municipality.Name || cfg.Municipality.Office != o.Municipality.Office ||
		cfg.Municipality.Hours != o.Municipality.Hours || cfg.IdleTimeout != 90*time.Second {
		t.Errorf("round trip: %+v", cfg.Municipality)
	}
}

func TestProvisionUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"frobnicate"}, {"check"}, {"write", "--kiosk-id", "K1"}} {
		if _, _, err := runProvision(t, args...); !errors.Is(err, errUsage) {
			t.Errorf("%q: err = %v, want usage", args, err)
		}
	}
}

// The card's kiosk-provision.toml.example is written without an ID: every
// field to fill in is marked FILL IN, kiosk_id too, and write says which.
func TestProvisionExampleMarksEveryField(t *testing.T) {
	stdout, stderr, err := runProvision(t, "write", "--out", "-")
	if err == nil {
		t.Fatal("an example without kiosk_id passed as complete")
	}
	for _, key := range []string{"kiosk_id", "name", "office", "phone", "hours"} {
		if !regexpMatch(`(?m)^`+key+` = ""  # FILL IN, e\.g\. "`, stdout) {
			t.Errorf("%s is not marked FILL IN:\n%s", key, stdout)
		}
	}
	if !strings.Contains(stderr, "kiosk_id:") {
		t.Errorf("write does not name kiosk_id as still to fill in:\n%s", stderr)
	}
}

// kioskConfig writes a complete configuration with the given device modes.
func kioskConfig(t *testing.T, printer, keypad, touch string) string {
	t.Helper()
	o := provisionOpts{KioskID: "K07", Language: "ja", IdleTimeout: time.Minute, IdleWarning: 20 * time.Second,
		Municipality: kiosk.Municipality{Name: "テスト村", Office: "住民課", Phone: "0000-00-0000", Hours: "平日 8:30〜17:15"},
		SyncInterval: 5 * time.Minute, Reader: "real", Keypad: keypad, KeypadLayout: "123,456,789,*0#",
		RowPins: "GPIO5,GPIO6,GPIO13,GPIO19", Cols: "GPIO12,GPIO16,GPIO20", Printer: printer, PrinterPath: "/dev/usb/lp0",
		PrinterWidth: 80, Touch: touch, TouchDevice: "/dev/input/event0", Screen: "real"}
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, renderProvision(o, time.Now()), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := kiosk.LoadConfig(path); err != nil {
		t.Fatal(err)
	}
	return path
}
