package main

import (
	"encoding/hex"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/drivers/jpki"
	"github.com/villagehall/kiosk/drivers/pcsc/vscard"
	"github.com/villagehall/kiosk/drivers/pcsc/vscard/vscardtest"
	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/sync/synctest"
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

// vcard --qemu-ccid as image-test drives it: a valid card in at start, its
// status read by the kiosk's driver through qemu's framing, "remove",
// "insert" of a card with a locked PIN, "quit"; each done command logged
// for the harness to wait on.
func TestQEMUCommands(t *testing.T) {
	q := vscardtest.Start(t)
	cards := filepath.Join("..", "..", "testdata", "cards")
	cmds, w := io.Pipe()
	defer w.Close()
	var log synctest.LogBuffer
	done := make(chan error, 1)
	go func() {
		done <- run([]string{"--profile", filepath.Join(cards, "fresh.json"), "--qemu-ccid", q.Addr()}, cmds, &log)
	}()
	waitLog := func(s string, n int) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); strings.Count(log.String(), s) < n; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("vcard did not log %q %d times; log:\n%s", s, n, log.String())
			}
		}
	}
	status := func() *kiosk.CardStatus {
		t.Helper()
		st, err := jpki.New(q).ReadStatus()
		if err != nil {
			t.Fatal(err)
		}
		return st
	}

	waitLog("card inserted", 1)
	q.WaitEvent("ATR " + qemuATR)
	if st := status(); st.AuthLocked || st.AuthTries != 3 {
		t.Fatalf("fresh card: auth locked %v, tries %d", st.AuthLocked, st.AuthTries)
	}
	fmt.Fprintln(w, "remove")
	waitLog("card removed", 1)
	q.WaitEvent("CardRemove")
	if _, err := q.APDU([]byte{0x00, 0xA4, 0x04, 0x0C}); err == nil {
		t.Fatal("an APDU was answered with no card in the reader")
	}
	fmt.Fprintln(w, "insert "+filepath.Join(cards, "auth-locked.json"))
	waitLog("card inserted", 2)
	if st := status(); !st.AuthLocked {
		t.Fatal("the card inserted second is not the locked one")
	}
	fmt.Fprintln(w, "frobnicate")
	fmt.Fprintln(w, "quit")
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("vcard did not quit")
	}
	if strings.Count(log.String(), "unknown command") != 1 {
		t.Fatalf("an unknown command went unremarked; log:\n%s", log.String())
	}
	q.WaitEvent("closed")
	ev := q.Events()
	if n := len(ev); n < 2 || ev[n-2] != "CardRemove" {
		t.Fatalf("quitting with a card in did not remove it first: %q", ev)
	}
}
