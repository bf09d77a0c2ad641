package update

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
)

// A bundle (kiosk-<version>.kup) is an uncompressed tar: manifest.json, then
// manifest.sig (64 bytes, Ed25519 over sigContext + the manifest), then the
// payloads in the manifest's order. The manifest and signature come first so
// a kiosk refuses a foreign bundle before reading a byte of its payloads, and
// every payload is hashed as it streams past: nothing holds a root image in
// memory.
const (
	manifestName  = "manifest.json"
	signatureName = "manifest.sig"
	sigContext    = "villagehall-kiosk-update-v1\n"
	maxManifest   = 64 << 10
)

// Policy is what this kiosk accepts.
type Policy struct {
	Keys  []ed25519.PublicKey // trusted release keys
	Board string              // Board, unless a test says otherwise
	// MinSerial: a bundle's serial must be above it (the running release's and
	// every committed one's).
	MinSerial uint64
}

// Reader streams one bundle: Open checks the manifest, Next hands out each
// payload as a reader that refuses at its end if size or hash differ.
type Reader struct {
	tr       *tar.Reader
	Manifest *Manifest
	next     int
	cur      *payloadReader
}

// Open reads the manifest and its signature and checks them against the
// policy. Payload bytes are not read yet.
func Open(r io.Reader, pol Policy) (*Reader, error) {
	tr := tar.NewReader(r)
	mb, err := readSmall(tr, manifestName, maxManifest)
	if err != nil {
		return nil, err
	}
	sig, err := readSmall(tr, signatureName, ed25519.SignatureSize)
	if err != nil {
		if ReasonOf(err) == ReasonMalformed {
			return nil, refuse(ReasonUnsigned, "no %s after the manifest", signatureName)
		}
		return nil, err
	}
	if len(sig) != ed25519.SignatureSize {
		return nil, refuse(ReasonBadSignature, "signature is %d bytes", len(sig))
	}
	if !verifyAny(pol.Keys, mb, sig) {
		return nil, refuse(ReasonBadSignature, "no trusted release key (%d known) signed this manifest", len(pol.Keys))
	}
	// Only a signed manifest is parsed further: its words are the release's.
	m, err := ParseManifest(mb)
	if err != nil {
		return nil, refuse(ReasonMalformed, "%v", err)
	}
	board := pol.Board
	if board == "" {
		board = Board
	}
	if m.Board != board {
		return nil, refuse(ReasonWrongBoard, "bundle is for %q, this kiosk is %q", m.Board, board)
	}
	if m.Serial <= pol.MinSerial {
		return nil, refuse(ReasonDowngrade, "bundle %s (serial %d) is not newer than serial %d", m.Version, m.Serial, pol.MinSerial)
	}
	return &Reader{tr: tr, Manifest: m}, nil
}

func verifyAny(keys []ed25519.PublicKey, manifest, sig []byte) bool {
	msg := append([]byte(sigContext), manifest...)
	for _, k := range keys {
		if len(k) == ed25519.PublicKeySize && ed25519.Verify(k, msg, sig) {
			return true
		}
	}
	return false
}

// readSmall reads the next tar entry, which must be the named regular file of
// at most max bytes.
func readSmall(tr *tar.Reader, name string, max int64) ([]byte, error) {
	h, err := nextEntry(tr)
	if err != nil {
		return nil, err
	}
	if h.Name != name || h.Typeflag != tar.TypeReg || h.Size > max {
		return nil, refuse(ReasonMalformed, "expected %s (at most %d bytes), found %q (%d bytes)", name, max, h.Name, h.Size)
	}
	b, err := io.ReadAll(tr)
	if err != nil {
		return nil, tarErr(err, name)
	}
	return b, nil
}

func nextEntry(tr *tar.Reader) (*tar.Header, error) {
	h, err := tr.Next()
	if err == io.EOF {
		return nil, refuse(ReasonTruncated, "the bundle ends before its last file")
	}
	if err != nil {
		return nil, tarErr(err, "entry header")
	}
	return h, nil
}

func tarErr(err error, what string) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return refuse(ReasonTruncated, "the bundle ends inside %s", what)
	}
	if errors.Is(err, tar.ErrHeader) {
		return refuse(ReasonMalformed, "%s: %v", what, err)
	}
	return fmt.Errorf("update bundle: %s: %w", what, err)
}

