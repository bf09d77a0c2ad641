package visitrun_test

import (
	"crypto/x509"
	"encoding/hex"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/villagehall/kiosk/drivers/jpki"
	"github.com/villagehall/kiosk/drivers/jpki/virtualcard"
	"github.com/villagehall/kiosk/drivers/pcsc/pcsctest"
	"github.com/villagehall/kiosk/drivers/pcsc/vpcd"
	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/visitrun"
)

// TestSignCheckAPDUs counts, through pcscd, what the resident's visit
// costs on the card: the status read on insertion (budget 12) and the
// signing-certificate check after it (budget 7: the tries shown come from
// the status read). The card's log shows that no READ BINARY of the
// signing certificate reached its subject, where the resident's name and
// address begin.
func TestSignCheckAPDUs(t *testing.T) {
	pcsctest.StartPCSCD(t)
	log := &teeCount{n: new(atomic.Int64)}
	apdus := log.n
	p, err := virtualcard.LoadProfile("../../testdata/cards/fresh.json", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	pcsctest.Insert(t, virtualcard.New(p), vpcd.WithAPDULog(log))
	conn := pcsctest.Connect(t)

	r := newRig(t)
	r.cards <- visitrun.CardEvent{Kind: visitrun.CardInserted, Card: jpki.New(conn)}
	r.toMenu()
	if n := apdus.Load(); n > 12 {
		t.Errorf("the status read cost %d APDUs, budget 12", n)
	}
	before := apdus.Load()
	r.choose(kiosk.ActionCheckSign)
	r.pin(kiosk.PINSign, kiosk.StepCurrent, "ABC123")
	if res := r.screen(kiosk.ScreenResult); res.Result.Cert == nil {
		t.Fatalf("result %+v", res.Result)
	}
	if n := apdus.Load() - before; n > 7 {
		t.Errorf("the signing-certificate check cost %d APDUs after the status read, budget 7", n)
	} else {
		t.Logf("status read %d APDUs, signing-certificate check %d", before, n)
	}

	cert, err := x509.ParseCertificate(p.Sign.Cert())
	if err != nil {
		t.Fatal(err)
	}
	subject := cap(cert.Raw) - cap(cert.RawSubject) // RawSubject is a sub-slice of Raw
	selected, reached := "", 0
	for _, line := range strings.Split(strings.TrimSpace(log.String()), "\n") {
		cmd, rsp, _ := strings.Cut(line, " ")
		switch {
		case strings.HasPrefix(cmd, "00a4020c02"):
			selected = cmd[10:]
		case strings.HasPrefix(cmd, "00b0") && selected == "0001" && strings.HasSuffix(rsp, "9000"):
			off, _ := hex.DecodeString(cmd[4:8])
			reached = max(reached, (int(off[0])<<8|int(off[1]))+(len(rsp)-4)/2)
		}
	}
	if reached == 0 || reached > subject {
		t.Fatalf("the card sent the signing certificate up to byte %d; its subject starts at %d", reached, subject)
	}
}

// teeCount keeps vpcd's APDU log and counts its lines.
type teeCount struct {
	mu  sync.Mutex
	log strings.Builder
	n   *atomic.Int64
}

func (t *teeCount) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.n.Add(int64(strings.Count(string(p), "\n")))
	return t.log.Write(p)
}

func (t *teeCount) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.log.String()
}
