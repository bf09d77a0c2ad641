package virtualcard

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Every profile of testdata/cards is in the binary and reads the same from
// there, issued from a PKI made in memory (the simulator's way).
func TestBuiltinProfiles(t *testing.T) {
	now := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	pki, err := NewPKI()
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join("..", "..", "..", "testdata", "cards", "*.json"))
	if err != nil || len(files) < 9 {
		t.Fatalf("testdata/cards: %d files, %v", len(files), err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			disk, err := LoadProfile(f, now)
			if err != nil {
				t.Fatal(err)
			}
			in, err := BuiltinProfile(name, pki, now)
			if err != nil {
				t.Fatal(err)
			}
			if in.Name != disk.Name || in.JPKI != disk.JPKI || in.TokenLabel != disk.TokenLabel ||
				in.Auth.Tries != disk.Auth.Tries || in.Sign.Tries != disk.Sign.Tries ||
				in.Auth.Present != disk.Auth.Present || len(in.Auth.Cert()) == 0 != (len(disk.Auth.Cert()) == 0) {
				t.Errorf("builtin %+v\ndisk %+v", in, disk)
			}
		})
	}
	if _, err := BuiltinProfile("no-such-card", pki, now); err == nil || !os.IsNotExist(unwrapAll(err)) {
		t.Errorf("missing profile: %v", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}
