package main

import (
	"encoding/hex"
	"testing"

	"github.com/villagehall/kiosk/drivers/pcsc/vscard"
)

// The ATR vcard gives qemu's T=0-only reader: accepted by qemu's check,
// offering T=0 first, with a correct check byte (the XOR of T0..TCK is 0
// when any protocol other than T=0 is offered, as T=1 is here).
func TestQEMUATR(t *testing.T) {
	atr, err := hex.DecodeString(qemuATR)
	if err != nil {
		t.Fatal(err)
	}
	if err := vscard.CheckATR(atr); err != nil {
		t.Fatal(err)
	}
	// T0 = E0: TB1, TC1, TD1 follow; TD1's low nibble is the first protocol.
	if td1 := atr[4]; td1&0x0F != 0 {
		t.Fatalf("TD1 %02X offers T=%d first, want T=0", td1, td1&0x0F)
	}
	var x byte
	for _, b := range atr[1:] {
		x ^= b
	}
	if x != 0 {
		t.Fatalf("TCK wrong: XOR of T0..TCK is %02X", x)
	}
}
