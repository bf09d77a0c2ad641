package kiosk_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/kiosk"
)

func TestLoadShippedConfigs(t *testing.T) {
	for _, name := range []string{"kiosk-sim.toml", "kiosk-real.toml"} {
		t.Run(name, func(t *testing.T) {
			c, err := kiosk.LoadConfig(filepath.Join("..", "testdata", "config", name))
			if err != nil {
				t.Fatalf("LoadConfig: %v", err)
			}
			if c.KioskID != "K01" || c.IdleTimeout != 60*time.Second || c.IdleWarning != 20*time.Second {
				t.Errorf("got id %q timeout %s warning %s", c.KioskID, c.IdleTimeout, c.IdleWarning)
			}
			if c.Municipality.Office != "住民福祉課" || !c.Municipality.ETax || c.Municipality.ConvenienceStore {
				t.Errorf("municipality = %+v", c.Municipality)
			}
		})
	}
	c, _ := kiosk.LoadConfig(filepath.Join("..", "testdata", "config", "kiosk-sim.toml"))
	if c.Devices.Printer.Mode != kiosk.ModeSim || c.Devices.Reader.Mode != kiosk.ModeSim || c.Sync.Enabled() {
		t.Errorf("sim config not all-sim: %+v sync=%v", c.Devices, c.Sync.Enabled())
	}
	if got := c.Municipality.OfficeLine(); got != "〇〇村役場 住民福祉課" {
		t.Errorf("OfficeLine = %q", got)
	}
}

