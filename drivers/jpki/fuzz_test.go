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
