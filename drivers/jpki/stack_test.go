package jpki_test

// Tests through the real stack: ebfe/scard → libpcsclite → pcscd → vpcd →
// our virtual card, inside the namespace .ci/pcsc-exec makes. OpenSC's JPKI
// driver, written by others against real cards, reads the same card as an
// independent client.

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/villagehall/kiosk/drivers/jpki"
	"github.com/villagehall/kiosk/drivers/jpki/virtualcard"
	"github.com/villagehall/kiosk/drivers/pcsc"
	"github.com/villagehall/kiosk/drivers/pcsc/pcsctest"
	"github.com/villagehall/kiosk/drivers/pcsc/vpcd"
	"github.com/villagehall/kiosk/kiosk"
)

func loadNow(t testing.TB, name string) (*virtualcard.Profile, *virtualcard.Card) {
	t.Helper()
	p, err := virtualcard.LoadProfile(filepath.Join("..", "..", "testdata", "cards", name+".json"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return p, virtualcard.New(p)
}

func connect(t testing.TB) (*pcsc.Card, *jpki.Card) {
	t.Helper()
	conn := pcsctest.Connect(t)
	return conn, jpki.New(conn)
}

func TestStackStatusEveryProfile(t *testing.T) {
	pcsctest.StartPCSCD(t)
	for _, name := range []string{"fresh", "renewal", "expired", "auth-last-try", "auth-locked", "sign-locked", "no-sign", "juki", "not-jpki", "garbage", "quirk-verified-9000"} {
		t.Run(name, func(t *testing.T) {
			p, vc := loadNow(t, name)
			var log vpcd.Log
			slot := pcsctest.Insert(t, vc, vpcd.WithAPDULog(&log))
			defer pcsctest.Remove(t, slot)
			_, c := connect(t)
			st, err := c.ReadStatus()
			switch name {
			case "not-jpki":
				if !errors.Is(err, kiosk.ErrNotJPKI) {
					t.Fatalf("err = %v, want ErrNotJPKI", err)
				}
				return
			case "garbage":
				if !errors.Is(err, kiosk.ErrBadResponse) {
					t.Fatalf("err = %v, want ErrBadResponse", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if name == "juki" {
				if st.Kind != kiosk.CardJuki {
					t.Fatalf("kind %s", st.Kind)
				}
				return
			}
			if st.Kind != kiosk.CardMyNumber || st.HasSign != p.Sign.Present || !sameValidity(t, st.Auth, p.Auth.Cert()) {
				t.Fatalf("status %+v does not match profile", st)
			}
			if st.AuthTries != p.Auth.Tries || st.SignTries != p.Sign.Tries {
				t.Fatalf("tries %d/%d, profile %d/%d", st.AuthTries, st.SignTries, p.Auth.Tries, p.Sign.Tries)
			}
			// Counted where the card answers, behind pcscd, not by the driver.
			r := parseAPDULog(t, log.Bytes())
			if r.apdus != statusAPDUs || st.APDUs != r.apdus {
				t.Fatalf("the card answered %d APDUs (driver counted %d), want %d", r.apdus, st.APDUs, statusAPDUs)
			}
			if subject, _ := certLayout(t, p.Auth.Cert()); r.extent(t, jpki.EFAuthCert, p.Auth.Cert()) != subject {
				t.Fatalf("auth certificate: read %d bytes, its validity ends at %d", r.extent(t, jpki.EFAuthCert, p.Auth.Cert()), subject)
			}
		})
	}
}

func TestStackChangePINAndSignCert(t *testing.T) {
	pcsctest.StartPCSCD(t)
	p, vc := loadNow(t, "fresh")
	pcsctest.Insert(t, vc)
	_, c := connect(t)
	if err := c.ChangePIN(kiosk.PINAuth, 3, []byte("1234"), []byte("2468")); err != nil {
		t.Fatal(err)
	}
	if err := c.ChangePIN(kiosk.PINSign, 5, []byte("abc123"), []byte("kiosk2026")); err != nil {
		t.Fatal(err)
	}
	if err := c.Verify(kiosk.PINAuth, []byte("2468")); err != nil {
		t.Fatalf("new auth PIN: %v", err)
	}
	v, err := c.ReadSignCert(5, []byte("KIOSK2026"))
	if err != nil {
		t.Fatalf("new sign PIN: %v", err)
	}
	if !sameValidity(t, v, p.Sign.Cert()) {
		t.Fatal("signing certificate validity differs")
	}
	if _, err := c.ReadSignCert(5, []byte("ABC123")); !errors.As(err, new(*kiosk.WrongPINError)) {
		t.Fatalf("old sign PIN: %v, want wrong PIN", err)
	}
	if n, err := c.TriesLeft(kiosk.PINSign); err != nil || n != 4 {
		t.Fatalf("sign tries %d, %v", n, err)
	}
}

// TestStackSignCertNoSubjectByte: after a signing-certificate check
// through pcscd and vpcd, the virtual card's own APDU log shows that not
// one byte of the certificate's subject or anything after it (the
// subjectAltName with the resident's name, address and birth date) was
// sent, and that the check cost 7 APDUs. The subject's offset comes from
// crypto/x509, not from the driver's walk.
func TestStackSignCertNoSubjectByte(t *testing.T) {
	pcsctest.StartPCSCD(t)
	p, vc := loadNow(t, "fresh")
	var log vpcd.Log
	pcsctest.Insert(t, vc, vpcd.WithAPDULog(&log))
	_, c := connect(t)
	v, err := c.ReadSignCert(5, []byte("ABC123"))
	if err != nil {
		t.Fatal(err)
	}
	if !sameValidity(t, v, p.Sign.Cert()) {
		t.Fatalf("validity %+v differs from the certificate's", v)
	}
	r := parseAPDULog(t, log.Bytes())
	der := p.Sign.Cert()
	subject, _ := certLayout(t, der)
	sent := r.extent(t, jpki.EFSignCert, der)
	if sent > subject {
		t.Fatalf("the card sent %d bytes of the signing certificate; its subject starts at %d", sent, subject)
	}
	if sent < subject {
		t.Fatalf("only %d bytes sent, the validity ends at %d: the log does not show the read", sent, subject)
	}
	for _, personal := range []string{virtualcard.FakeName, virtualcard.FakeAddress, virtualcard.FakeBirth, "Shiken-mura", "TESTSIGN"} {
		if bytes.Contains(log.Bytes(), []byte(hex.EncodeToString([]byte(personal)))) {
			t.Fatalf("%q crossed pcscd", personal)
		}
	}
	if r.apdus != signCertAPDUs {
		t.Fatalf("the card answered %d APDUs, want %d", r.apdus, signCertAPDUs)
	}
	t.Logf("%d APDUs; %d of %d bytes sent, the subject starts at %d", r.apdus, sent, len(der), subject)
}

// gate blocks the card at APDU number n until released, so a test can
// pull the card while a command is on its way.
type gate struct {
	*virtualcard.Card
	n        int
	mu       sync.Mutex
	count    int
	reached  chan struct{}
	released chan struct{}
}

func newGate(c *virtualcard.Card, n int) *gate {
	return &gate{Card: c, n: n, reached: make(chan struct{}), released: make(chan struct{})}
}

func (g *gate) Process(apdu []byte) []byte {
	g.mu.Lock()
	g.count++
	hit := g.count == g.n
	g.mu.Unlock()
	resp := g.Card.Process(apdu)
	if hit {
		close(g.reached)
		<-g.released
	}
	return resp
}

func TestStackRemovalMidOperation(t *testing.T) {
	pcsctest.StartPCSCD(t)
	ops := []struct {
		name    string
		at      int // APDU that never gets its answer back
		run     func(*jpki.Card) error
		unknown bool
	}{
		{"status/select", 1, func(c *jpki.Card) error { _, err := c.ReadStatus(); return err }, false},
		{"status/cert-read", 7, func(c *jpki.Card) error { _, err := c.ReadStatus(); return err }, false},
		{"tries", 3, func(c *jpki.Card) error { _, err := c.TriesLeft(kiosk.PINAuth); return err }, false},
		{"change/guard", 3, func(c *jpki.Card) error { return c.ChangePIN(kiosk.PINAuth, 3, []byte("1234"), []byte("5678")) }, false},
		{"change/verify", 4, func(c *jpki.Card) error { return c.ChangePIN(kiosk.PINAuth, 3, []byte("1234"), []byte("5678")) }, false},
		{"change/change", 5, func(c *jpki.Card) error { return c.ChangePIN(kiosk.PINAuth, 3, []byte("1234"), []byte("5678")) }, true},
		{"sign-cert/read", 7, func(c *jpki.Card) error { _, err := c.ReadSignCert(5, []byte("ABC123")); return err }, false},
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			_, vc := loadNow(t, "fresh")
			g := newGate(vc, op.at)
			slot := pcsctest.Insert(t, g)
			_, c := connect(t)
			done := make(chan error, 1)
			go func() { done <- op.run(c) }()
			select {
			case <-g.reached:
			case err := <-done:
				t.Fatalf("operation ended before APDU %d: %v", op.at, err)
			case <-time.After(10 * time.Second):
				t.Fatal("APDU never reached the card")
			}
			removed := make(chan error, 1)
			go func() { removed <- slot.Remove() }()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if _, err := pcsc.WaitCard(ctx, pcsctest.Reader, false); err != nil {
				t.Fatal(err)
			}
			close(g.released)
			<-removed
			select {
			case err := <-done:
				if !errors.Is(err, kiosk.ErrCardRemoved) && !errors.Is(err, kiosk.ErrReaderGone) {
					t.Fatalf("err = %v, want a typed removal", err)
				}
				if errors.Is(err, kiosk.ErrOutcomeUnknown) != op.unknown {
					t.Fatalf("outcome unknown = %v, want %v: %v", !op.unknown, op.unknown, err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("operation hangs after removal")
			}
			// Re-insertion: a new connection works without restarting anything.
			again := pcsctest.Insert(t, vc)
			_, c2 := connect(t)
			if _, err := c2.ReadStatus(); err != nil {
				t.Fatalf("after re-insertion: %v", err)
			}
			pcsctest.Remove(t, again)
		})
	}
}

func TestStackPCSCDGone(t *testing.T) {
	d := pcsctest.StartPCSCD(t)
	_, vc := loadNow(t, "fresh")
	pcsctest.Insert(t, vc)
	_, c := connect(t)
	d.Stop()
	_, err := c.ReadStatus()
	if !errors.Is(err, kiosk.ErrServiceDown) && !errors.Is(err, kiosk.ErrReaderGone) && !errors.Is(err, kiosk.ErrCardRemoved) {
		t.Fatalf("err = %v, want a typed error", err)
	}
	if _, err := pcsc.Open(); err == nil {
		// libpcsclite may establish lazily; a connect must still fail typed.
		t.Log("Open succeeded with pcscd stopped")
	}
}

// opensc runs an OpenSC tool with its JPKI driver forced.
func opensc(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "OPENSC_DRIVER=jpki")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestOpenSCReadsOurCard(t *testing.T) {
	for _, tool := range []string{"opensc-tool", "pkcs15-tool", "pkcs11-tool"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s missing (apt-get install opensc): make test installs it", tool)
		}
	}
	pcsctest.StartPCSCD(t)
	p, vc := loadNow(t, "auth-last-try")
	pcsctest.Insert(t, vc)

	if out := opensc(t, "opensc-tool", "-n"); strings.TrimSpace(lastLine(out)) != "jpki" {
		t.Fatalf("opensc-tool -n = %q, want jpki", out)
	}

	pins := opensc(t, "pkcs15-tool", "--list-pins")
	tries := regexp.MustCompile(`Tries left\s*:\s*(\d+)`).FindAllStringSubmatch(pins, -1)
	if len(tries) != 2 || tries[0][1] != fmt.Sprint(p.Auth.Tries) || tries[1][1] != fmt.Sprint(p.Sign.Tries) {
		t.Fatalf("OpenSC tries %v, profile auth %d sign %d\n%s", tries, p.Auth.Tries, p.Sign.Tries, pins)
	}

	certPEM := opensc(t, "pkcs15-tool", "--read-certificate", "1")
	blk, _ := pem.Decode([]byte(certPEM[strings.Index(certPEM, "-----BEGIN"):]))
	if blk == nil || !bytes.Equal(blk.Bytes, p.Auth.Cert()) {
		t.Fatalf("OpenSC's auth certificate differs from the profile's:\n%s", certPEM)
	}

	// The signing certificate through OpenSC's PKCS#11 module, after login.
	out := filepath.Join(t.TempDir(), "sign.der")
	opensc(t, "pkcs11-tool", "--module", pkcs11Module(t), "--token-label", "JPKI (Digital Signature PIN)",
		"--login", "--pin", "ABC123", "--read-object", "--type", "cert", "--id", "02", "-o", out)
	der, err := os.ReadFile(out)
	if err != nil || !bytes.Equal(der, p.Sign.Cert()) {
		t.Fatalf("OpenSC's signing certificate differs from the profile's (%v)", err)
	}
	if _, err := x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}

	// A wrong PIN through OpenSC costs exactly one try, and our driver sees it.
	cmd := exec.Command("pkcs15-tool", "--verify-pin", "--auth-id", "02", "--pin", "ZZZ999")
	cmd.Env = append(os.Environ(), "OPENSC_DRIVER=jpki")
	if o, err := cmd.CombinedOutput(); err == nil {
		t.Fatalf("wrong PIN accepted by OpenSC:\n%s", o)
	}
	_, c := connect(t)
	if n, err := c.TriesLeft(kiosk.PINSign); err != nil || n != p.Sign.Tries-1 {
		t.Fatalf("our driver sees %d tries (%v), want %d", n, err, p.Sign.Tries-1)
	}
	if vc.Tries(jpki.EFSignPIN) != p.Sign.Tries-1 {
		t.Fatal("card counter disagrees")
	}
}

func pkcs11Module(t testing.TB) string {
	for _, m := range []string{"/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so", "/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so", "/usr/lib/opensc-pkcs11.so"} {
		if _, err := os.Stat(m); err == nil {
			return m
		}
	}
	t.Fatal("opensc-pkcs11.so not found")
	return ""
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// sameValidity says whether v is the serial and validity of the certificate der.
func sameValidity(t testing.TB, v *kiosk.CertValidity, der []byte) bool {
	t.Helper()
	want, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return v != nil && v.Serial.Cmp(want.SerialNumber) == 0 && v.NotBefore.Equal(want.NotBefore) && v.NotAfter.Equal(want.NotAfter)
}
