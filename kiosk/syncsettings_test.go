package kiosk_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/villagehall/kiosk/kiosk"
)

// TestSyncSettings: a configuration that does not load still gives its
// kiosk ID and sync section when those are sound (a cannot-start kiosk
// tells the town hall why), and nothing when they are not.
func TestSyncSettings(t *testing.T) {
	const sync = "[sync]\ncollector_url = \"https://collector.village.local:8443\"\nca = \"ca.pem\"\ncert = \"c.pem\"\nkey = \"k.pem\"\n"
	tests := []struct {
		name, toml, want string // want: a substring of the error; "" means usable
	}{
		{"a device mistake", "kiosk_id = \"K01\"\n[devices.printer]\nwidth_mm = 70\n" + sync, ""},
		{"municipality missing", "kiosk_id = \"K01\"\n" + sync, ""},
		{"sync off", "kiosk_id = \"K01\"\n", "sync is off"},
		{"bad kiosk ID", "kiosk_id = \"k-1\"\n" + sync, "kiosk_id"},
		{"bad URL", "kiosk_id = \"K01\"\n" + strings.Replace(sync, "https:", "http:", 1), "sync.collector_url"},
		{"no key", "kiosk_id = \"K01\"\n" + strings.Replace(sync, "key = \"k.pem\"\n", "", 1), "sync.key"},
		{"misspelt sync key", "kiosk_id = \"K01\"\n" + sync + "intreval = \"1m\"\n", "sync.intreval"},
		{"not TOML", "kiosk_id = \"K01\n" + sync, "config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "kiosk.toml")
			if err := os.WriteFile(path, []byte(tt.toml), 0o600); err != nil {
				t.Fatal(err)
			}
			id, s, err := kiosk.SyncSettings(path)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want == "" && (id != "K01" || s.URLs()[0] != "https://collector.village.local:8443"):
				t.Errorf("got %q %+v", id, s)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("err %v, want %q", err, tt.want)
			}
		})
	}
}
