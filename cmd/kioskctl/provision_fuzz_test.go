package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/villagehall/kiosk/kiosk"
)

// FuzzProvisionWrite: whatever a technician types into the free-text
// fields, `kioskctl provision write` produces a file the kiosk's loader
// reads as TOML, with no key it does not know and every value back as
// typed (invalid UTF-8 comes back as U+FFFD, as Go reads it).
func FuzzProvisionWrite(f *testing.F) {
	f.Add("K07", "〇〇村", "住民福祉課", "0000-00-0000", "平日 8:30〜17:15", "1番窓口", "", "ACS ACR39U")
	f.Add("K\"1", "a\\b", "\x00\x7f", "\n", "\t\r", "\U0001F600", "\xff\xfe", `"""`)
	f.Add("", "'''", "# not a comment", "= 1", "[sync]", "\\u0041", "\u2028\u2029", "\ufeff")
	f.Fuzz(func(t *testing.T, id, name, office, phone, hours, counter, address, prefix string) {
		var stdout, stderr bytes.Buffer
		args := []string{"write", "--out", "-",
			"--kiosk-id=" + id, "--municipality=" + name, "--office=" + office, "--phone=" + phone,
			"--hours=" + hours, "--counter=" + counter, "--address=" + address, "--reader-prefix=" + prefix}
		err := provisionCmd(context.Background(), args, &stdout, &stderr)
		if err == errUsage {
			t.Fatalf("usage error for %q: %s", args, stderr.String())
		}
		var c kiosk.Config
		md, derr := toml.Decode(stdout.String(), &c)
		if derr != nil {
			t.Fatalf("written file is not TOML: %v\n%s", derr, stdout.String())
		}
		if u := md.Undecoded(); len(u) > 0 {
			t.Fatalf("written file has keys the kiosk does not know: %v", u)
		}
		m := c.Municipality
		for _, f := range []struct{ key, got, typed string }{
			{"kiosk_id", c.KioskID, id}, {"municipality.name", m.Name, name}, {"municipality.office", m.Office, office},
			{"municipality.phone", m.Phone, phone}, {"municipality.hours", m.Hours, hours},
			{"municipality.counter", m.Counter, counter}, {"municipality.address", m.Address, address},
			{"devices.reader.name_prefix", c.Devices.Reader.NamePrefix, prefix},
		} {
			if want := string([]rune(f.typed)); f.got != want {
				t.Fatalf("%s: typed %q, the file says %q", f.key, want, f.got)
			}
		}
		// The loader's verdict matches the command's.
		if _, perr := kiosk.ParseConfig(provisionFileName, stdout.Bytes()); (perr == nil) != (err == nil) {
			t.Fatalf("write says %v, the loader %v", err, perr)
		}
	})
}
