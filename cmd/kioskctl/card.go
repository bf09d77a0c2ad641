//go:build linux && cgo

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/villagehall/kiosk/drivers/jpki"
	"github.com/villagehall/kiosk/drivers/pcsc"
	"github.com/villagehall/kiosk/kiosk"
)

// cardReport is the --json shape of `kioskctl card status`. It carries
// validity dates and counters only: the auth certificate has no personal
// data, and the signing certificate is never read here.
type cardReport struct {
	Reader string     `json:"reader"`
	Card   string     `json:"card"` // mynumber | juki | unknown
	Label  string     `json:"label,omitempty"`
	Auth   pinReport  `json:"auth"`
	Sign   signReport `json:"sign"`
	APDUs  int        `json:"apdus"`
}

// A value the card was not asked for is null, never a zero that reads as
// "no tries left": a 住基カード or an unknown card is not read past its label.
type pinReport struct {
	Present   *bool  `json:"present"`
	NotBefore string `json:"not_before,omitempty"` // RFC 3339
	NotAfter  string `json:"not_after,omitempty"`
	DaysLeft  *int   `json:"days_left,omitempty"`
	Verdict   string `json:"verdict,omitempty"`
	TriesLeft *int   `json:"tries_left"`
	Blocked   *bool  `json:"blocked"`
}

type signReport struct {
	Present   *bool `json:"present"`
	TriesLeft *int  `json:"tries_left"`
	Blocked   *bool `json:"blocked"`
}

func ptr[T any](v T) *T { return &v }

func cardCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "status" {
		fmt.Fprintln(stderr, "usage: kioskctl card status [--reader PREFIX] [--json]")
		return errUsage
	}
	fs := flag.NewFlagSet("card status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	prefix := fs.String("reader", "", "reader name prefix (default: the first reader)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := fs.Parse(args[1:]); err != nil {
		return errUsage
	}
	rep, err := readCard(*prefix, time.Now())
	if err != nil {
		return cardErrorLine(err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printCard(stdout, rep)
	return nil
}

func readCard(prefix string, now time.Time) (*cardReport, error) {
	pc, err := pcsc.Open()
	if err != nil {
		return nil, err
	}
	defer pc.Close()
	reader, err := pc.FindReader(prefix)
	if err != nil {
		return nil, err
	}
	conn, err := pc.Connect(reader)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", reader, err)
	}
	defer conn.Close()
	st, err := jpki.New(conn).ReadStatus()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", reader, err)
	}
	rep := &cardReport{Reader: reader, Card: string(st.Kind), Label: st.Label, APDUs: st.APDUs}
	if st.Kind != kiosk.CardMyNumber {
		return rep, nil
	}
	rep.Auth = pinReport{Present: ptr(st.HasAuth), TriesLeft: ptr(st.AuthTries), Blocked: ptr(st.AuthLocked)}
	rep.Sign = signReport{Present: ptr(st.HasSign), TriesLeft: ptr(st.SignTries), Blocked: ptr(st.SignLocked)}
	if st.HasAuth {
		// A technician's tool: the local clock is taken as it is, and
		// the verdict says so when it is off (see the kiosk's clock rules).
		if st.Auth == nil {
			return nil, fmt.Errorf("%s: auth certificate flagged but not read: %w", reader, kiosk.ErrBadResponse)
		}
		a := kiosk.AssessCert(*st.Auth, now, true)
		rep.Auth.NotBefore = a.NotBefore.Format(time.RFC3339)
		rep.Auth.NotAfter = a.NotAfter.Format(time.RFC3339)
		rep.Auth.Verdict = string(a.Verdict)
		days := a.DaysLeft
		rep.Auth.DaysLeft = &days
	}
	return rep, nil
}

func printCard(w io.Writer, r *cardReport) {
	fmt.Fprintf(w, "reader:      %s\n", r.Reader)
	switch r.Card {
	case string(kiosk.CardJuki):
		fmt.Fprintf(w, "card:        old Basic Resident Register card (住基カード, label %s): not supported\n", r.Label)
	case string(kiosk.CardMyNumber):
		fmt.Fprintf(w, "card:        My Number Card (%s)\n", r.Label)
		if *r.Auth.Present {
			fmt.Fprintf(w, "auth cert:   %s  valid %s .. %s, %d days left\n", r.Auth.Verdict, r.Auth.NotBefore, r.Auth.NotAfter, *r.Auth.DaysLeft)
		} else {
			fmt.Fprintln(w, "auth cert:   none")
		}
		fmt.Fprintf(w, "auth PIN:    %s\n", tries(*r.Auth.TriesLeft, *r.Auth.Blocked, 3))
		if *r.Sign.Present {
			fmt.Fprintln(w, "sign cert:   present (readable only with the signing PIN)")
		} else {
			fmt.Fprintln(w, "sign cert:   none")
		}
		fmt.Fprintf(w, "sign PIN:    %s\n", tries(*r.Sign.TriesLeft, *r.Sign.Blocked, 5))
	default:
		fmt.Fprintf(w, "card:        unknown token %q\n", r.Label)
	}
	fmt.Fprintf(w, "apdus:       %d\n", r.APDUs)
}

func tries(n int, blocked bool, max int) string {
	if blocked {
		return "BLOCKED (reset at the office)"
	}
	return fmt.Sprintf("%d of %d tries left", n, max)
}

// cardErrorLine turns the typed errors into the one line a technician needs.
func cardErrorLine(err error) error {
	switch {
	case errors.Is(err, kiosk.ErrServiceDown):
		return fmt.Errorf("pcscd is not running (start it: pcscd, or systemctl start pcscd): %w", err)
	case errors.Is(err, kiosk.ErrReaderGone):
		return fmt.Errorf("no card reader found (check the USB cable): %w", err)
	case errors.Is(err, kiosk.ErrNoCard), errors.Is(err, kiosk.ErrCardRemoved):
		return fmt.Errorf("no card in the reader: %w", err)
	case errors.Is(err, kiosk.ErrNotJPKI):
		return fmt.Errorf("not a My Number Card (no JPKI applet): %w", err)
	}
	return fmt.Errorf("card could not be read: %w", err)
}
