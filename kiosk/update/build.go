package update

import (
	"archive/tar"
	"compress/gzip"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"
)

// Spec is what `make update` (kioskctl update build) puts in a bundle.
type Spec struct {
	Board   string // Board when empty
	Version string
	Serial  uint64
	Root    string // the ext4 root image
	BootA   string // slot A's boot FAT image (cmdline.txt names root A)
	BootB   string // slot B's
	Raw     bool   // store payloads uncompressed (tests); gzip otherwise
	TempDir string // for the compressed payloads; os.TempDir() when empty
	Created time.Time
}

// Build writes a signed bundle to w. Each payload is compressed to a
// temporary file first (tar needs its size up front), hashing the bytes that
// will land on the partition as it goes; nothing is held in memory.
func Build(w io.Writer, s Spec, key ed25519.PrivateKey) (*Manifest, error) {
	m := &Manifest{Format: FormatVersion, Board: s.Board, Version: s.Version, Serial: s.Serial}
	if m.Board == "" {
		m.Board = Board
	}
	if !s.Created.IsZero() {
		m.Created = s.Created.UTC().Format(time.RFC3339)
	}
	enc := "gzip"
	if s.Raw {
		enc = "raw"
	}
	inputs := []struct{ path, name, kind, slot string }{
		{s.BootA, "boot-a.vfat", KindBoot, "a"},
		{s.BootB, "boot-b.vfat", KindBoot, "b"},
		{s.Root, "root.ext4", KindRoot, ""},
	}
	var stored []string
	defer func() {
		for _, f := range stored {
			if f != "" && enc == "gzip" {
				os.Remove(f)
			}
		}
	}()
	for _, in := range inputs {
		p := Payload{Name: in.name, Kind: in.kind, Slot: in.slot, Encoding: enc}
		if enc == "gzip" {
			p.Name += ".gz"
		}
		f, err := stage(in.path, &p, s.TempDir)
		stored = append(stored, f)
		if err != nil {
			return nil, err
		}
		m.Payloads = append(m.Payloads, p)
	}
	mb, sig, err := signManifest(m, key)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(w)
	if err := writeHead(tw, mb, sig); err != nil {
		return nil, fmt.Errorf("update bundle: %w", err)
	}
	for i, p := range m.Payloads {
		if err := copyStaged(tw, p.Name, stored[i]); err != nil {
			return nil, fmt.Errorf("update bundle: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("update bundle: %w", err)
	}
	return m, nil
}

// stage hashes the input into p and, for gzip, compresses it into a
// temporary file; it returns the file the bundle copies from.
func stage(path string, p *Payload, tmp string) (string, error) {
	in, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("update bundle: %w", err)
	}
	defer in.Close()
	h := sha256.New()
	if p.Encoding == "raw" {
		n, err := io.Copy(h, in)
		if err != nil {
			return "", fmt.Errorf("update bundle: %s: %w", path, err)
		}
		p.Size, p.SHA256 = n, hex.EncodeToString(h.Sum(nil))
		return path, nil
	}
	out, err := os.CreateTemp(tmp, "kup-*.gz")
	if err != nil {
		return "", fmt.Errorf("update bundle: %w", err)
	}
	defer out.Close()
	zw, _ := gzip.NewWriterLevel(out, gzip.BestSpeed)
	n, err := io.Copy(io.MultiWriter(zw, h), in)
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		return out.Name(), fmt.Errorf("update bundle: %s: %w", path, err)
	}
	p.Size, p.SHA256 = n, hex.EncodeToString(h.Sum(nil))
	return out.Name(), nil
}

func copyStaged(tw *tar.Writer, name, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	return writeEntry(tw, name, st.Size(), f)
}

func jsonIndent(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
