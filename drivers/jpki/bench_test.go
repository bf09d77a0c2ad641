package jpki_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/villagehall/kiosk/drivers/jpki"
	"github.com/villagehall/kiosk/drivers/pcsc/pcsctest"
	"github.com/villagehall/kiosk/drivers/pcsc/vpcd"
	"github.com/villagehall/kiosk/kiosk"
)

// lineCounter counts APDU log lines: one per round trip.
type lineCounter struct{ n atomic.Int64 }

func (l *lineCounter) Write(p []byte) (int, error) {
	l.n.Add(int64(bytes.Count(p, []byte{'\n'})))
	return len(p), nil
}

// measure runs op b.N times and reports APDUs per op and the median wall
// time (the mean that ns/op shows hides the outliers pcscd's 400 ms poll
// can add).
func measure(b *testing.B, apdus *lineCounter, op func() error) {
	b.Helper()
	times := make([]time.Duration, 0, b.N)
	start := apdus.n.Load()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if err := op(); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(times)
	b.ReportMetric(float64(apdus.n.Load()-start)/float64(b.N), "apdus/op")
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "median-ms")
}

// BenchmarkStack: our driver through ebfe/scard → pcscd → vpcd → virtual card.
func BenchmarkStack(b *testing.B) {
	pcsctest.StartPCSCD(b)
	_, vc := loadNow(b, "fresh")
	var apdus lineCounter
	pcsctest.Insert(b, vc, vpcd.WithAPDULog(&apdus))
	_, c := connect(b)
	b.Run("status", func(b *testing.B) {
		measure(b, &apdus, func() error { _, err := c.ReadStatus(); return err })
	})
	b.Run("auth-cert", func(b *testing.B) {
		measure(b, &apdus, func() error { _, err := c.ReadCert(jpki.EFAuthCert); return err })
	})
	b.Run("tries-both", func(b *testing.B) {
		measure(b, &apdus, func() error {
			if _, err := c.TriesLeft(kiosk.PINAuth); err != nil {
				return err
			}
			_, err := c.TriesLeft(kiosk.PINSign)
			return err
		})
	})
	b.Run("tries-one", func(b *testing.B) {
		measure(b, &apdus, func() error { _, err := c.TriesLeft(kiosk.PINAuth); return err })
	})
	b.Run("change-pin", func(b *testing.B) {
		pins := [][]byte{[]byte("1234"), []byte("5678")}
		i := 0
		measure(b, &apdus, func() error {
			err := c.ChangePIN(kiosk.PINAuth, 3, slices.Clone(pins[i%2]), slices.Clone(pins[(i+1)%2]))
			i++
			return err
		})
		if i%2 == 1 { // leave the card as the profile says
			if err := c.ChangePIN(kiosk.PINAuth, 3, []byte("5678"), []byte("1234")); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sign-cert-with-pin", func(b *testing.B) {
		measure(b, &apdus, func() error { _, err := c.ReadSignCert(5, []byte("ABC123")); return err })
	})
}

// BenchmarkOpenSC: the same card read by OpenSC 0.23's tools with the JPKI
// driver forced, for the side-by-side table in the README. Process start
// is included in its time: that is what a user of the tool waits for.
func BenchmarkOpenSC(b *testing.B) {
	pcsctest.StartPCSCD(b)
	_, vc := loadNow(b, "fresh")
	var apdus lineCounter
	pcsctest.Insert(b, vc, vpcd.WithAPDULog(&apdus))
	tool := func(args ...string) func() error {
		return func() error {
			cmd := exec.Command("pkcs15-tool", args...)
			cmd.Env = append(os.Environ(), "OPENSC_DRIVER=jpki")
			return cmd.Run()
		}
	}
	b.Run("auth-cert", func(b *testing.B) { measure(b, &apdus, tool("--read-certificate", "1")) })
	b.Run("tries-both", func(b *testing.B) { measure(b, &apdus, tool("--list-pins")) })
	b.Run("status-equivalent", func(b *testing.B) {
		// What our one status read gives costs OpenSC two runs.
		read, pins := tool("--read-certificate", "1"), tool("--list-pins")
		measure(b, &apdus, func() error {
			if err := read(); err != nil {
				return err
			}
			return pins()
		})
	})
	b.Run("sign-cert-with-pin", func(b *testing.B) {
		measure(b, &apdus, func() error {
			cmd := exec.Command("pkcs11-tool", "--module", "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so",
				"--token-label", "JPKI (Digital Signature PIN)", "--login", "--pin", "ABC123",
				"--read-object", "--type", "cert", "--id", "02", "-o", os.DevNull)
			cmd.Env = append(os.Environ(), "OPENSC_DRIVER=jpki")
			return cmd.Run()
		})
	})
}

type benchJournal struct{ n uint64 }

func (j *benchJournal) Append(_ context.Context, r kiosk.Record) (kiosk.Record, error) {
	j.n++
	r.Seq = j.n
	return r, nil
}

// BenchmarkFlows: what a resident's PIN change and signing-certificate
// check cost on the card after the visit's status read, as the kiosk runs
// them: the tries shown come from that read, and the driver re-checks them
// inside the VERIFY's own transaction (no separate tries read).
func BenchmarkFlows(b *testing.B) {
	pcsctest.StartPCSCD(b)
	_, vc := loadNow(b, "fresh")
	var apdus lineCounter
	pcsctest.Insert(b, vc, vpcd.WithAPDULog(&apdus))
	_, c := connect(b)
	f := &kiosk.Flows{Journal: &benchJournal{}}
	ctx := context.Background()
	st, err := c.ReadStatus() // the visit's status read, before the resident chooses
	if err != nil {
		b.Fatal(err)
	}
	b.Run("change-auth-pin", func(b *testing.B) {
		pins := []string{"1234", "5678"}
		i := 0
		measure(b, &apdus, func() error {
			old, new := pins[i%2], pins[(i+1)%2]
			i++
			res, err := f.ChangePIN(ctx, c, kiosk.ChangeRequest{PIN: kiosk.PINAuth, Old: []byte(old), New: []byte(new), Repeat: []byte(new), Shown: st.AuthTries})
			if err == nil && res.Outcome != kiosk.OutcomeOK {
				err = fmt.Errorf("outcome %s", res.Outcome)
			}
			return err
		})
		if i%2 == 1 {
			if err := c.ChangePIN(kiosk.PINAuth, 3, []byte("5678"), []byte("1234")); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sign-cert-check", func(b *testing.B) {
		measure(b, &apdus, func() error {
			res, err := f.CheckSignCert(ctx, c, []byte("ABC123"), st.SignTries, false)
			if err == nil && res.Outcome != kiosk.OutcomeOK {
				err = fmt.Errorf("outcome %s", res.Outcome)
			}
			return err
		})
	})
}
