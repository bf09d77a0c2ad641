package kiosk_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/villagehall/kiosk/kiosk"
)

// FuzzParseConfig: whatever a configuration (or provisioning) file holds,
// the loader either returns a configuration that survives being written
// out and read again unchanged, or names every problem as a
// *kiosk.ConfigError of that file with a message; it never panics.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("kiosk_id = \"K01\"\n[municipality]\nname = \"〇〇村\"\n"))
	f.Add([]byte("kiosk_id = \"K01\"\nidle_timeout = \"1h\"\n[devices.keypad]\nmode = \"real\"\nlayout = [\"123\"]\nkeys = {\"1\" = \"enter\"}\n"))
	f.Add([]byte("[[devices]]\nx = 1979-05-27T07:32:00Z\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "kiosk-provision.toml"
		c, err := kiosk.ParseConfig(name, data)
		if err != nil {
			problems := []error{err}
			if j, ok := err.(interface{ Unwrap() []error }); ok { // errors.Join, one level
				problems = j.Unwrap()
			}
			for _, e := range problems {
				var ce *kiosk.ConfigError
				if !errors.As(e, &ce) || ce.File != name || ce.Msg == "" {
					t.Fatalf("problem %q (%T) does not name the file and say what is wrong", e, e)
				}
				if !strings.HasPrefix(e.Error(), name) {
					t.Fatalf("problem %q does not start with the file name", e)
				}
			}
			return
		}
		out, err := toml.Marshal(c)
		if err != nil {
			t.Fatalf("a loaded configuration cannot be written: %v", err)
		}
		again, err := kiosk.ParseConfig(name, out)
		if err != nil {
			t.Fatalf("written back, the configuration no longer loads: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(c, again) {
			t.Fatalf("round trip changed the configuration:\n%+v\n%+v", c, again)
		}
	})
}
