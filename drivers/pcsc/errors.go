package pcsc

import (
	"errors"
	"fmt"

	"github.com/ebfe/scard"

	"github.com/villagehall/kiosk/kiosk"
)

// mapErr wraps a PC/SC error with op and, when it means something the UI
// acts on, with the matching kiosk error as well. Both stay reachable
// through errors.Is / errors.As. connecting selects ErrNoCard over
// ErrCardRemoved for "no card": a connect that finds no card is not a
// session that lost its card.
func mapErr(op string, err error, connecting bool) error {
	if err == nil {
		return nil
	}
	var se scard.Error
	if !errors.As(err, &se) {
		return fmt.Errorf("pcsc: %s: %w", op, err)
	}
	if k := kioskErr(se, connecting); k != nil {
		return fmt.Errorf("pcsc: %s: %w (%w)", op, k, err)
	}
	return fmt.Errorf("pcsc: %s: %w", op, err)
}

func kioskErr(se scard.Error, connecting bool) error {
	switch se {
	case scard.ErrRemovedCard, scard.ErrNoSmartcard:
		if connecting {
			return kiosk.ErrNoCard
		}
		return kiosk.ErrCardRemoved
	case scard.ErrResetCard:
		// Another client reset the card: the card is present but our
		// session (selected applet, verified PIN) is gone, exactly as
		// after a removal. The caller must reconnect and start over.
		return kiosk.ErrCardRemoved
	case scard.ErrReaderUnavailable, scard.ErrUnknownReader, scard.ErrNoReadersAvailable:
		return kiosk.ErrReaderGone
	case scard.ErrNoService, scard.ErrServiceStopped, scard.ErrCommError:
		// F_COMM_ERROR is what a client sees when pcscd dies mid-call.
		return kiosk.ErrServiceDown
	}
	return nil
}

// scardErr returns the scard.Error inside err, or 0.
func scardErr(err error) scard.Error {
	var se scard.Error
	if errors.As(err, &se) {
		return se
	}
	return 0
}
