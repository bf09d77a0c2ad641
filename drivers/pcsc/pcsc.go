// Package pcsc is the kiosk's PC/SC transport: open readers, connect to a
// card, send APDUs inside transactions, and watch readers and cards come
// and go. It maps PC/SC failures to the kiosk's errors (kiosk.ErrCardRemoved,
// kiosk.ErrNoCard, kiosk.ErrReaderGone, kiosk.ErrServiceDown) and keeps the
// original scard.Error wrapped beside them.
//
// Card I/O runs on github.com/ebfe/scard; presence (GetStatusChange) runs on
// separate contexts bound in statusctx.go, see there for why.
package pcsc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ebfe/scard"

	"github.com/villagehall/kiosk/kiosk"
)

// removalSettle bounds how long a failed card operation waits for pcscd to
// notice a removal. pcscd polls readers (vpcd every 400 ms); until then a
// pulled card shows as SCARD_E_NOT_TRANSACTED with the card still "present".
const removalSettle = 1500 * time.Millisecond

// Context is a connection to pcscd for card I/O. Its methods may be called
// from several goroutines.
type Context struct {
	ctx *scard.Context
}

// Open connects to pcscd. If pcscd is not running the error wraps
// kiosk.ErrServiceDown.
func Open() (*Context, error) {
	c, err := scard.EstablishContext()
	if err != nil {
		return nil, mapErr("establish context", err, false)
	}
	return &Context{ctx: c}, nil
}

// Close releases the context. Cards connected through it stop working.
func (c *Context) Close() error {
	if err := c.ctx.Release(); err != nil {
		return mapErr("release context", err, false)
	}
	return nil
}

// Readers lists the connected readers; none is an empty list.
func (c *Context) Readers() ([]string, error) {
	rs, err := c.ctx.ListReaders()
	if scardErr(err) == scard.ErrNoReadersAvailable {
		return nil, nil
	}
	if err != nil {
		return nil, mapErr("list readers", err, false)
	}
	return rs, nil
}

// FindReader returns the first reader whose name starts with prefix (any
// reader if prefix is empty). No such reader wraps kiosk.ErrReaderGone.
func (c *Context) FindReader(prefix string) (string, error) {
	rs, err := c.Readers()
	if err != nil {
		return "", err
	}
	if i := slices.IndexFunc(rs, func(r string) bool { return strings.HasPrefix(r, prefix) }); i >= 0 {
		return rs[i], nil
	}
	return "", fmt.Errorf("pcsc: no reader named %q*: %w", prefix, kiosk.ErrReaderGone)
}

// Connect opens the card in reader, shared mode, T=0 or T=1. No card
// wraps kiosk.ErrNoCard. After a removal the old Card stays dead: Close it
// and Connect again once a card is back.
func (c *Context) Connect(reader string) (*Card, error) {
	sc, err := c.ctx.Connect(reader, scard.ShareShared, scard.ProtocolAny)
	if err != nil {
		return nil, mapErr("connect to "+reader, err, true)
	}
	card := &Card{card: sc, reader: reader}
	st, err := sc.Status()
	if err != nil {
		sc.Disconnect(scard.LeaveCard)
		return nil, card.classify("card status", err)
	}
	card.atr = slices.Clone(st.Atr)
	return card, nil
}

// Card is one connected card session. It is the transport drivers/jpki
// speaks APDUs over. Not for concurrent use by several goroutines.
type Card struct {
	card   *scard.Card
	reader string
	atr    []byte

	closeOnce sync.Once
	closeErr  error
}

// ATR returns the card's answer to reset as seen at Connect.
func (c *Card) ATR() []byte { return slices.Clone(c.atr) }

// Reader returns the reader name.
func (c *Card) Reader() string { return c.reader }

// Transmit sends one command APDU and returns the response (data + SW1
// SW2) as the card sent it, however short: judging it is the protocol
// layer's job.
func (c *Card) Transmit(cmd []byte) ([]byte, error) {
	if len(cmd) == 0 {
		return nil, errors.New("pcsc: transmit: empty command APDU")
	}
	rsp, err := c.card.Transmit(cmd)
	if err != nil {
		return nil, c.classify("transmit", err)
	}
	if len(rsp) < 2 && c.cardGone() {
		// vpcd (and some reader drivers) answer a command cut off by
		// removal with an empty response and no error: without this
		// check a yanked card would look like a card speaking garbage.
		return nil, fmt.Errorf("pcsc: transmit: %d-byte response: %w", len(rsp), kiosk.ErrCardRemoved)
	}
	return rsp, nil
}

