package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestKiosksCommand: the installed list from the command line, as a
// technician keeps it on the town hall's server: add, list, refuse a bad
// ID with the rule, remove, and say so for one that is not there.
func TestKiosksCommand(t *testing.T) {
	dir := t.TempDir()
	cli := func(args ...string) (string, error) {
		var out, errb bytes.Buffer
		err := run(t.Context(), append([]string{"kiosks"}, args...), &out, &errb)
		return out.String(), err
	}
	tests := []struct {
		args    []string
		want    string // in the output, or in the error when wantErr
		wantErr bool
	}{
		{[]string{"add", "--data", dir, "--place", "北分館", "k03", "K04"}, "kiosk K04: on the installed list", false},
		{[]string{"list", "--data", dir}, "K03    北分館", false},
		{[]string{"add", "--data", dir, "K-3"}, "1 to 6 characters of A-Z and 0-9", true},
		{[]string{"remove", "--data", dir, "K04"}, "kiosk K04: off the installed list", false},
		{[]string{"remove", "--data", dir, "K04"}, "not on the installed list", true},
		{[]string{"frobnicate", "--data", dir}, "usage: collector kiosks", true},
		{[]string{"add", "--data", dir}, "usage: collector kiosks", true},
	}
	for _, tt := range tests {
		out, err := cli(tt.args...)
		got := out
		if err != nil {
			got = err.Error()
		}
		if (err != nil) != tt.wantErr || !strings.Contains(got, tt.want) {
			t.Errorf("kiosks %v: %q (err %v), want %q", tt.args, out, err, tt.want)
		}
	}
	out, _ := cli("list", "--data", dir)
	if strings.Contains(out, "K04") || !strings.Contains(out, "never") {
		t.Errorf("list after removing K04:\n%s", out)
	}
}
