package virtualcard

import (
	"path/filepath"
	"testing"
	"time"
)

// FuzzApplet: any sequence of command APDUs (and power resets) gets an
// answer of at least a status word, and the card keeps its rules: the
// signing certificate is sent only after a VERIFY of the signing PIN
// succeeded since the last reset, counters stay within 0..max and rise
// only on a correct PIN, and a PIN changes only after a verified CHANGE.
//
// The input is a list of APDUs, each as one length byte and its bytes; a
// length byte of 0xFF is a power reset instead.
func FuzzApplet(f *testing.F) {
	p, err := LoadProfile(filepath.Join("..", "..", "..", "testdata", "cards", "fresh.json"), time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC))
	if err != nil {
		f.Fatal(err)
	}
	apdus := func(cmds ...[]byte) []byte {
		var b []byte
		for _, c := range cmds {
			b = append(append(b, byte(len(c))), c...)
		}
		return b
	}
	selAP := []byte{0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01}
	selEF := func(fid byte) []byte { return []byte{0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, fid} }
	read := []byte{0x00, 0xB0, 0x00, 0x00, 0x00}
	verify := func(pin string) []byte { return append([]byte{0x00, 0x20, 0x00, 0x80, byte(len(pin))}, pin...) }
	f.Add(apdus(selAP, selEF(0x1B), verify("ABC123"), selEF(0x01), read))
	f.Add(apdus(selAP, selEF(0x01), read, selEF(0x18), []byte{0x00, 0x20, 0x00, 0x80}, verify("0000")))
	f.Add(append(apdus(selAP, selEF(0x18), verify("1234"), append([]byte{0x00, 0x24, 0x01, 0x80, 0x04}, "5678"...)), 0xFF))
	f.Add(apdus(selAP, selEF(0x1A), verify("ABC123"), []byte{0x80, 0x2A, 0x00, 0x80, 0x02, 0x01, 0x02, 0x00}))
	f.Fuzz(func(t *testing.T, in []byte) {
		c := New(p)
		c.SetAPDUDelay(0)
		maxTries := map[uint16]int{0x0018: 3, 0x001B: 5}
		pins := map[uint16]string{0x0018: p.Auth.PIN, 0x001B: p.Sign.PIN}
		var sel uint16
		signVerified := false
		for len(in) > 0 {
			n := int(in[0])
			in = in[1:]
			if n == 0xFF {
				c.Reset()
				sel, signVerified = 0, false
				continue
			}
			cmd := in[:min(n, len(in))]
			in = in[len(cmd):]
			before := map[uint16]int{0x0018: c.Tries(0x0018), 0x001B: c.Tries(0x001B)}
			rsp := c.Process(cmd)
			if len(rsp) < 2 {
				t.Fatalf("% X: answer % X has no status word", cmd, rsp)
			}
			ok := rsp[len(rsp)-2] == 0x90 && rsp[len(rsp)-1] == 0x00
			isVerify := len(cmd) > 5 && cmd[1] == 0x20
			switch {
			case len(cmd) >= 4 && cmd[1] == 0xA4 && ok && cmd[2] == 0x04:
				sel = 0
			case len(cmd) == 7 && cmd[1] == 0xA4 && ok:
				sel = uint16(cmd[5])<<8 | uint16(cmd[6])
			case len(cmd) >= 4 && cmd[1] == 0xB0 && ok && len(rsp) > 2 && sel == 0x0001 && !signVerified:
				t.Fatal("the signing certificate was sent without a verified signing PIN")
			case isVerify && sel == 0x001B:
				signVerified = ok
			}
			for fid, max := range maxTries {
				n := c.Tries(fid)
				if n < 0 || n > max {
					t.Fatalf("EF %04X: %d tries", fid, n)
				}
				if n > before[fid] && !(isVerify && ok && sel == fid) {
					t.Fatalf("EF %04X: tries rose %d -> %d without a correct PIN (% X)", fid, before[fid], n, cmd)
				}
				if !c.PINMatches(fid, []byte(pins[fid])) {
					if !(len(cmd) > 5 && cmd[1] == 0x24 && ok && sel == fid) {
						t.Fatalf("EF %04X: PIN changed by % X", fid, cmd)
					}
					pins[fid] = string(cmd[5:min(len(cmd), 5+int(cmd[4]))])
				}
			}
		}
	})
}
