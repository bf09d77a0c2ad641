package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
)

// version is the release number and the commit (2026.12.1+ee11cf2), set by
// the Makefile and images/cross.sh from images/VERSION; a technician reads
// it aloud on the phone.
var version = "dev"

func versionCmd(_ context.Context, args []string, stdout, _ io.Writer) error {
	fmt.Fprintf(stdout, "kioskctl %s (%s/%s)\n", version, runtime.GOOS, runtime.GOARCH)
	return nil
}
