// Package release is the town hall's side of A/B updates: staff publish one
// signed bundle (collector release), kiosks ask for it and download it over
// their mutual-TLS connection. The collector checks the bundle against the
// release keys before publishing, so staff learn at once that kiosks would
// refuse it; the kiosks check it again themselves, trusting nothing here.
package release

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/update"
)

// Dir holds current.json (the Offer) and the bundle it names.
type Dir string

func (d Dir) offerPath() string { return filepath.Join(string(d), "current.json") }
func (d Dir) bundlePath(serial uint64) string {
	return filepath.Join(string(d), "kiosk-"+strconv.FormatUint(serial, 10)+".kup")
}

// Publish verifies the bundle with the release keys (every byte), copies it
// in and makes it the current offer. The copy and the offer are each
// written to a temporary name, synced and renamed: a kiosk never sees half.
func (d Dir) Publish(bundle string, keys update.Policy, w update.Window, kiosks []string, now time.Time) (update.Offer, error) {
	for _, k := range kiosks {
		if !kiosk.ValidKioskID(k) {
			return update.Offer{}, fmt.Errorf("release: %q is not a kiosk ID", k)
		}
	}
	f, err := os.Open(bundle)
	if err != nil {
		return update.Offer{}, fmt.Errorf("release: %w", err)
	}
	defer f.Close()
	m, err := update.Verify(f, keys)
	if err != nil {
		return update.Offer{}, fmt.Errorf("release: kiosks would refuse %s: %w", bundle, err)
	}
	if err := os.MkdirAll(string(d), 0o755); err != nil {
		return update.Offer{}, fmt.Errorf("release: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return update.Offer{}, err
	}
	size, sum, err := copySynced(f, d.bundlePath(m.Serial))
	if err != nil {
		return update.Offer{}, fmt.Errorf("release: %w", err)
	}
	o := update.Offer{Version: m.Version, Serial: m.Serial, Board: m.Board, Size: size, SHA256: sum, Window: w, Kiosks: kiosks, PublishedAt: now.UTC()}
	b, _ := json.MarshalIndent(o, "", "  ")
	if err := writeSynced(d.offerPath(), b); err != nil {
		return update.Offer{}, fmt.Errorf("release: %w", err)
	}
	return o, nil
}

// Withdraw removes the offer (kiosks that installed it keep it).
func (d Dir) Withdraw() error {
	err := os.Remove(d.offerPath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// Current is the published offer; ok is false when there is none.
func (d Dir) Current() (o update.Offer, ok bool, err error) {
	b, err := os.ReadFile(d.offerPath())
	if errors.Is(err, fs.ErrNotExist) {
		return o, false, nil
	}
	if err != nil {
		return o, false, err
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return o, false, fmt.Errorf("release: %s: %w", d.offerPath(), err)
	}
	return o, true, nil
}

func copySynced(r io.Reader, path string) (int64, string, error) {
	tmp := path + ".tmp"
	out, err := os.Create(tmp)
	if err != nil {
		return 0, "", err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), r)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return 0, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

func writeSynced(path string, b []byte) error {
	_, _, err := copySynced(bytes.NewReader(b), path)
	return err
}
