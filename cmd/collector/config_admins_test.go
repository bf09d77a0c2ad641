package main

import (
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// Console administrators come from the file (console_admins) or the
// --admins flag, which wins; a name that is no staff certificate's is an error.
func TestConsoleAdminsConfig(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "collector.toml")
	if err := os.WriteFile(file, []byte("data = \"/var/lib/collector\"\nconsole_admins = [\"staff-kacho\", \"staff-kakari\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"--config", file}, []string{"staff-kacho", "staff-kakari"}},
		{[]string{"--config", file, "--admins", "staff-a, staff-b"}, []string{"staff-a", "staff-b"}},
		{[]string{"--data", dir}, nil},
	}
	for _, tt := range tests {
		c, err := serveConfig(tt.args, io.Discard)
		if err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		if !reflect.DeepEqual(c.ConsoleAdmins, tt.want) {
			t.Errorf("%v: admins %q, want %q", tt.args, c.ConsoleAdmins, tt.want)
		}
	}
	c := DefaultConfig()
	c.ConsoleAdmins = []string{"K01", "staff-"}
	err := c.Check("collector.toml")
	if err == nil || strings.Count(err.Error(), "console_admins") != 2 {
		t.Errorf("check: %v", err)
	}
}
