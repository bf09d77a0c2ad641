package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/villagehall/kiosk/drivers/jpki"
	"github.com/villagehall/kiosk/drivers/jpki/virtualcard"
	"github.com/villagehall/kiosk/drivers/pcsc"
	"github.com/villagehall/kiosk/drivers/pcsc/pcsctest"
)

func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "vcard")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build vcard: %v\n%s", err, out)
	}
	return bin
}

// TestVcardAtARealCardsPace: the vcard binary plugs a profile's card into
// pcscd, answers at --apdu-delay's pace (each APDU after 40 ms, so the
// 12-APDU status read takes at least 480 ms: a lower bound, which sleeping
// guarantees), logs each APDU once, and SIGTERM pulls the card.
func TestVcardAtARealCardsPace(t *testing.T) {
	pcsctest.StartPCSCD(t)
	bin := build(t)
	apduLog := filepath.Join(t.TempDir(), "apdu.log")
	cmd := exec.Command(bin, "--profile", filepath.Join("..", "..", "testdata", "cards", "fresh.json"),
		"--vpcd", pcsctest.Addr, "--apdu-log", apduLog, "--apdu-delay", "40ms")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("vcard stderr:\n%s", stderr.String())
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := pcsc.WaitCard(ctx, pcsctest.Reader, true); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	st, err := jpki.New(pcsctest.Connect(t)).ReadStatus()
	took := time.Since(t0)
	if err != nil {
		t.Fatal(err)
	}
	if took < time.Duration(st.APDUs)*40*time.Millisecond {
		t.Fatalf("%d APDUs in %v: --apdu-delay 40ms not applied", st.APDUs, took)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		exited <- err // for Cleanup
		if err != nil {
			t.Fatalf("vcard exited with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("vcard ignores SIGTERM")
	}
	if _, err := pcsc.WaitCard(ctx, pcsctest.Reader, false); err != nil {
		t.Fatalf("card still in after SIGTERM: %v", err)
	}
	log, err := os.ReadFile(apduLog)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(log), "\n"); n != st.APDUs || n != 12 {
		t.Fatalf("APDU log has %d lines, the status read %d APDUs, want 12", n, st.APDUs)
	}
	if !strings.Contains(stderr.String(), "card removed") {
		t.Fatalf("no removal logged:\n%s", stderr.String())
	}
}

// TestGenPKI: vcard gen-pki writes a test PKI the profiles can load.
func TestGenPKI(t *testing.T) {
	bin := build(t)
	dir := t.TempDir()
	if out, err := exec.Command(bin, "gen-pki", dir).CombinedOutput(); err != nil {
		t.Fatalf("gen-pki: %v\n%s", err, out)
	}
	p, err := virtualcard.LoadPKI(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.SignCA.CheckSignatureFrom(p.SignCA); err != nil {
		t.Fatalf("signing CA not self-signed: %v", err)
	}
	if out, err := exec.Command(bin, "--apdu-delay", "soon", "--profile", "x").CombinedOutput(); err == nil || !strings.Contains(string(out), "want a duration") {
		t.Fatalf("a bad --apdu-delay: %v\n%s", err, out)
	}
}
