package main

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
)

// A command this build lacks says so, names the system and where to run it,
// and fails (a script must not take it for a card that was read); asked for
// help, it says the same and succeeds.
func TestNotBuilt(t *testing.T) {
	cmd := notBuilt("card", "a card reader through pcscd")
	var out bytes.Buffer
	err := cmd(context.Background(), []string{"status"}, &out, &out)
	if !errors.Is(err, errNotBuilt) {
		t.Fatalf("err = %v, want errNotBuilt", err)
	}
	for _, w := range []string{"not available on this system", "card reader", runtime.GOOS + "/" + runtime.GOARCH, "ssh root@KIOSK kioskctl card"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%q lacks %q", err, w)
		}
	}
	out.Reset()
	if err := cmd(context.Background(), []string{"--help"}, &out, &out); err != nil || !strings.Contains(out.String(), "card reader") {
		t.Errorf("--help: %v, %q", err, out.String())
	}
}

func TestVersionCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"version"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if want := "kioskctl " + version + " (" + runtime.GOOS + "/" + runtime.GOARCH + ")"; strings.TrimSpace(out.String()) != want {
		t.Errorf("version = %q, want %q", out.String(), want)
	}
}