// base is a minimal valid config; each case appends TOML that overrides it.
const base = `
kiosk_id = "K01"
[municipality]
name = "〇〇村"
office = "住民福祉課"
phone = "0000-00-0000"
hours = "平日 8:30〜17:15"
[journal]
path = "j.db"
[devices.reader]
mode = "sim"
[devices.keypad]
mode = "sim"
`

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		name string
		toml string // replaces lines of base by key; appended sections otherwise
		want string // substring of the error; "" means valid
	}{
		{"base is valid", base, ""},
		{"printer width", base + "[devices.printer]\nwidth_mm = 70\n", "kiosk.toml: devices.printer.width_mm: must be 58 or 80, got 70"},
		{"printer path", base + "[devices.printer]\npath = \"\"\n", "devices.printer.path: must be set"},
		{"printer none skips width", base + "[devices.printer]\nmode = \"none\"\nwidth_mm = 70\n", ""},
		{"bad mode", base + "[devices.touch]\nmode = \"maybe\"\n", `devices.touch.mode: must be real, sim or none, got "maybe"`},
		{"reader none", strings.Replace(base, `mode = "sim"`, `mode = "none"`, 1), "devices.reader.mode: must be real or sim"},
		{"screen none", base + "[devices.screen]\nmode = \"none\"\n", "devices.screen.mode: must be real or sim"},
		{"no input", strings.Replace(base, "[devices.keypad]\nmode = \"sim\"", "[devices.keypad]\nmode = \"none\"", 1), "devices.keypad.mode: keypad and touch are both none"},
		{"kiosk id", strings.Replace(base, `"K01"`, `"k-01"`, 1), `kiosk_id: must be 1-6 characters of A-Z and 0-9 (e.g. "K01"), got "k-01"`},
		{"language", "language = \"fr\"\n" + base, `language: must be "ja" or "en", got "fr"`},
		{"idle warning short", "idle_warning = \"10s\"\n" + base, "idle_warning: must be at least 20s"},
		{"idle timeout as int", "idle_timeout = 60\n" + base, "idle_timeout: must be longer than idle_warning (20s) (write it as \"60s\"), got 60ns"},
		{"bad duration", "idle_timeout = \"a minute\"\n" + base, "kiosk.toml"},
		{"office missing", strings.Replace(base, "office = \"住民福祉課\"\n", "", 1), "municipality.office: must be set"},
		{"phone missing", strings.Replace(base, "phone = \"0000-00-0000\"\n", "", 1), "municipality.phone: must be set"},
		{"journal path", strings.Replace(base, "path = \"j.db\"\n", "", 1), "journal.path: must be set"},
		{"sync http", base + "[sync]\ncollector_url = \"http://x\"\nca=\"a\"\ncert=\"b\"\nkey=\"c\"\n", `sync.collector_url: must be the collector's base URL, e.g. "https://collector.example.jp:8443" (no path: the kiosk adds /v1/batch itself), got "http://x": not an https:// URL`},
		{"sync base URL", base + "[sync]\ncollector_url = \"https://collector.example.jp:8443\"\nca=\"a\"\ncert=\"b\"\nkey=\"c\"\n", ""},
		{"sync base URL with slash", base + "[sync]\ncollector_url = \"https://10.0.0.5/\"\nca=\"a\"\ncert=\"b\"\nkey=\"c\"\n", ""},
		{"sync URL with a path", base + "[sync]\ncollector_url = \"https://collector.example.jp/v1/journal\"\nca=\"a\"\ncert=\"b\"\nkey=\"c\"\n", `sync.collector_url: must be the collector's base URL, e.g. "https://collector.example.jp:8443" (no path: the kiosk adds /v1/batch itself), got "https://collector.example.jp/v1/journal": remove "/v1/journal"`},
		{"several collectors", base + "[sync]\ncollector_urls = [\"https://c1.example.jp:8443\", \"https://c2.example.jp:8443\"]\nca=\"a\"\ncert=\"b\"\nkey=\"c\"\n", ""},
		{"several collectors, one with a path", base + "[sync]\ncollector_urls = [\"https://c1.example.jp:8443\", \"https://c2.example.jp/v1\"]\nca=\"a\"\ncert=\"b\"\nkey=\"c\"\n", `sync.collector_urls[1]: must be the collector's base URL`},
		{"collector_url and collector_urls", base + "[sync]\ncollector_url = \"https://c1.example.jp\"\ncollector_urls = [\"https://c2.example.jp\"]\nca=\"a\"\ncert=\"b\"\nkey=\"c\"\n", `sync.collector_urls: give collector_url or collector_urls, not both`},
		{"sync URL with a query", base + "[sync]\ncollector_url = \"https://c.example.jp?x=1\"\nca=\"a\"\ncert=\"b\"\nkey=\"c\"\n", `remove "?x=1"`},
		{"sync URL with a password", base + "[sync]\ncollector_url = \"https://u:p@c.example.jp\"\nca=\"a\"\ncert=\"b\"\nkey=\"c\"\n", "no user name or password"},
		{"sync URL bad port", base + "[sync]\ncollector_url = \"https://c.example.jp:99999\"\nca=\"a\"\ncert=\"b\"\nkey=\"c\"\n", `port "99999"`},
		{"sync key missing", base + "[sync]\ncollector_url = \"https://x\"\nca=\"a\"\ncert=\"b\"\n", "sync.key: must be set when sync.collector_url is set"},
		{"sync interval", base + "[sync]\ncollector_url = \"https://x\"\nca=\"a\"\ncert=\"b\"\nkey=\"c\"\ninterval=\"1s\"\n", "sync.interval: must be at least 10s, got 1s"},
		{"keypad rows", strings.Replace(base, "[devices.keypad]\nmode = \"sim\"", "[devices.keypad]\nmode = \"real\"\nlayout=[\"12\",\"34\"]\nrow_pins=[\"A\"]\ncol_pins=[\"C\",\"D\"]", 1), "devices.keypad.row_pins: must have one pin per layout row (2), got 1"},
		{"keypad cols", strings.Replace(base, "[devices.keypad]\nmode = \"sim\"", "[devices.keypad]\nmode = \"real\"\nlayout=[\"12\",\"345\"]\nrow_pins=[\"A\",\"B\"]\ncol_pins=[\"C\",\"D\"]", 1), "devices.keypad.layout[1]: must have one key per col_pins entry (2), got 3"},
		{"keypad key label", strings.Replace(base, "[devices.keypad]\nmode = \"sim\"", "[devices.keypad]\nmode = \"real\"\nlayout=[\"12\",\"34\"]\nrow_pins=[\"A\",\"B\"]\ncol_pins=[\"C\",\"D\"]\nkeys={\"#\"=\"enter\"}", 1), "devices.keypad.keys.#: must be one key label printed in the layout"},
		{"keypad key function", strings.Replace(base, "[devices.keypad]\nmode = \"sim\"", "[devices.keypad]\nmode = \"real\"\nlayout=[\"12\",\"34\"]\nrow_pins=[\"A\",\"B\"]\ncol_pins=[\"C\",\"D\"]\nkeys={\"4\"=\"ok\"}", 1), "devices.keypad.keys.4: must be enter, cancel, clear, english, repeat or volume"},
		{"speaker sim needs a path", base + "[devices.speaker]\nmode = \"sim\"\n", "devices.speaker.path: must be set for sim"},
		{"speaker by card number", base + "[devices.speaker]\nmode = \"alsa\"\ncard = \"1\"\n", `devices.speaker.card: must be the ALSA card ID`},
		{"speaker mode", base + "[devices.speaker]\nmode = \"real\"\n", `devices.speaker.mode: must be none, sim or alsa, got "real"`},
		{"speaker volume", base + "[devices.speaker]\nmode = \"alsa\"\ncard = \"Audio\"\nvolume = 4\n", "devices.speaker.volume: must be 1, 2 or 3"},
		{"speaker on a 4x3 pad has no voice keys", base + "[devices.speaker]\nmode = \"alsa\"\ncard = \"Audio\"\n", "no key does repeat, and the voice needs it on the keypad"},
		{"speaker on a 4x4 pad", strings.Replace(base, "[devices.keypad]\nmode = \"sim\"", "[devices.keypad]\nmode = \"sim\"\nlayout=[\"123A\",\"456B\",\"789C\",\"*0#D\"]", 1) + "[devices.speaker]\nmode = \"alsa\"\ncard = \"Audio\"\n", ""},
		{"keypad-only kiosk needs Enter and Cancel keys", strings.Replace(base, "[devices.keypad]\nmode = \"sim\"", "[devices.keypad]\nmode = \"sim\"\nlayout=[\"123\",\"456\",\"789\",\"*0#\"]\nkeys={\"*\"=\"clear\"}", 1), "no key does cancel, and there is no touchscreen"},
		{"keypad layout", strings.Replace(base, "[devices.keypad]\nmode = \"sim\"", "[devices.keypad]\nmode = \"real\"", 1), "devices.keypad.layout: must list the keys"},
		{"touch device", base + "[devices.touch]\nmode = \"real\"\n", "devices.touch.device: must be set"},
		{"touch scale", base + "[devices.touch.calibration]\nmin_x = 300\nmax_x = 200\n", "devices.touch.calibration.max_x: must be above min_x (300), got 200"},
		{"unknown key", base + "[devices.printer]\nwidht_mm = 58\n", "devices.printer.widht_mm: unknown key"},
		{"wrong type", base + "[devices.printer]\nwidth_mm = \"80\"\n", "kiosk.toml"},
		{"syntax error with line", "kiosk_id = \"K01\"\n[municipality\nname = \"x\"\n", "to end table name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := kiosk.ParseConfig("kiosk.toml", []byte(tt.toml))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if tt.toml == base && (c.IdleTimeout != kiosk.DefaultIdleTimeout || c.Devices.Printer.WidthMM != 80 || c.Language != "ja") {
					t.Errorf("defaults not applied: %+v", c)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q\nwant it to contain %q", err, tt.want)
			}
			var ce *kiosk.ConfigError
			if !errors.As(err, &ce) || ce.File != "kiosk.toml" {
				t.Errorf("error is not a *ConfigError naming the file: %#v", err)
			}
			if strings.HasPrefix(tt.name, "syntax") && ce != nil && ce.Line == 0 {
				t.Errorf("syntax error without a line: %v", err)
			}
		})
	}
}

func TestLoadConfigMissingFile(t *testing.T) {
	_, err := kiosk.LoadConfig(filepath.Join(t.TempDir(), "absent.toml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v, want ErrNotExist", err)
	}
}
