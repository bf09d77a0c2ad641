package update

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// The release key is an Ed25519 key of its own, never the village CA: a TLS
// certificate (which every kiosk and staff member holds one of) must never be
// enough to flash kiosks. Public keys are PEM "PUBLIC KEY" (PKIX) files baked
// into the root at /etc/kiosk/release-keys/*.pub (a main key and its backup).

// GenerateKey writes a new release key pair: priv (0600, PKCS#8) and pub.
func GenerateKey(privPath, pubPath string) error {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("release key: %w", err)
	}
	pk, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return fmt.Errorf("release key: %w", err)
	}
	pp, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return fmt.Errorf("release key: %w", err)
	}
	if err := os.WriteFile(privPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk}), 0o600); err != nil {
		return fmt.Errorf("release key: %w", err)
	}
	if err := os.WriteFile(pubPath, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pp}), 0o644); err != nil {
		return fmt.Errorf("release key: %w", err)
	}
	return nil
}

// LoadPrivateKey reads a release signing key.
func LoadPrivateKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("release key: %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("release key %s: not a PEM PRIVATE KEY", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("release key %s: %w", path, err)
	}
	ek, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("release key %s: %T, want an Ed25519 key", path, k)
	}
	return ek, nil
}

// ParsePublicKey reads one trusted release key. A certificate is refused by
// name: the village CA's (or any TLS) certificate is never a release key.
func ParsePublicKey(b []byte) (ed25519.PublicKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("not PEM")
	}
	if blk.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("a PEM %s, want a PUBLIC KEY (an Ed25519 release key, never a TLS certificate)", blk.Type)
	}
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return nil, err
	}
	ek, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("a %T public key, want Ed25519", k)
	}
	return ek, nil
}

// LoadPublicKeys reads every *.pub in dir. No key is an error: a kiosk that
// trusts nothing could install nothing, which must be said, not discovered.
func LoadPublicKeys(dir string) ([]ed25519.PublicKey, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.pub"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var keys []ed25519.PublicKey
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			return nil, fmt.Errorf("release keys: %w", err)
		}
		k, err := ParsePublicKey(b)
		if err != nil {
			return nil, fmt.Errorf("release key %s: %w", n, err)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("release keys: no *.pub in %s", dir)
	}
	return keys, nil
}

// KeyID is a short fingerprint of a release key for logs.
func KeyID(k ed25519.PublicKey) string {
	s := sha256.Sum256(k)
	return strings.ToUpper(hex.EncodeToString(s[:6]))
}
