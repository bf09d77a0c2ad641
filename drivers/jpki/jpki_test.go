package jpki_test

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/villagehall/kiosk/drivers/jpki"
	"github.com/villagehall/kiosk/drivers/jpki/virtualcard"
	"github.com/villagehall/kiosk/kiosk"
)

var now = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func load(t testing.TB, name string) (*virtualcard.Profile, *virtualcard.Card) {
	t.Helper()
	p, err := virtualcard.LoadProfile(filepath.Join("..", "..", "testdata", "cards", name+".json"), now)
	if err != nil {
		t.Fatal(err)
	}
	return p, virtualcard.New(p)
}

// recorder counts and keeps every command so tests can prove what reached the card.
type recorder struct {
	t     jpki.Transport
	cmds  [][]byte
	failN int // fail the failN-th command (1-based) with failErr
	err   error
}

func (r *recorder) Transmit(cmd []byte) ([]byte, error) {
	r.cmds = append(r.cmds, append([]byte{}, cmd...))
	if r.failN == len(r.cmds) {
		return nil, r.err
	}
	return r.t.Transmit(cmd)
}

func (r *recorder) verifies() int {
	n := 0
	for _, c := range r.cmds {
		if len(c) > 4 && c[1] == 0x20 {
			n++
		}
	}
	return n
}

func TestReadStatusProfiles(t *testing.T) {
	tests := []struct {
		profile              string
		kind                 kiosk.CardKind
		hasAuth, hasSign     bool
		authTries, signTries int
		err                  error
	}{
		{"fresh", kiosk.CardMyNumber, true, true, 3, 5, nil},
		{"renewal", kiosk.CardMyNumber, true, true, 3, 5, nil},
		{"expired", kiosk.CardMyNumber, true, true, 3, 5, nil},
		{"auth-last-try", kiosk.CardMyNumber, true, true, 1, 5, nil},
		{"auth-locked", kiosk.CardMyNumber, true, true, 0, 5, nil},
		{"sign-locked", kiosk.CardMyNumber, true, true, 3, 0, nil},
		{"no-sign", kiosk.CardMyNumber, true, false, 3, 5, nil},
		{"juki", kiosk.CardJuki, false, false, 0, 0, nil},
		{"not-jpki", kiosk.CardUnknown, false, false, 0, 0, kiosk.ErrNotJPKI},
		{"garbage", kiosk.CardUnknown, false, false, 0, 0, kiosk.ErrBadResponse},
		{"unknown-sw", kiosk.CardUnknown, false, false, 0, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.profile, func(t *testing.T) {
			p, vc := load(t, tt.profile)
			c := jpki.New(vc)
			st, err := c.ReadStatus()
			if tt.profile == "unknown-sw" {
				var swe *kiosk.StatusWordError
				if !errors.As(err, &swe) || swe.SW != 0x6F00 {
					t.Fatalf("err = %v, want a StatusWordError 6F00", err)
				}
				return
			}
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if st.Kind != tt.kind || st.HasAuth != tt.hasAuth || st.HasSign != tt.hasSign {
				t.Fatalf("got kind %s auth %v sign %v", st.Kind, st.HasAuth, st.HasSign)
			}
			if tt.kind != kiosk.CardMyNumber {
				return
			}
			if st.AuthTries != tt.authTries || st.SignTries != tt.signTries {
				t.Fatalf("tries auth %d sign %d, want %d %d", st.AuthTries, st.SignTries, tt.authTries, tt.signTries)
			}
			if st.AuthLocked != (tt.authTries == 0) || st.SignLocked != (tt.signTries == 0) {
				t.Fatalf("locked flags wrong: %+v", st)
			}
			want, err := x509.ParseCertificate(p.Auth.Cert())
			if err != nil {
				t.Fatal(err)
			}
			if st.Auth == nil || st.Auth.Serial.Cmp(want.SerialNumber) != 0 || !st.Auth.NotBefore.Equal(want.NotBefore) || !st.Auth.NotAfter.Equal(want.NotAfter) {
				t.Fatalf("auth certificate validity %+v differs from the profile's", st.Auth)
			}
			budget := 10 + (len(p.Auth.Cert())+255)/256
			if st.APDUs > budget {
				t.Fatalf("status read took %d APDUs, budget %d", st.APDUs, budget)
			}
		})
	}
}

