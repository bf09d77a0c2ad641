//go:build linux && cgo

package main

import "github.com/villagehall/kiosk/drivers/pcsc"

// readerSeen says whether pcscd lists a reader: one of the health checks a
// trial boot must pass before the new slot is committed.
func readerSeen() bool {
	pc, err := pcsc.Open()
	if err != nil {
		return false
	}
	defer pc.Close()
	rs, _ := pc.Readers()
	return len(rs) > 0
}
