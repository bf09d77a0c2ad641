package kiosk_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/villagehall/kiosk/kiosk"
)

var testKey = func() *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}()

// jstDay is 00:00 JST on a date.
func jstDay(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, kiosk.JST())
}

// makeCert returns a DER certificate valid from notBefore to the end of the
// JST day notAfterDay, the way JPKI certificates end (23:59:59 JST).
func makeCert(t testing.TB, serial int64, notBefore, notAfterDay time.Time) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{Country: []string{"JP"}, CommonName: "TEST"},
		NotBefore:    notBefore,
		NotAfter:     notAfterDay.Add(24*time.Hour - time.Second),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &testKey.PublicKey, testKey)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// makeValidity is makeCert read back the way a driver reads it: through
// ParseCertValidity.
func makeValidity(t testing.TB, serial int64, notBefore, notAfterDay time.Time) *kiosk.CertValidity {
	t.Helper()
	v, _, err := kiosk.ParseCertValidity(makeCert(t, serial, notBefore, notAfterDay))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestParseCertValidity(t *testing.T) {
	der := makeCert(t, 4242, jstDay(2022, 6, 1), jstDay(2027, 5, 31))
	whole, end, err := kiosk.ParseCertValidity(der)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if whole.Serial.Int64() != 4242 || !whole.NotBefore.Equal(c.NotBefore) || !whole.NotAfter.Equal(c.NotAfter) {
		t.Fatalf("got %+v", whole)
	}
	// The prefix up to the end of the validity is enough; one byte less is not.
	if v, end2, err := kiosk.ParseCertValidity(der[:end]); err != nil || end2 != end || !v.NotAfter.Equal(whole.NotAfter) {
		t.Fatalf("prefix of %d: %+v, %d, %v", end, v, end2, err)
	}
	for _, n := range []int{0, 1, 4, 8, 20, end - 1} {
		if _, _, err := kiosk.ParseCertValidity(der[:n]); !errors.Is(err, kiosk.ErrBadResponse) {
			t.Errorf("prefix of %d bytes: err = %v, want ErrBadResponse", n, err)
		}
	}
	for _, bad := range [][]byte{{0x30, 0x03, 0x01}, {0x31, 0x82, 0x01, 0x00}, {0x30, 0x80}, {0x30, 0x84, 1, 2, 3, 4}} {
		if _, _, err := kiosk.ParseCertValidity(bad); err == nil {
			t.Errorf("% X accepted", bad)
		}
	}
}

func TestRenewalOpens(t *testing.T) {
	tests := []struct {
		notAfter time.Time
		want     time.Time
	}{
		{jstDay(2027, 5, 31), jstDay(2027, 2, 28)}, // clamped to February's end
		{jstDay(2028, 5, 31), jstDay(2028, 2, 29)}, // leap year
		{jstDay(2027, 6, 30), jstDay(2027, 3, 30)},
		{jstDay(2027, 8, 31), jstDay(2027, 5, 31)},
		{jstDay(2027, 12, 31), jstDay(2027, 9, 30)},
		{jstDay(2027, 1, 15), jstDay(2026, 10, 15)}, // across the year
		{jstDay(2027, 3, 1), jstDay(2026, 12, 1)},
	}
	for _, tt := range tests {
		// not_after as JPKI writes it: 23:59:59 JST, i.e. 14:59:59Z.
		na := tt.notAfter.Add(24*time.Hour - time.Second).UTC()
		if got := kiosk.RenewalOpens(na); !got.Equal(tt.want) {
			t.Errorf("RenewalOpens(%s) = %s, want %s", na, got, tt.want)
		}
	}
}

func TestAssessCertVerdicts(t *testing.T) {
	issued := jstDay(2022, 6, 1)
	expiry := jstDay(2027, 5, 31) // renewal opens 2027-02-28
	v := makeValidity(t, 42, issued, expiry)
	tests := []struct {
		name    string
		now     time.Time
		trusted bool
		want    kiosk.Code
		days    int
	}{
		{"valid", jstDay(2026, 11, 25).Add(10 * time.Hour), true, kiosk.CodeValid, 187},
		{"day before renewal opens (JST late evening)", jstDay(2027, 2, 27).Add(23*time.Hour + 59*time.Minute), true, kiosk.CodeValid, 93},
		{"renewal opens at JST midnight", jstDay(2027, 2, 28), true, kiosk.CodeRenewal, 92},
		{"last day", jstDay(2027, 5, 31).Add(20 * time.Hour), true, kiosk.CodeRenewal, 0},
		{"expired next JST day", jstDay(2027, 6, 1), true, kiosk.CodeExpired, -1},
		{"not yet valid", jstDay(2022, 5, 31), true, kiosk.CodeNotYetValid, 1826},
		{"clock untrusted", jstDay(2030, 1, 1), false, kiosk.CodeDateUnknown, 0},
		// 2027-02-27 16:00Z is already 2027-02-28 01:00 JST: Japan time decides.
		{"UTC evening is JST next day", time.Date(2027, 2, 27, 16, 0, 0, 0, time.UTC), true, kiosk.CodeRenewal, 92},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := kiosk.AssessCert(*v, tt.now, tt.trusted)
			if c.Verdict != tt.want {
				t.Errorf("verdict = %s, want %s", c.Verdict, tt.want)
			}
			if tt.trusted && c.DaysLeft != tt.days {
				t.Errorf("days left = %d, want %d", c.DaysLeft, tt.days)
			}
			if !c.NotAfter.Equal(expiry.Add(24*time.Hour-time.Second)) || !c.RenewalFrom.Equal(jstDay(2027, 2, 28)) {
				t.Errorf("dates: not_after %s renewal %s", c.NotAfter, c.RenewalFrom)
			}
			if c.NotAfter.Location() != kiosk.JST() {
				t.Errorf("not_after not in JST: %s", c.NotAfter.Location())
			}
		})
	}
}

