//go:build !linux

package main

// On Windows and macOS kioskctl is the technician's laptop tool: provisioning,
// journal export/verify, receipt preview. The card and device commands run
// on the kiosk itself (over ssh), so they say so here instead of vanishing
// from the usage.
func deviceCommands(m map[string]command) {
	m["card"] = notBuilt("card", "a card reader through pcscd")
	m["selftest"] = notBuilt("selftest", "the kiosk's keypad, printer and touchscreen")
}