// Next returns the next payload and a reader of the bytes to write. The
// reader's last Read returns a *Refusal instead of io.EOF when the payload's
// size or SHA-256 differ from the manifest; read it to the end. After the last
// payload Next returns io.EOF, having checked nothing follows it.
func (b *Reader) Next() (Payload, io.Reader, error) {
	if b.cur != nil && !b.cur.done {
		return Payload{}, nil, fmt.Errorf("update bundle: payload %s not read to its end", b.cur.p.Name)
	}
	if b.next == len(b.Manifest.Payloads) {
		if _, err := b.tr.Next(); err != io.EOF {
			if err != nil {
				return Payload{}, nil, tarErr(err, "the end")
			}
			return Payload{}, nil, refuse(ReasonMalformed, "a file after the last payload")
		}
		return Payload{}, nil, io.EOF
	}
	p := b.Manifest.Payloads[b.next]
	b.next++
	h, err := nextEntry(b.tr)
	if err != nil {
		return p, nil, err
	}
	if h.Name != p.Name || h.Typeflag != tar.TypeReg {
		return p, nil, refuse(ReasonMalformed, "expected payload %s, found %q", p.Name, h.Name)
	}
	var src io.Reader = b.tr
	if p.Encoding == "gzip" {
		zr, err := gzip.NewReader(b.tr)
		if err != nil {
			return p, nil, gzipErr(err, p.Name)
		}
		zr.Multistream(false)
		src = zr
	}
	b.cur = &payloadReader{p: p, src: io.LimitReader(src, p.Size+1), h: sha256.New()}
	return p, b.cur, nil
}

func gzipErr(err error, name string) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return refuse(ReasonTruncated, "payload %s ends early", name)
	}
	return refuse(ReasonCorrupt, "payload %s: %v", name, err)
}

type payloadReader struct {
	p    Payload
	src  io.Reader
	h    hash.Hash
	n    int64
	done bool
}

func (r *payloadReader) Read(b []byte) (int, error) {
	if r.done {
		return 0, io.EOF
	}
	n, err := r.src.Read(b)
	r.n += int64(n)
	r.h.Write(b[:n])
	if r.n > r.p.Size {
		return 0, refuse(ReasonCorrupt, "payload %s is longer than its %d bytes", r.p.Name, r.p.Size)
	}
	if err == io.EOF {
		r.done = true
		if r.n < r.p.Size {
			return n, refuse(ReasonTruncated, "payload %s has %d of its %d bytes", r.p.Name, r.n, r.p.Size)
		}
		if got := hex.EncodeToString(r.h.Sum(nil)); got != r.p.SHA256 {
			return n, refuse(ReasonCorrupt, "payload %s: sha256 %s, the manifest says %s", r.p.Name, got, r.p.SHA256)
		}
		return n, io.EOF
	}
	if err != nil {
		return n, gzipOrTar(err, r.p.Name)
	}
	return n, nil
}

func gzipOrTar(err error, name string) error {
	var re *Refusal
	if errors.As(err, &re) {
		return err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return refuse(ReasonTruncated, "payload %s ends early", name)
	}
	if errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) {
		return refuse(ReasonCorrupt, "payload %s: %v", name, err)
	}
	return fmt.Errorf("update bundle: payload %s: %w", name, err)
}

// Verify reads a whole bundle, checking every payload, and writes nothing.
func Verify(r io.Reader, pol Policy) (*Manifest, error) {
	b, err := Open(r, pol)
	if err != nil {
		return nil, err
	}
	if err := b.drain(context.Background(), func(int64) {}); err != nil {
		return nil, err
	}
	return b.Manifest, nil
}

// drain reads every payload to its end (checking each), reporting the
// bytes done across all of them.
func (b *Reader) drain(ctx context.Context, prog func(done int64)) error {
	var done int64
	for {
		_, pr, err := b.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		n, err := copyCtx(ctx, io.Discard, pr, func(n int64) { prog(done + n) })
		done += n
		if err != nil {
			return err
		}
	}
}

// signManifest returns the manifest's bytes and their signature.
func signManifest(m *Manifest, key ed25519.PrivateKey) (mb, sig []byte, err error) {
	if err := m.check(); err != nil {
		return nil, nil, err
	}
	mb, err = jsonIndent(m)
	if err != nil {
		return nil, nil, err
	}
	return mb, ed25519.Sign(key, append([]byte(sigContext), mb...)), nil
}

func writeEntry(tw *tar.Writer, name string, size int64, body io.Reader) error {
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: size, Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
		return err
	}
	n, err := io.Copy(tw, body)
	if err == nil && n != size {
		err = fmt.Errorf("%s: wrote %d of %d bytes (changed while building?)", name, n, size)
	}
	return err
}

func writeHead(tw *tar.Writer, mb, sig []byte) error {
	if err := writeEntry(tw, manifestName, int64(len(mb)), bytes.NewReader(mb)); err != nil {
		return err
	}
	return writeEntry(tw, signatureName, int64(len(sig)), bytes.NewReader(sig))
}