func TestStatusBudgetTypicalCert(t *testing.T) {
	p, vc := load(t, "fresh")
	c := jpki.New(vc)
	st, err := c.ReadStatus()
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(p.Auth.Cert())
	if err != nil {
		t.Fatal(err)
	}
	want := 10 + (len(cert.Raw)+255)/256
	if st.APDUs != want || c.APDUs() != want {
		t.Fatalf("APDUs = %d (%d counted), want exactly %d for a %d-byte certificate", st.APDUs, c.APDUs(), want, len(cert.Raw))
	}
}

func TestMalformedPINNeverReachesCard(t *testing.T) {
	tests := []struct {
		kind kiosk.PINKind
		pin  string
	}{
		{kiosk.PINAuth, "123"}, {kiosk.PINAuth, "12345"}, {kiosk.PINAuth, "12a4"}, {kiosk.PINAuth, ""},
		{kiosk.PINSign, "ABC12"}, {kiosk.PINSign, "ABCDEFGHIJ1234567"}, {kiosk.PINSign, "ABCDEF"},
		{kiosk.PINSign, "123456"}, {kiosk.PINSign, "ABC-123"}, {kiosk.PINSign, "ＡＢＣ１２３"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%q", tt.kind, tt.pin), func(t *testing.T) {
			_, vc := load(t, "fresh")
			rec := &recorder{t: vc}
			c := jpki.New(rec)
			err := c.Verify(tt.kind, []byte(tt.pin))
			if !errors.Is(err, kiosk.ErrPINFormat) {
				t.Fatalf("err = %v, want ErrPINFormat", err)
			}
			if len(rec.cmds) != 0 {
				t.Fatalf("%d APDUs reached the card", len(rec.cmds))
			}
			err = c.ChangePIN(tt.kind, tt.kind.MaxTries(), []byte("1234"), []byte(tt.pin))
			if !errors.Is(err, kiosk.ErrPINFormat) || len(rec.cmds) != 0 {
				t.Fatalf("change: err = %v, %d APDUs", err, len(rec.cmds))
			}
			if vc.Tries(0x0018) != 3 || vc.Tries(0x001B) != 5 {
				t.Fatal("a try was spent")
			}
		})
	}
}

func TestWrongPINCountsDownAndBlocks(t *testing.T) {
	for _, k := range []kiosk.PINKind{kiosk.PINAuth, kiosk.PINSign} {
		t.Run(k.String(), func(t *testing.T) {
			_, vc := load(t, "fresh")
			c := jpki.New(vc)
			wrong := []byte("9999")
			if k == kiosk.PINSign {
				wrong = []byte("WRONG9")
			}
			for want := k.MaxTries() - 1; want >= 0; want-- {
				err := c.Verify(k, append([]byte{}, wrong...))
				var wp *kiosk.WrongPINError
				if !errors.As(err, &wp) || wp.Tries != want {
					t.Fatalf("err = %v, want wrong PIN with %d left", err, want)
				}
				if errors.Is(err, kiosk.ErrBlocked) != (want == 0) {
					t.Fatalf("blocked = %v at %d left", errors.Is(err, kiosk.ErrBlocked), want)
				}
				if n, err := c.TriesLeft(k); err != nil || n != want {
					t.Fatalf("TriesLeft = %d, %v; want %d", n, err, want)
				}
			}
			right := []byte("1234")
			if k == kiosk.PINSign {
				right = []byte("abc123") // lowercase: upper-cased before sending
			}
			if err := c.Verify(k, right); !errors.Is(err, kiosk.ErrBlocked) {
				t.Fatalf("right PIN on a blocked card: err = %v, want ErrBlocked", err)
			}
			var swe *kiosk.StatusWordError
			if err := c.Verify(k, right); !errors.As(err, &swe) || swe.Status() != 0x6984 {
				t.Fatalf("want SW 6984, got %v", err)
			}
			other := kiosk.PINSign
			if k == kiosk.PINSign {
				other = kiosk.PINAuth
			}
			if n, _ := c.TriesLeft(other); n != other.MaxTries() {
				t.Fatalf("blocking %s touched %s: %d left", k, other, n)
			}
		})
	}
}

