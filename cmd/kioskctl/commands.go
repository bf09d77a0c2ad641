package main

func commands() map[string]command {
	return map[string]command{
		"card":     cardCmd,
		"journal":  journalCmd,
		"receipt":  receiptCmd,
		"selftest": selftestCmd,

		"provision": provisionCmd,
		"update":    updateCmd,
	}
}
