// Command kioskctl is the staff and technician tool: card status, journal
// status/export/verify, receipt preview, device self-test.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"syscall"
)

const usage = `usage: kioskctl COMMAND [ARGS]

  card status [--reader PREFIX] [--json]   read the inserted card (no PIN, spends nothing)
  journal status|export|verify|ack ...     staff: the transaction journal
  receipt preview ...                      staff: render a sample slip to PNG
  selftest [keypad|printer|touch|all] ...  technician: exercise each device
  provision check|write ...                technician: check or write a kiosk's provisioning file
  update verify|apply|status|boot-check ...  technician: signed A/B updates (see update -h)
  version                                  the release number and commit (e.g. 2026.12.1+ee11cf2)
`

// command runs one subcommand; errors are printed as one line.
type command func(ctx context.Context, args []string, stdout, stderr io.Writer) error

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "kioskctl:", err)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmds := commands()
	if len(args) > 0 && isHelp(args[0]) {
		fmt.Fprint(stdout, usage)
		return nil
	}
	if len(args) == 0 || cmds[args[0]] == nil {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	err := cmds[args[0]](ctx, args[1:], stdout, stderr)
	if errors.Is(err, errUsage) && slices.ContainsFunc(args[1:], isHelp) {
		return nil // the usage was asked for and printed: not a failure
	}
	return err
}

func isHelp(a string) bool { return a == "-h" || a == "-help" || a == "--help" || a == "help" }
