package main

// commands are the subcommands built on every system; the ones that need a
// card reader or the kiosk's devices are added by deviceCommands, which is
// per system (devices_linux.go, devices_other.go).
func commands() map[string]command {
	m := map[string]command{
		"journal":   journalCmd,
		"receipt":   receiptCmd,
		"provision": provisionCmd,
		"update":    updateCmd,
		"version":   versionCmd,
	}
	deviceCommands(m)
	return m
}