func TestVerifyRestoresCounter(t *testing.T) {
	_, vc := load(t, "fresh")
	c := jpki.New(vc)
	if err := c.Verify(kiosk.PINSign, []byte("XXX999")); err == nil {
		t.Fatal("wrong PIN accepted")
	}
	if err := c.Verify(kiosk.PINSign, []byte("abc123")); err != nil {
		t.Fatalf("lowercase sign PIN: %v", err)
	}
	if n := vc.Tries(0x001B); n != 5 {
		t.Fatalf("counter %d after success, want 5", n)
	}
}

func TestChangePIN(t *testing.T) {
	tests := []struct {
		kind          kiosk.PINKind
		old, new      string
		stored        string
		fid           uint16
		wantErr       error
		wantTriesLeft int
	}{
		{kiosk.PINAuth, "1234", "5678", "5678", 0x0018, nil, 3},
		{kiosk.PINSign, "ABC123", "newpin42", "NEWPIN42", 0x001B, nil, 5},
		{kiosk.PINAuth, "4321", "5678", "1234", 0x0018, &kiosk.WrongPINError{}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String()+"/"+tt.new, func(t *testing.T) {
			_, vc := load(t, "fresh")
			rec := &recorder{t: vc}
			c := jpki.New(rec)
			err := c.ChangePIN(tt.kind, tt.kind.MaxTries(), []byte(tt.old), []byte(tt.new))
			if tt.wantErr == nil && err != nil {
				t.Fatal(err)
			}
			var wp *kiosk.WrongPINError
			if tt.wantErr != nil && !errors.As(err, &wp) {
				t.Fatalf("err = %v", err)
			}
			if !vc.PINMatches(tt.fid, []byte(tt.stored)) {
				t.Fatalf("card does not hold %q", tt.stored)
			}
			if tt.wantErr == nil && len(rec.cmds) != 5 {
				t.Fatalf("change took %d APDUs, want 5", len(rec.cmds))
			}
			if n := vc.Tries(tt.fid); n != tt.wantTriesLeft {
				t.Fatalf("tries %d want %d", n, tt.wantTriesLeft)
			}
		})
	}
}

func TestChangeOutcomeUnknownWhenAnswerLost(t *testing.T) {
	for failAt, wantUnknown := range map[int]bool{1: false, 2: false, 3: false, 4: false, 5: true} {
		t.Run(fmt.Sprint(failAt), func(t *testing.T) {
			_, vc := load(t, "fresh")
			rec := &recorder{t: vc, failN: failAt, err: kiosk.ErrCardRemoved}
			err := jpki.New(rec).ChangePIN(kiosk.PINAuth, 3, []byte("1234"), []byte("5678"))
			if !errors.Is(err, kiosk.ErrCardRemoved) {
				t.Fatalf("err = %v, want it to wrap ErrCardRemoved", err)
			}
			if errors.Is(err, kiosk.ErrOutcomeUnknown) != wantUnknown {
				t.Fatalf("unknown = %v, want %v (%v)", !wantUnknown, wantUnknown, err)
			}
		})
	}
}

