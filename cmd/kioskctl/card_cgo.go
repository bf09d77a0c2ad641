//go:build linux && cgo

package main

func cardCommand() command { return cardCmd }