// BeginTransaction holds the card for this session until EndTransaction,
// so no other PC/SC client can send APDUs in between.
func (c *Card) BeginTransaction() error {
	if err := c.card.BeginTransaction(); err != nil {
		return c.classify("begin transaction", err)
	}
	return nil
}

// EndTransaction releases the card, leaving it powered and its state intact.
func (c *Card) EndTransaction() error {
	if err := c.card.EndTransaction(scard.LeaveCard); err != nil {
		return c.classify("end transaction", err)
	}
	return nil
}

// Close disconnects, leaving the card as it is. A card that is already
// gone is not an error.
func (c *Card) Close() error {
	c.closeOnce.Do(func() {
		err := c.card.Disconnect(scard.LeaveCard)
		if err == nil || scardErr(err) == scard.ErrInvalidHandle {
			return
		}
		switch kioskErr(scardErr(err), false) {
		case kiosk.ErrCardRemoved, kiosk.ErrServiceDown, kiosk.ErrReaderGone:
			return // nothing left to disconnect from
		}
		c.closeErr = mapErr("disconnect", err, false)
	})
	return c.closeErr
}

// classify maps err; SCARD_E_NOT_TRANSACTED is "maybe removed": it is what
// pcscd answers right after a removal, before its next poll notices. Look
// at the reader and report kiosk.ErrCardRemoved if the card is gone.
func (c *Card) classify(op string, err error) error {
	if scardErr(err) != scard.ErrNotTransacted {
		return mapErr(op, err, false)
	}
	if c.cardGone() {
		return fmt.Errorf("pcsc: %s: %w (%w)", op, kiosk.ErrCardRemoved, err)
	}
	return mapErr(op, err, false)
}

// cardGone reports whether the card this session talked to has left the
// reader (or been swapped). It waits at most removalSettle, and only when
// pcscd still shows the card present.
func (c *Card) cardGone() bool {
	if _, err := c.card.Status(); err != nil {
		switch kioskErr(scardErr(err), false) {
		case kiosk.ErrCardRemoved, kiosk.ErrReaderGone:
			return true
		}
	}
	sc, err := newStatusCtx()
	if err != nil {
		return false
	}
	defer sc.release()
	st := []readerState{{Reader: c.reader, Current: uint32(scard.StateUnaware)}}
	if err := sc.getStatusChange(st, 0); err != nil {
		return kioskErr(scardErr(err), false) == kiosk.ErrReaderGone
	}
	if st[0].flags()&scard.StatePresent == 0 {
		return true
	}
	before := st[0].counter()
	st[0].Current = st[0].Event
	switch err := sc.getStatusChange(st, removalSettle); {
	case scardErr(err) == scard.ErrTimeout:
		return false
	case err != nil:
		return kioskErr(scardErr(err), false) == kiosk.ErrReaderGone
	}
	// A changed counter with the card present again is a re-insertion:
	// our handle is dead all the same.
	return st[0].flags()&scard.StatePresent == 0 || st[0].counter() != before
}

// WaitCard blocks until reader has a card (present true) or has none
// (present false), or ctx ends. It returns the ATR when a card is present.
// It uses its own PC/SC context.
func WaitCard(ctx context.Context, reader string, present bool) ([]byte, error) {
	sc, err := newStatusCtx()
	if err != nil {
		return nil, mapErr("establish context", err, false)
	}
	defer sc.release()
	stop := cancelOn(ctx, sc)
	defer stop()
	st := []readerState{{Reader: reader, Current: uint32(scard.StateUnaware)}}
	for {
		// Finite timeout: a cancel that lands between two calls is not lost.
		err := sc.getStatusChange(st, time.Second)
		if ctx.Err() != nil {
			return nil, fmt.Errorf("pcsc: wait for card in %s: %w", reader, ctx.Err())
		}
		switch scardErr(err) {
		case 0:
		case scard.ErrTimeout:
			continue
		default:
			return nil, mapErr("wait for card in "+reader, err, false)
		}
		if st[0].flags()&(scard.StateUnknown|scard.StateUnavailable) != 0 {
			return nil, fmt.Errorf("pcsc: wait for card in %s: %w", reader, kiosk.ErrReaderGone)
		}
		if (st[0].flags()&scard.StatePresent != 0) == present {
			if present {
				return st[0].ATR, nil
			}
			return nil, nil
		}
		st[0].Current = st[0].Event
	}
}
