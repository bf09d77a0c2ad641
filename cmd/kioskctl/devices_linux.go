//go:build linux

package main

// deviceCommands adds the commands that talk to the kiosk's own devices. The
// card reader goes through libpcsclite (cgo): cardCommand is in card_cgo.go
// or card_nocgo.go.
func deviceCommands(m map[string]command) {
	m["selftest"] = selftestCmd
	m["card"] = cardCommand()
}
