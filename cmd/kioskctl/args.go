package main

import (
	"flag"
	"slices"
)

// parseArgs parses fs from args with flags and positional arguments in any
// order (Go's flag package stops at the first positional one, so
// `journal verify DIR --config FILE` would leave --config unread and the
// folder unseen). Everything after "--" is positional. It returns the
// positional arguments in order.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

// hasFlag reports whether the flag name was given on the command line.
func hasFlag(fs *flag.FlagSet, name string) bool {
	var names []string
	fs.Visit(func(f *flag.Flag) { names = append(names, f.Name) })
	return slices.Contains(names, name)
}