func TestReadSignCert(t *testing.T) {
	p, vc := load(t, "fresh")
	rec := &recorder{t: vc}
	c := jpki.New(rec)
	v, err := c.ReadSignCert(5, []byte("abc123"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := x509.ParseCertificate(p.Sign.Cert())
	if err != nil {
		t.Fatal(err)
	}
	if v.Serial.Cmp(want.SerialNumber) != 0 || !v.NotBefore.Equal(want.NotBefore) || !v.NotAfter.Equal(want.NotAfter) {
		t.Fatalf("signing certificate validity %+v differs from the profile's", v)
	}
	if want := 5 + (len(p.Sign.Cert())+255)/256; len(rec.cmds) != want {
		t.Fatalf("%d APDUs, want %d", len(rec.cmds), want)
	}
	// Without the PIN in a new session the file is protected.
	vc.Reset()
	if _, err := c.ReadCert(jpki.EFSignCert); !errors.Is(err, kiosk.ErrSecurityStatus) {
		t.Fatalf("unverified read: %v, want ErrSecurityStatus", err)
	}
	if _, err := c.ReadSignCert(5, []byte("ZZZ999")); !errors.As(err, new(*kiosk.WrongPINError)) {
		t.Fatalf("wrong PIN: %v", err)
	}
}

// TestTriesGuard: a VERIFY is never sent under a count the resident was
// not shown. The guard reads the counter inside the operation's own
// transaction and stops there.
func TestTriesGuard(t *testing.T) {
	tests := []struct {
		name    string
		profile string
		shown   int
		op      func(c *jpki.Card, shown int) error
		tries   int // on the card, which the error must report
		fid     uint16
	}{
		{"change auth, another client spent a try", "fresh", 3, changeAuth, 2, 0x0018},
		{"change auth, screen showed one but three", "fresh", 1, changeAuth, 3, 0x0018},
		{"change auth, locked meanwhile", "auth-locked", 3, changeAuth, 0, 0x0018},
		{"sign check, one left but two shown", "fresh", 2, readSign, 5, 0x001B},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, vc := load(t, tt.profile)
			if tt.name == "change auth, another client spent a try" {
				if err := jpki.New(vc).Verify(kiosk.PINAuth, []byte("9999")); err == nil {
					t.Fatal("wrong PIN accepted")
				}
			}
			before := vc.Tries(tt.fid)
			rec := &recorder{t: vc}
			err := tt.op(jpki.New(rec), tt.shown)
			var changed *kiosk.TriesChangedError
			if !errors.As(err, &changed) || changed.Tries != tt.tries || changed.Shown != tt.shown {
				t.Fatalf("err = %v, want TriesChangedError{Shown %d, Tries %d}", err, tt.shown, tt.tries)
			}
			if errors.Is(err, kiosk.ErrBlocked) != (tt.tries == 0) {
				t.Fatalf("ErrBlocked = %v with %d tries", errors.Is(err, kiosk.ErrBlocked), tt.tries)
			}
			if len(rec.cmds) != 3 {
				t.Fatalf("%d APDUs, want 3 (SELECT, SELECT, empty VERIFY)", len(rec.cmds))
			}
			if last := rec.cmds[2]; len(last) != 4 || last[1] != 0x20 {
				t.Fatalf("last APDU % X is not an empty VERIFY", last)
			}
			if vc.Tries(tt.fid) != before {
				t.Fatalf("a try was spent: %d -> %d", before, vc.Tries(tt.fid))
			}
		})
	}
}

func changeAuth(c *jpki.Card, shown int) error {
	return c.ChangePIN(kiosk.PINAuth, shown, []byte("1234"), []byte("5678"))
}

func readSign(c *jpki.Card, shown int) error {
	_, err := c.ReadSignCert(shown, []byte("ABC123"))
	return err
}

