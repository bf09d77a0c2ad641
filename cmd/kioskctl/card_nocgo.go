//go:build linux && !cgo

package main

func cardCommand() command { return notBuilt("card", "a card reader through pcscd (a build with cgo)") }