func TestAssess(t *testing.T) {
	now := jstDay(2026, 11, 25).Add(10 * time.Hour)
	good := makeValidity(t, 7, jstDay(2022, 6, 1), jstDay(2029, 5, 31))
	expired := makeValidity(t, 8, jstDay(2020, 6, 1), jstDay(2025, 5, 31))
	card := func(mod func(*kiosk.CardStatus)) *kiosk.CardStatus {
		st := &kiosk.CardStatus{Kind: kiosk.CardMyNumber, Label: "JPKIAPICCTOKEN2", HasAuth: true, HasSign: true,
			Auth: good, AuthTries: 3, SignTries: 5}
		if mod != nil {
			mod(st)
		}
		return st
	}
	tests := []struct {
		name       string
		st         *kiosk.CardStatus
		clock      *kiosk.ClockTrust
		want       kiosk.Code
		conditions []kiosk.Code
		canAuth    bool
		canSign    bool
	}{
		{"all good", card(nil), nil, kiosk.CodeValid, []kiosk.Code{kiosk.CodeValid}, true, true},
		{"expired", card(func(s *kiosk.CardStatus) { s.Auth = expired }), nil, kiosk.CodeExpired, []kiosk.Code{kiosk.CodeExpired}, true, true},
		{"auth locked", card(func(s *kiosk.CardStatus) { s.AuthLocked, s.AuthTries = true, 0 }), nil,
			kiosk.CodeAuthLocked, []kiosk.Code{kiosk.CodeAuthLocked, kiosk.CodeValid}, false, true},
		{"auth tries 0 means locked", card(func(s *kiosk.CardStatus) { s.AuthTries = 0 }), nil,
			kiosk.CodeAuthLocked, []kiosk.Code{kiosk.CodeAuthLocked, kiosk.CodeValid}, false, true},
		{"sign locked", card(func(s *kiosk.CardStatus) { s.SignLocked, s.SignTries = true, 0 }), nil,
			kiosk.CodeSignLocked, []kiosk.Code{kiosk.CodeSignLocked, kiosk.CodeValid}, true, false},
		{"both last try", card(func(s *kiosk.CardStatus) { s.AuthTries, s.SignTries = 1, 1 }), nil,
			kiosk.CodeValid, []kiosk.Code{kiosk.CodeValid, kiosk.CodeAuthLastTry, kiosk.CodeSignLastTry}, true, true},
		{"no signing certificate is not an error", card(func(s *kiosk.CardStatus) { s.HasSign, s.SignTries = false, 0 }), nil,
			kiosk.CodeValid, []kiosk.Code{kiosk.CodeValid, kiosk.CodeNoSignCert}, true, false},
		{"no auth certificate", card(func(s *kiosk.CardStatus) { s.HasAuth, s.Auth = false, nil }), nil,
			kiosk.CodeNoAuthCert, []kiosk.Code{kiosk.CodeNoAuthCert}, false, true},
		{"auth certificate flagged but not read", card(func(s *kiosk.CardStatus) { s.Auth = nil }), nil,
			kiosk.CodeCertBad, []kiosk.Code{kiosk.CodeCertBad}, true, true},
		{"clock behind build time", card(func(s *kiosk.CardStatus) { s.AuthTries = 1 }), kiosk.NewClockTrust(now.AddDate(1, 0, 0)),
			kiosk.CodeDateUnknown, []kiosk.Code{kiosk.CodeDateUnknown, kiosk.CodeAuthLastTry}, true, true},
		{"juki", &kiosk.CardStatus{Kind: kiosk.CardJuki, HasAuth: true, Auth: good}, nil, kiosk.CodeJuki, []kiosk.Code{kiosk.CodeJuki}, false, false},
		{"unknown card", &kiosk.CardStatus{Kind: kiosk.CardUnknown}, nil, kiosk.CodeNotJPKI, []kiosk.Code{kiosk.CodeNotJPKI}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := kiosk.Assess(tt.st, now, tt.clock)
			if a.Code != tt.want {
				t.Errorf("code = %s, want %s", a.Code, tt.want)
			}
			if len(a.Conditions) != len(tt.conditions) {
				t.Fatalf("conditions = %v, want %v", a.Conditions, tt.conditions)
			}
			for i := range tt.conditions {
				if a.Conditions[i] != tt.conditions[i] {
					t.Errorf("conditions = %v, want %v", a.Conditions, tt.conditions)
				}
			}
			if a.CanChange(kiosk.PINAuth) != tt.canAuth || a.CanChange(kiosk.PINSign) != tt.canSign {
				t.Errorf("can change auth %v sign %v, want %v %v", a.CanChange(kiosk.PINAuth), a.CanChange(kiosk.PINSign), tt.canAuth, tt.canSign)
			}
			if tt.want == kiosk.CodeDateUnknown && (a.ClockTrusted || a.Auth.NotAfter.IsZero()) {
				t.Errorf("untrusted clock must keep dates and say so: %+v", a)
			}
		})
	}
}

