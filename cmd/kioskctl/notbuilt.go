package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
)

// errNotBuilt marks a command this build of kioskctl does not contain.
var errNotBuilt = errors.New("not available on this system")

// notBuilt is the stand-in for a command that needs what this system or
// build lacks: it names the command, what it needs and where to run it.
func notBuilt(name, needs string) command {
	return func(_ context.Context, args []string, stdout, _ io.Writer) error {
		msg := fmt.Sprintf("kioskctl %s needs %s, which this build for %s/%s does not have: run it on the kiosk (ssh root@KIOSK kioskctl %s)",
			name, needs, runtime.GOOS, runtime.GOARCH, name)
		if slices.ContainsFunc(args, isHelp) {
			fmt.Fprintln(stdout, msg)
			return nil
		}
		return fmt.Errorf("%s: %w: %s", name, errNotBuilt, msg)
	}
}
