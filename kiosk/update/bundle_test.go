package update

import (
	"archive/tar"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// release is a throw-away release key and the images of one version.
type release struct {
	pub  ed25519.PublicKey
	priv ed25519.PrivateKey
	dir  string
}

func newRelease(t testing.TB) *release {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &release{pub: pub, priv: priv, dir: t.TempDir()}
}

// images writes boot A/B and root images for a version: distinct, seeded
// bytes so a slot's content tells which version and slot it came from.
func (r *release) images(t testing.TB, version string, size int) Spec {
	t.Helper()
	s := Spec{Version: version, Root: filepath.Join(r.dir, version+"-root"), BootA: filepath.Join(r.dir, version+"-boota"), BootB: filepath.Join(r.dir, version+"-bootb"), TempDir: r.dir}
	for _, f := range []string{s.Root, s.BootA, s.BootB} {
		if err := os.WriteFile(f, fill(f, size), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func fill(seed string, n int) []byte {
	h := sha256.Sum256([]byte(seed))
	rng := mrand.NewChaCha8(h)
	b := make([]byte, n)
	rng.Read(b)
	return b
}

func (r *release) bundle(t testing.TB, version string, serial uint64, mod func(*Spec)) []byte {
	t.Helper()
	s := r.images(t, version, 40_000)
	s.Serial = serial
	if mod != nil {
		mod(&s)
	}
	var buf bytes.Buffer
	if _, err := Build(&buf, s, r.priv); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type entry struct {
	name string
	body []byte
}

func untar(t testing.TB, b []byte) []entry {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(b))
	var out []entry
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		out = append(out, entry{h.Name, body})
	}
}

func retar(t testing.TB, es []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range es {
		if err := tw.WriteHeader(&tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(e.body)
	}
	tw.Close()
	return buf.Bytes()
}

func TestVerifyBundles(t *testing.T) {
	r := newRelease(t)
	other := newRelease(t)
	good := r.bundle(t, "v2", 200, func(s *Spec) { s.Raw = true })
	goodGz := r.bundle(t, "v2gz", 200, nil)
	pol := Policy{Keys: []ed25519.PublicKey{r.pub}, MinSerial: 100}
	edit := func(f func([]entry) []entry) []byte { return retar(t, f(untar(t, good))) }
	payloadStart := bytes.Index(good, fill(filepath.Join(r.dir, "v2-boota"), 40_000)[:64])
	tests := []struct {
		name   string
		bundle []byte
		pol    Policy
		want   Reason
	}{
		{"good raw", good, pol, ""},
		{"good gzip", goodGz, pol, ""},
		{"backup key also trusted", good, Policy{Keys: []ed25519.PublicKey{other.pub, r.pub}, MinSerial: 100}, ""},
		{"unsigned: no signature entry", edit(func(es []entry) []entry { return append(es[:1:1], es[2:]...) }), pol, ReasonUnsigned},
		{"signed by another key", other.bundle(t, "v2", 200, func(s *Spec) { s.Raw = true }), pol, ReasonBadSignature},
		{"no trusted key at all", good, Policy{MinSerial: 100}, ReasonBadSignature},
		{"manifest edited after signing", edit(func(es []entry) []entry {
			es[0].body = bytes.Replace(es[0].body, []byte(`"serial": 200`), []byte(`"serial": 900`), 1)
			return es
		}), pol, ReasonBadSignature},
		{"signature short", edit(func(es []entry) []entry { es[1].body = es[1].body[:10]; return es }), pol, ReasonBadSignature},
		{"downgrade", good, Policy{Keys: pol.Keys, MinSerial: 300}, ReasonDowngrade},
		{"same version again", good, Policy{Keys: pol.Keys, MinSerial: 200}, ReasonDowngrade},
		{"wrong board", r.bundle(t, "v2", 200, func(s *Spec) { s.Board = "rpi5-arm64"; s.Raw = true }), pol, ReasonWrongBoard},
		{"payload byte flipped", func() []byte {
			b := bytes.Clone(good)
			b[payloadStart+1000] ^= 1
			return b
		}(), pol, ReasonCorrupt},
		{"gzip payload byte flipped", func() []byte {
			es := untar(t, goodGz)
			es[3].body[len(es[3].body)/2] ^= 0xff
			return retar(t, es)
		}(), pol, ReasonCorrupt},
		{"payload swapped for another slot's", edit(func(es []entry) []entry { es[2].body, es[3].body = es[3].body, es[2].body; return es }), pol, ReasonCorrupt},
		{"payload missing", edit(func(es []entry) []entry { return es[:4] }), pol, ReasonTruncated},
		{"payload shorter", edit(func(es []entry) []entry { es[4].body = es[4].body[:100]; return es }), pol, ReasonTruncated},
		{"payload longer", edit(func(es []entry) []entry { es[4].body = append(es[4].body, 0); return es }), pol, ReasonCorrupt},
		{"file after the last payload", edit(func(es []entry) []entry { return append(es, entry{"evil.sh", []byte("x")}) }), pol, ReasonMalformed},
		{"not a bundle", []byte(strings.Repeat("MZ not a tar ", 100)), pol, ReasonMalformed},
		{"empty file", nil, pol, ReasonTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Verify(bytes.NewReader(tt.bundle), tt.pol)
			if got := ReasonOf(err); got != tt.want {
				t.Fatalf("reason %q, want %q (err %v)", got, tt.want, err)
			}
			if tt.want == "" && (m == nil || m.Serial != 200) {
				t.Fatalf("manifest %+v", m)
			}
		})
	}
}

// Every cut of a bundle, at any byte, is refused, and as truncated once the
// signature has been read.
func TestVerifyTruncatedEverywhere(t *testing.T) {
	r := newRelease(t)
	for _, raw := range []bool{true, false} {
		good := r.bundle(t, "v3", 300, func(s *Spec) { s.Raw = raw })
		pol := Policy{Keys: []ed25519.PublicKey{r.pub}}
		step := len(good) / 300
		// The last 1,024 bytes are tar's end blocks and up to 511 the last
		// entry's padding: a copy cut there still holds every checked byte.
		for cut := 0; cut < len(good)-1024-512; cut += step {
			_, err := Verify(bytes.NewReader(good[:cut]), pol)
			if err == nil {
				t.Fatalf("raw=%v cut at %d of %d: accepted", raw, cut, len(good))
			}
			if ReasonOf(err) == "" {
				t.Fatalf("raw=%v cut at %d: untyped error %v", raw, cut, err)
			}
		}
		if _, err := Verify(bytes.NewReader(good), pol); err != nil {
			t.Fatal(err)
		}
	}
}

func TestManifestHashesWhatLandsOnThePartition(t *testing.T) {
	r := newRelease(t)
	b := r.bundle(t, "v4", 400, nil)
	m, err := Verify(bytes.NewReader(b), Policy{Keys: []ed25519.PublicKey{r.pub}})
	if err != nil {
		t.Fatal(err)
	}
	boot, root := m.For("b")
	for _, c := range []struct {
		p    Payload
		file string
	}{{boot, "v4-bootb"}, {root, "v4-root"}} {
		want := sha256.Sum256(fill(filepath.Join(r.dir, c.file), 40_000))
		if c.p.SHA256 != hex.EncodeToString(want[:]) || c.p.Size != 40_000 || c.p.Encoding != "gzip" {
			t.Errorf("%s: %+v", c.file, c.p)
		}
	}
}

func TestPublicKeyRefusesCertificates(t *testing.T) {
	dir := t.TempDir()
	if err := GenerateKey(filepath.Join(dir, "release.key"), filepath.Join(dir, "release.pub")); err != nil {
		t.Fatal(err)
	}
	keys, err := LoadPublicKeys(dir)
	if err != nil || len(keys) != 1 {
		t.Fatalf("keys %d, %v", len(keys), err)
	}
	priv, err := LoadPrivateKey(filepath.Join(dir, "release.key"))
	if err != nil || !priv.Public().(ed25519.PublicKey).Equal(keys[0]) {
		t.Fatalf("private key %v", err)
	}
	if st, _ := os.Stat(filepath.Join(dir, "release.key")); st.Mode().Perm() != 0o600 {
		t.Errorf("private key mode %v", st.Mode())
	}
	ca, err := os.ReadFile("../../testdata/pki/auth-ca.crt")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "village-ca.pub"), ca, 0o644)
	if _, err := LoadPublicKeys(dir); err == nil || !strings.Contains(err.Error(), "never a TLS certificate") {
		t.Fatalf("a certificate as release key: %v", err)
	}
	if _, err := LoadPublicKeys(t.TempDir()); err == nil {
		t.Fatal("no keys: accepted")
	}
}
