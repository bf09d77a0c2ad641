package jpki_test

import (
	"bufio"
	"bytes"
	"crypto/x509"
	"encoding/hex"
	"strings"
	"testing"
)

// efReads follows a command/response stream as the card saw it and keeps,
// per EF, every byte the card sent in answer to READ BINARY, at its
// offset: what left the card, independent of what the driver kept.
type efReads struct {
	cur   uint16
	apdus int
	reads map[uint16]int          // READ BINARYs answered with data, per EF
	got   map[uint16]map[int]byte // offset → byte sent
}

func newEFReads() *efReads {
	return &efReads{reads: map[uint16]int{}, got: map[uint16]map[int]byte{}}
}

func (r *efReads) add(cmd, rsp []byte) {
	r.apdus++
	if len(cmd) < 4 || len(rsp) < 2 {
		return
	}
	data, ok := rsp[:len(rsp)-2], rsp[len(rsp)-2] == 0x90 && rsp[len(rsp)-1] == 0x00
	switch {
	case cmd[1] == 0xA4 && cmd[2] == 0x04:
		r.cur = 0
	case cmd[1] == 0xA4 && cmd[2] == 0x02 && len(cmd) == 7 && ok:
		r.cur = uint16(cmd[5])<<8 | uint16(cmd[6])
	case cmd[1] == 0xB0 && len(data) > 0:
		off := int(cmd[2])<<8 | int(cmd[3])
		m := r.got[r.cur]
		if m == nil {
			m = map[int]byte{}
			r.got[r.cur] = m
		}
		for i, b := range data {
			m[off+i] = b
		}
		r.reads[r.cur]++
	}
}

// parseAPDULog reads the lines vpcd.WithAPDULog writes: "<command hex> <response hex>".
func parseAPDULog(t testing.TB, log []byte) *efReads {
	t.Helper()
	r := newEFReads()
	sc := bufio.NewScanner(bytes.NewReader(log))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 {
			t.Fatalf("APDU log line %q", sc.Text())
		}
		cmd, err1 := hex.DecodeString(f[0])
		rsp, err2 := hex.DecodeString(f[1])
		if err1 != nil || err2 != nil {
			t.Fatalf("APDU log line %q", sc.Text())
		}
		r.add(cmd, rsp)
	}
	return r
}

// extent returns one past the highest offset of fid the card sent, after
// checking that the bytes sent are der's from offset 0 on, with no gap
// (so the log truly shows the certificate being read).
func (r *efReads) extent(t testing.TB, fid uint16, der []byte) int {
	t.Helper()
	m := r.got[fid]
	for off := 0; off < len(m); off++ {
		b, ok := m[off]
		if !ok {
			t.Fatalf("EF %04X: %d bytes sent but offset %d missing", fid, len(m), off)
		}
		if off >= len(der) || b != der[off] {
			t.Fatalf("EF %04X: byte %d sent is not the certificate's", fid, off)
		}
	}
	return len(m)
}

// certLayout gives the offsets in der where the subject and the public
// key start, found by crypto/x509 rather than by the driver's walk:
// RawSubject and RawSubjectPublicKeyInfo are sub-slices of Raw, so their
// remaining capacity tells where they begin. The validity ends where the
// subject starts.
func certLayout(t testing.TB, der []byte) (subject, publicKey int) {
	t.Helper()
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	subject = cap(c.Raw) - cap(c.RawSubject)
	publicKey = cap(c.Raw) - cap(c.RawSubjectPublicKeyInfo)
	if !bytes.Equal(der[subject:subject+len(c.RawSubject)], c.RawSubject) ||
		!bytes.Equal(der[publicKey:publicKey+len(c.RawSubjectPublicKeyInfo)], c.RawSubjectPublicKeyInfo) {
		t.Fatal("certLayout: offsets do not point at the subject and public key")
	}
	return subject, publicKey
}
