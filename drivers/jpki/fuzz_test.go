package jpki_test

import (
	"errors"
	"testing"

	"github.com/villagehall/kiosk/drivers/jpki"
	"github.com/villagehall/kiosk/kiosk"
)

// FuzzDERLength: any header either sizes plausibly or fails with ErrBadResponse.
func FuzzDERLength(f *testing.F) {
	f.Add([]byte{0x30, 0x82, 0x04, 0xA2})
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := jpki.DERLength(b)
		if err != nil {
			if !errors.Is(err, kiosk.ErrBadResponse) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if n < 2 || n > 2+3+0xFFFFFF {
			t.Fatalf("length %d", n)
		}
	})
}

// FuzzResponses: a card answering arbitrary bytes to every command never
// panics or hangs the driver and always yields a typed outcome.
func FuzzResponses(f *testing.F) {
	f.Add([]byte{0x90, 0x00}, []byte{0x30, 0x82, 0x01, 0x00, 0x90, 0x00}, uint8(0))
	f.Add([]byte{0x6A, 0x82}, []byte{0x90}, uint8(3))
	f.Fuzz(func(t *testing.T, first, rest []byte, split uint8) {
		n := 0
		c := jpki.New(transportFunc(func([]byte) ([]byte, error) {
			n++
			if n > 200 {
				t.Fatal("driver loops")
			}
			if n <= int(split%12) {
				return append([]byte{}, first...), nil
			}
			return append([]byte{}, rest...), nil
		}))
		st, err := c.ReadStatus()
		if err == nil && st == nil {
			t.Fatal("nil status without error")
		}
		_, _ = c.TriesLeft(kiosk.PINSign)
		_, _ = c.ReadSignCert(5, []byte("ABC123"))
		_ = c.ChangePIN(kiosk.PINAuth, 3, []byte("1234"), []byte("5678"))
	})
}

// fileCard answers like a JPKI applet whose authentication certificate
// EF holds cert (any bytes), and records how far into it the driver read.
type fileCard struct {
	cert    []byte
	sel     uint16
	reached int // one past the highest offset of cert sent
}

func (f *fileCard) Transmit(cmd []byte) ([]byte, error) {
	ok := []byte{0x90, 0x00}
	switch {
	case len(cmd) < 4:
		return []byte{0x67, 0x00}, nil
	case cmd[1] == 0xA4 && cmd[2] == 0x02 && len(cmd) == 7:
		f.sel = uint16(cmd[5])<<8 | uint16(cmd[6])
		return ok, nil
	case cmd[1] == 0xA4:
		return ok, nil
	case cmd[1] == 0x20:
		return []byte{0x63, 0xC3}, nil
	case cmd[1] != 0xB0 || len(cmd) != 5:
		return []byte{0x6D, 0x00}, nil
	}
	file := map[uint16][]byte{
		jpki.EFTokenInfo: []byte(jpki.LabelMyNumber + "                 "),
		jpki.EFCertFlags: {0x8F, 0x8F, 0x00},
		jpki.EFAuthCert:  f.cert,
	}[f.sel]
	off, le := int(cmd[2])<<8|int(cmd[3]), int(cmd[4])
	if le == 0 {
		le = 256
	}
	if off >= len(file) {
		return []byte{0x6B, 0x00}, nil
	}
	end := min(off+le, len(file))
	if f.sel == jpki.EFAuthCert {
		f.reached = max(f.reached, end)
	}
	return append(append([]byte{}, file[off:end]...), ok...), nil
}

// FuzzCertRead: whatever the certificate EF holds, the status read ends
// with a typed error or with the serial and validity kiosk.ParseCertValidity
// finds in the whole file, and it never reads past the end of a validity
// that parses (nor, before it knows more, past the first read).
func FuzzCertRead(f *testing.F) {
	f.Add([]byte{0x30, 0x82, 0x04, 0xA2, 0x30, 0x82, 0x03, 0x8A, 0xA0, 0x03, 0x02, 0x01, 0x02})
	f.Fuzz(func(t *testing.T, cert []byte) {
		card := &fileCard{cert: cert}
		c := jpki.New(card)
		st, err := c.ReadStatus()
		want, end, perr := kiosk.ParseCertValidity(cert)
		if perr == nil && card.reached > max(end, jpki.FirstCertRead) {
			t.Fatalf("read %d bytes; the validity ends at %d", card.reached, end)
		}
		if c.APDUs() > 12+200 {
			t.Fatalf("%d APDUs", c.APDUs())
		}
		if err != nil {
			var swe *kiosk.StatusWordError
			if !errors.Is(err, kiosk.ErrBadResponse) && !errors.As(err, &swe) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if perr != nil {
			t.Fatalf("driver read a validity (%+v) from a file ParseCertValidity refuses: %v", st.Auth, perr)
		}
		if card.reached != end {
			t.Fatalf("read %d bytes, the validity ends at %d", card.reached, end)
		}
		got := st.Auth
		if got == nil || got.Serial.Cmp(want.Serial) != 0 || !got.NotBefore.Equal(want.NotBefore) || !got.NotAfter.Equal(want.NotAfter) {
			t.Fatalf("validity %+v, the file says %+v", got, want)
		}
	})
}
