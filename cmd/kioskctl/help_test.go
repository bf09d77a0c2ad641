package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

// A technician who asks for help gets it and exit status 0; a mistake
// still fails.
func TestHelpExitsZero(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr bool
	}{
		{[]string{"--help"}, false},
		{[]string{"-h"}, false},
		{[]string{"help"}, false},
		{[]string{"card", "status", "--help"}, false},
		{[]string{"journal", "--help"}, false},
		{[]string{"selftest", "--help"}, false},
		{nil, true},
		{[]string{"bogus"}, true},
		{[]string{"card", "wrong"}, true},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(context.Background(), tt.args, &out, &errOut)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr && !errors.Is(err, errUsage) {
				t.Fatalf("err = %v, want the usage error", err)
			}
			if out.Len()+errOut.Len() == 0 {
				t.Fatal("nothing printed")
			}
		})
	}
}