func TestAssessError(t *testing.T) {
	if a := kiosk.AssessError(kiosk.ErrNotJPKI); a.Code != kiosk.CodeNotJPKI {
		t.Errorf("ErrNotJPKI → %s", a.Code)
	}
	if a := kiosk.AssessError(&kiosk.StatusWordError{Op: "read", SW: 0x6F00}); a.Code != kiosk.CodeUnreadable {
		t.Errorf("SW error → %s", a.Code)
	}
}

func TestCertRef(t *testing.T) {
	k1, k2 := []byte("key one"), []byte("key two")
	s := big.NewInt(123456789)
	r := kiosk.CertRef(k1, s)
	if len(r) != 16 {
		t.Fatalf("ref %q: want 16 hex digits", r)
	}
	if r != kiosk.CertRef(k1, big.NewInt(123456789)) {
		t.Error("not deterministic")
	}
	if r == kiosk.CertRef(k2, s) || r == kiosk.CertRef(k1, big.NewInt(123456788)) {
		t.Error("ref does not depend on key and serial")
	}
	if kiosk.CertRef(nil, s) != "" || kiosk.CertRef(k1, nil) != "" {
		t.Error("no key or no serial must give no ref")
	}
	if r == s.Text(16) || r == s.String() {
		t.Error("ref is the serial itself")
	}
}