func TestReadCACerts(t *testing.T) {
	_, vc := load(t, "fresh")
	c := jpki.New(vc)
	for _, fid := range []uint16{jpki.EFAuthCACert, jpki.EFSignCACert, jpki.EFAuthCert} {
		der, err := c.ReadCert(fid)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := x509.ParseCertificate(der); err != nil {
			t.Fatalf("EF %04X: %v", fid, err)
		}
	}
}

func TestEmptyVerify9000AfterVerify(t *testing.T) {
	_, vc := load(t, "quirk-verified-9000")
	c := jpki.New(vc)
	if err := c.Verify(kiosk.PINAuth, []byte("1234")); err != nil {
		t.Fatal(err)
	}
	// Same card session: the card answers 9000 to an empty VERIFY.
	st, err := c.ReadStatus()
	if err != nil {
		t.Fatal(err)
	}
	if st.AuthTries != 3 || st.AuthLocked {
		t.Fatalf("auth tries %d locked %v after 9000", st.AuthTries, st.AuthLocked)
	}
}

func TestDERLength(t *testing.T) {
	tests := []struct {
		in   []byte
		want int
		ok   bool
	}{
		{[]byte{0x30, 0x03}, 5, true},
		{[]byte{0x30, 0x81, 0x80}, 131, true},
		{[]byte{0x30, 0x82, 0x04, 0xA2}, 1190, true},
		{[]byte{0x30, 0x83, 0x01, 0x00, 0x00}, 65541, true},
		{[]byte{0x30, 0x81, 0x10}, 0, false}, // non-minimal
		{[]byte{0x30, 0x82, 0x00, 0x90}, 0, false},
		{[]byte{0x30, 0x80}, 0, false}, // indefinite: not DER
		{[]byte{0x31, 0x03}, 0, false},
		{[]byte{0x30}, 0, false},
		{[]byte{0x30, 0x84, 1, 2, 3, 4}, 0, false},
		{[]byte{0x30, 0x82, 0x04}, 0, false},
	}
	for _, tt := range tests {
		got, err := jpki.DERLength(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("DERLength(% X) = %d, %v", tt.in, got, err)
		}
		if err != nil && !errors.Is(err, kiosk.ErrBadResponse) {
			t.Errorf("DERLength(% X) error %v does not wrap ErrBadResponse", tt.in, err)
		}
	}
}

func TestNoPINInErrors(t *testing.T) {
	const canary = "7Q9Z4K"
	_, vc := load(t, "fresh")
	c := jpki.New(vc)
	errs := []error{
		c.Verify(kiosk.PINSign, []byte(canary)),
		c.ChangePIN(kiosk.PINSign, 5, []byte(canary), []byte("7q9z4k")),
		c.Verify(kiosk.PINSign, []byte(canary+"!")),
	}
	_, err := c.ReadSignCert(5, []byte(canary))
	errs = append(errs, err)
	for _, err := range errs {
		if err == nil {
			t.Fatal("expected an error")
		}
		if bytes.Contains(bytes.ToUpper([]byte(err.Error())), []byte(canary)) {
			t.Fatalf("PIN in error: %v", err)
		}
	}
}

func TestPINBuffersWiped(t *testing.T) {
	// The driver wipes its own APDU buffers: capture them and look after the call.
	_, vc := load(t, "fresh")
	var seen [][]byte
	c := jpki.New(transportFunc(func(cmd []byte) ([]byte, error) {
		seen = append(seen, cmd) // keep the driver's buffer, not a copy
		return vc.Transmit(cmd)
	}))
	if err := c.ChangePIN(kiosk.PINAuth, 3, []byte("1234"), []byte("8642")); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range seen {
		if bytes.Contains(cmd, []byte("1234")) || bytes.Contains(cmd, []byte("8642")) {
			t.Fatalf("PIN bytes left in an APDU buffer after the call: % X", cmd)
		}
	}
}

type transportFunc func([]byte) ([]byte, error)

func (f transportFunc) Transmit(b []byte) ([]byte, error) { return f(b) }
