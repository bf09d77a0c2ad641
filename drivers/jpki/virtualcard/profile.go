package virtualcard

import (
	"crypto/rsa"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/villagehall/kiosk/kiosk"
)

// Profile is one virtual card, loaded from a JSON file in testdata/cards.
// Certificate validity is relative to the day the card is loaded
// ("-400d", "+60d") so a profile keeps meaning "renewal window open" on
// any date; an RFC 3339 time pins it instead.
type Profile struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	JPKI        bool     `json:"jpki"`        // false: no JPKI applet at all
	ATRHex      string   `json:"atr"`         // default: the ATR OpenSC's JPKI driver lists
	TokenLabel  string   `json:"token_label"` // EF 0006
	Filler      int      `json:"filler"`      // bytes of 0xFF after each DER object
	PKIDir      string   `json:"pki"`         // relative to the profile file
	Auth        CertSpec `json:"auth"`
	Sign        CertSpec `json:"sign"`
	Quirks      Quirks   `json:"quirks"`

	atr            []byte
	authCA, signCA []byte
}

// CertSpec is one certificate and its PIN.
type CertSpec struct {
	Present   bool   `json:"present"`
	PIN       string `json:"pin"`
	Tries     int    `json:"tries"`
	NotBefore string `json:"not_before"`
	NotAfter  string `json:"not_after"`

	cert []byte
	key  *rsa.PrivateKey
}

// Cert returns the certificate's DER as the card holds it (without filler).
func (s *CertSpec) Cert() []byte { return s.cert }

// Quirks are behaviours some real cards show and clients must survive.
type Quirks struct {
	// VerifiedEmptyVerify9000: an empty VERIFY answers 9000 once the PIN
	// was verified in this session, instead of 63Cx.
	VerifiedEmptyVerify9000 bool     `json:"verified_empty_verify_9000"`
	APDUDelay               Duration `json:"apdu_delay"`
	// GarbageAfter > 0: from that APDU on, answer Garbage instead.
	GarbageAfter int    `json:"garbage_after"`
	Garbage      string `json:"garbage"` // "short" (1 byte) or 4 hex digits of a status word
}

func (q Quirks) garbage(n int) []byte {
	if q.GarbageAfter <= 0 || n < q.GarbageAfter {
		return nil
	}
	if q.Garbage == "short" || q.Garbage == "" {
		return []byte{0x90}
	}
	b, err := hex.DecodeString(q.Garbage)
	if err != nil || len(b) != 2 {
		return []byte{0x6F, 0x00}
	}
	return b
}

// Duration reads "150ms" style strings from JSON.
type Duration struct{ time.Duration }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	d.Duration = v
	return err
}

// DefaultATR is the contact ATR OpenSC's JPKI driver table lists.
const DefaultATR = "3BE000FF8131FE4514"

// LoadProfile reads a profile and issues its certificates from the test
// PKI, dated relative to now.
func LoadProfile(path string, now time.Time) (*Profile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("card profile: %w", err)
	}
	return parseProfile(path, b, nil, now)
}

// Builtin are the card profiles of testdata/cards, built into the binary
// (cards/ is where they live; testdata/cards links to it) so that
// `kiosk --sim` runs from any directory.
//
//go:embed cards/*.json
var builtin embed.FS

// BuiltinProfile is LoadProfile of testdata/cards/NAME.json from the copy in
// the binary, issued from pki (NewPKI) instead of the profile's "pki".
func BuiltinProfile(name string, pki *PKI, now time.Time) (*Profile, error) {
	b, err := builtin.ReadFile("cards/" + name + ".json")
	if err != nil {
		return nil, fmt.Errorf("card profile: %w", err)
	}
	return parseProfile(name+".json", b, pki, now)
}

// parseProfile reads a profile's JSON; a nil pki is loaded from the
// profile's "pki" directory, relative to path.
func parseProfile(path string, b []byte, pki *PKI, now time.Time) (*Profile, error) {
	var err error
	p := &Profile{JPKI: true, TokenLabel: "JPKIAPICCTOKEN2", PKIDir: "../pki"}
	p.Auth.Tries, p.Sign.Tries = 3, 5
	if err := json.Unmarshal(b, p); err != nil {
		return nil, fmt.Errorf("card profile %s: %w", path, err)
	}
	if p.Name == "" {
		p.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	if p.ATRHex == "" {
		p.ATRHex = DefaultATR
	}
	if p.atr, err = hex.DecodeString(p.ATRHex); err != nil || len(p.atr) < 2 {
		return nil, fmt.Errorf("card profile %s: atr: want hex bytes, got %q", path, p.ATRHex)
	}
	if p.Auth.Tries < 0 || p.Auth.Tries > 3 || p.Sign.Tries < 0 || p.Sign.Tries > 5 {
		return nil, fmt.Errorf("card profile %s: tries: auth 0–3, sign 0–5", path)
	}
	if pki == nil {
		dir := p.PKIDir
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(filepath.Dir(path), dir)
		}
		if pki, err = LoadPKI(dir); err != nil {
			return nil, fmt.Errorf("card profile %s: %w", path, err)
		}
	}
	p.authCA, p.signCA = pki.AuthCA.Raw, pki.SignCA.Raw
	h := fnv.New64a()
	h.Write([]byte(p.Name))
	serial := h.Sum64() >> 1
	for i, spec := range []*CertSpec{&p.Auth, &p.Sign} {
		if !spec.Present {
			continue
		}
		nb, err := relTime(spec.NotBefore, now, -365*24*time.Hour)
		if err != nil {
			return nil, fmt.Errorf("card profile %s: not_before: %w", path, err)
		}
		na, err := relTime(spec.NotAfter, now, 4*365*24*time.Hour)
		if err != nil {
			return nil, fmt.Errorf("card profile %s: not_after: %w", path, err)
		}
		if na.Equal(na.Truncate(time.Hour)) && na.In(kiosk.JST()).Hour() == 0 {
			// JPKI certificates end at 23:59:59 JST on the last valid day.
			na = na.Add(24*time.Hour - time.Second)
		}
		if i == 0 {
			spec.cert, err = pki.IssueAuth(serial, nb, na)
			spec.key = pki.AuthKey
		} else {
			spec.cert, err = pki.IssueSign(serial+1, nb, na)
			spec.key = pki.SignKey
		}
		if err != nil {
			return nil, fmt.Errorf("card profile %s: %w", path, err)
		}
	}
	return p, nil
}

// relTime parses "+60d", "-400d", "+36h" or RFC 3339. Relative times
// count from the start of today in Japan, so a profile issues the same
// certificate all day long.
func relTime(s string, now time.Time, def time.Duration) (time.Time, error) {
	jst := kiosk.JST()
	day := now.In(jst)
	day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, jst)
	if s == "" {
		return day.Add(def), nil
	}
	if s[0] == '+' || s[0] == '-' {
		if strings.HasSuffix(s, "d") {
			n, err := strconv.Atoi(s[:len(s)-1])
			if err != nil {
				return time.Time{}, fmt.Errorf("want ±Nd, got %q", s)
			}
			return day.AddDate(0, 0, n), nil
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return time.Time{}, fmt.Errorf("want ±Nd or a duration, got %q", s)
		}
		return now.Add(d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("want ±Nd or RFC 3339, got %q", s)
	}
	return t, nil
}