func TestStatusRecord(t *testing.T) {
	now := jstDay(2026, 11, 25)
	st := &kiosk.CardStatus{Kind: kiosk.CardMyNumber, HasAuth: true, HasSign: true,
		Auth: makeValidity(t, 99, jstDay(2022, 6, 1), jstDay(2027, 1, 31)), AuthTries: 2, SignTries: 5}
	a := kiosk.Assess(st, now, nil)
	r := kiosk.StatusRecord(a, now, []byte("k"))
	if r.Kind != kiosk.TxStatus || r.Status != "renewal" || r.CertRef != kiosk.CertRef([]byte("k"), big.NewInt(99)) ||
		r.AuthTries == nil || *r.AuthTries != 2 || r.SignTries == nil || *r.SignTries != 5 || !r.ClockTrusted {
		t.Errorf("record = %+v", r)
	}
	r = kiosk.StatusRecord(kiosk.AssessError(kiosk.ErrBadResponse), now, nil)
	if r.Kind != kiosk.TxCardError || r.Outcome != kiosk.OutcomeError || r.Status != "unreadable" || r.AuthTries != nil {
		t.Errorf("unreadable record = %+v", r)
	}
}

// TestWithTries: a PIN outcome during the visit works the conditions out
// again, so a lock made at the kiosk leads the status from then on.
func TestWithTries(t *testing.T) {
	valid := kiosk.Assessment{Card: kiosk.CardMyNumber, HasAuth: true, HasSign: true, AuthTries: 3, SignTries: 5,
		Auth: kiosk.CertAssessment{Verdict: kiosk.CodeRenewal}, Conditions: []kiosk.Code{kiosk.CodeRenewal}, Code: kiosk.CodeRenewal}
	tests := []struct {
		k    kiosk.PINKind
		n    int
		want []kiosk.Code
	}{
		{kiosk.PINAuth, 0, []kiosk.Code{kiosk.CodeAuthLocked, kiosk.CodeRenewal}},
		{kiosk.PINSign, 0, []kiosk.Code{kiosk.CodeSignLocked, kiosk.CodeRenewal}},
		{kiosk.PINAuth, 1, []kiosk.Code{kiosk.CodeRenewal, kiosk.CodeAuthLastTry}},
		{kiosk.PINSign, 5, []kiosk.Code{kiosk.CodeRenewal}},
		{kiosk.PINAuth, -1, []kiosk.Code{kiosk.CodeRenewal}}, // not known: unchanged
	}
	for _, tt := range tests {
		a := valid.WithTries(tt.k, tt.n)
		if !slices.Equal(a.Conditions, tt.want) || a.Code != tt.want[0] {
			t.Errorf("%s %d: %v (code %s), want %v", tt.k, tt.n, a.Conditions, a.Code, tt.want)
		}
		if tt.n == 0 && a.CanChange(tt.k) {
			t.Errorf("%s locked but still changeable", tt.k)
		}
	}
	juki := kiosk.Assessment{Card: kiosk.CardJuki, Code: kiosk.CodeJuki, Conditions: []kiosk.Code{kiosk.CodeJuki}}
	if got := juki.WithTries(kiosk.PINAuth, 0); got.Code != kiosk.CodeJuki {
		t.Errorf("a Juki card became %s", got.Code)
	}
}
