//go:build !linux || !cgo

package main

// readerSeen: a kioskctl built without pcscd (the technician's laptop build)
// never sees a reader, so its boot-check never commits a trial: only the
// kiosk's own build does.
func readerSeen() bool { return false }
