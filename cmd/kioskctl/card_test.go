//go:build linux && cgo

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/drivers/jpki/virtualcard"
	"github.com/villagehall/kiosk/drivers/pcsc/pcsctest"
)

// TestCardStatus runs `kioskctl card status` against pcscd + vpcd + the
// virtual card, and through each failure a technician meets.
func TestCardStatus(t *testing.T) {
	d := pcsctest.StartPCSCD(t)
	run1 := func(args ...string) (string, error) {
		var out, errb bytes.Buffer
		err := run(context.Background(), append([]string{"card", "status"}, args...), &out, &errb)
		return out.String(), err
	}
	if _, err := run1(); err == nil || !strings.Contains(err.Error(), "no card in the reader") {
		t.Fatalf("empty reader: %v", err)
	}
	p, err := virtualcard.LoadProfile(filepath.Join("..", "..", "testdata", "cards", "auth-last-try.json"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	slot := pcsctest.Insert(t, virtualcard.New(p))
	out, err := run1("--json", "--reader", "Virtual PCD 00 00")
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Card string `json:"card"`
		Auth struct {
			NotBefore string `json:"not_before"`
			NotAfter  string `json:"not_after"`
			TriesLeft int    `json:"tries_left"`
			Blocked   bool   `json:"blocked"`
		} `json:"auth"`
		Sign struct {
			Present   bool `json:"present"`
			TriesLeft int  `json:"tries_left"`
			Blocked   bool `json:"blocked"`
		} `json:"sign"`
		APDUs int `json:"apdus"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	nb, err1 := time.Parse(time.RFC3339, rep.Auth.NotBefore)
	na, err2 := time.Parse(time.RFC3339, rep.Auth.NotAfter)
	if err1 != nil || err2 != nil || !na.After(nb) {
		t.Fatalf("dates %q %q", rep.Auth.NotBefore, rep.Auth.NotAfter)
	}
	if rep.Card != "mynumber" || rep.Auth.TriesLeft != 1 || rep.Auth.Blocked || !rep.Sign.Present || rep.Sign.TriesLeft != 5 || rep.APDUs != 12 {
		t.Fatalf("report %+v", rep)
	}
	if _, err := run1("--reader", "No Such Reader"); err == nil || !strings.Contains(err.Error(), "no card reader") {
		t.Fatalf("unknown reader: %v", err)
	}
	pcsctest.Remove(t, slot)

	// A 住基カード is read no further than its label: what was not read is
	// null, never a 0 that reads as "locked".
	jk, _ := virtualcard.LoadProfile(filepath.Join("..", "..", "testdata", "cards", "juki.json"), time.Now())
	slot = pcsctest.Insert(t, virtualcard.New(jk))
	out, err = run1("--json")
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{"auth", "sign"} {
		fields := raw[part].(map[string]any)
		for _, k := range []string{"present", "tries_left", "blocked"} {
			if v, ok := fields[k]; !ok || v != nil {
				t.Errorf("juki %s.%s = %v (present %v), want null", part, k, v, ok)
			}
		}
	}
	if raw["card"] != "juki" {
		t.Errorf("card %v", raw["card"])
	}
	pcsctest.Remove(t, slot)
	nj, _ := virtualcard.LoadProfile(filepath.Join("..", "..", "testdata", "cards", "not-jpki.json"), time.Now())
	pcsctest.Insert(t, virtualcard.New(nj))
	if _, err := run1(); err == nil || !strings.Contains(err.Error(), "not a My Number Card") {
		t.Fatalf("not JPKI: %v", err)
	}
	d.Stop()
	if _, err := run1(); err == nil || !strings.Contains(err.Error(), "pcscd is not running") {
		t.Fatalf("pcscd down: %v", err)
	}
}
