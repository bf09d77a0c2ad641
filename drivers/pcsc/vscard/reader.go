package vscard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/villagehall/kiosk/drivers/pcsc/vpcd"
)

// Card is a virtual card, the same as vpcd takes. Reset is called at each
// insertion (qemu forwards no power-on or reset); methods are called from
// one goroutine at a time.
type Card = vpcd.Card

// Option configures a Reader.
type Option func(*config)

type config struct {
	logger       *slog.Logger
	apduLog      io.Writer
	name         string
	writeTimeout time.Duration
}

// DefaultWriteTimeout is how long qemu may leave a message unread before
// the connection is given up: its main loop reads the socket at once
// unless qemu hangs, and a hung qemu must not hang Close with it.
const DefaultWriteTimeout = 5 * time.Second

// WithWriteTimeout replaces DefaultWriteTimeout.
func WithWriteTimeout(d time.Duration) Option { return func(c *config) { c.writeTimeout = d } }

// WithLogger sets the logger for connection-level events.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithAPDULog writes one line per APDU, as vpcd.LogLine (PINs zeroed).
// Test cards only.
func WithAPDULog(w io.Writer) Option { return func(c *config) { c.apduLog = w } }

// WithReaderName sets the name sent in ReaderAdd (qemu only logs it; the
// guest sees qemu's own reader name).
func WithReaderName(name string) Option { return func(c *config) { c.name = name } }

// ErrClosed is returned by requests on a Reader whose connection ended.
var ErrClosed = errors.New("vscard: connection closed")

// Reader is a connection to qemu's ccid-card-passthru: its one reader, into
// which a card is inserted and from which it is removed, any number of
// times. qemu is the server (-chardev socket,server=on,wait=off): it
// boots without waiting, and the card side comes and goes like a card.
type Reader struct {
	conn net.Conn
	cfg  config
	id   uint32

	wmu sync.Mutex // one message per Write

	ops     sync.Mutex   // one request (Init, ReaderAdd, ATR, CardRemove) at a time
	replies chan Message // Init and Error from qemu, for the request in flight

	mu   sync.Mutex
	card Card // nil: no card in the reader
	err  error
	done chan struct{}
}

// Dial connects to qemu's chardev at addr ("HOST:PORT", or "unix:PATH"),
// exchanges Init and adds the reader. ctx bounds the dial and the
// handshake. No card is inserted yet.
func Dial(ctx context.Context, addr string, opts ...Option) (*Reader, error) {
	cfg := config{logger: slog.Default(), name: "kiosk virtual card", writeTimeout: DefaultWriteTimeout}
	for _, o := range opts {
		o(&cfg)
	}
	network, address := "tcp", addr
	if p, ok := strings.CutPrefix(addr, "unix:"); ok {
		network, address = "unix", p
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, address)
	if err != nil {
		return nil, fmt.Errorf("vscard: connect to qemu at %s: %w", addr, err)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true) // small request/response messages
	}
	r := &Reader{conn: conn, cfg: cfg, replies: make(chan Message, 1), done: make(chan struct{})}
	go r.serve()
	if err := r.handshake(ctx); err != nil {
		r.conn.Close()
		<-r.done
		return nil, err
	}
	return r, nil
}

func (r *Reader) handshake(ctx context.Context) error {
	r.ops.Lock()
	defer r.ops.Unlock()
	m, err := r.request(ctx, Message{Type: TypeInit, Reader: UndefinedReader, Payload: Init{Version: Version}.Marshal()}, TypeInit)
	if err != nil {
		return err
	}
	in, err := ParseInit(m.Payload)
	if err != nil {
		return err
	}
	if in.Version != Version {
		// qemu only warns about a version mismatch; so do we.
		r.cfg.logger.Warn("vscard: qemu speaks another protocol version", "qemu", in.Version, "ours", Version)
	}
	m, err = r.request(ctx, Message{Type: TypeReaderAdd, Reader: UndefinedReader, Payload: []byte(r.cfg.name)}, TypeError)
	if err != nil {
		return err
	}
	if err := ack(m, "add reader"); err != nil {
		return err
	}
	r.id = m.Reader
	return nil
}

// Insert puts c into the empty reader: c is reset and its ATR sent. ctx bounds
// the wait for qemu's answer; a timeout ends the connection (a late answer
// could not be told from the next one).
func (r *Reader) Insert(ctx context.Context, c Card) error {
	r.ops.Lock()
	defer r.ops.Unlock()
	atr := c.ATR()
	if err := CheckATR(atr); err != nil {
		return fmt.Errorf("vscard: insert: qemu would refuse it: %w", err)
	}
	r.mu.Lock()
	had := r.card != nil
	r.mu.Unlock()
	if had {
		return errors.New("vscard: insert: a card is already in the reader (remove it first)")
	}
	// No Card method of an earlier insertion still runs: Remove returned
	// only after qemu's answer, which serve reads after the last APDU.
	c.Reset()
	r.setCard(c) // before the ATR: the guest may send an APDU right after it
	m, err := r.request(ctx, Message{Type: TypeATR, Reader: r.id, Payload: atr}, TypeError)
	if err == nil {
		err = ack(m, "insert card")
	}
	if err != nil {
		r.setCard(nil)
	}
	return err
}

// Remove takes the card out (CardRemove). Removing from an empty reader is
// not an error: qemu acknowledges it all the same.
func (r *Reader) Remove(ctx context.Context) error {
	r.ops.Lock()
	defer r.ops.Unlock()
	r.setCard(nil) // an APDU that crosses the removal is answered with Error
	m, err := r.request(ctx, Message{Type: TypeCardRemove, Reader: r.id}, TypeError)
	if err != nil {
		return err
	}
	return ack(m, "remove card")
}

// Inserted says whether a card is in the reader.
func (r *Reader) Inserted() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.card != nil
}

// Close removes the card if one is in (bounded by a few seconds: qemu does
// not notice a closed connection by itself), closes the connection and
// waits until no Card method runs any more.
func (r *Reader) Close() error {
	if r.Inserted() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := r.Remove(ctx); err != nil && !errors.Is(err, ErrClosed) {
			r.cfg.logger.Warn("vscard: card not removed before closing", "err", err)
		}
		cancel()
	}
	err := r.conn.Close()
	<-r.done
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// Done is closed when the connection has ended.
func (r *Reader) Done() <-chan struct{} { return r.done }

// Err says why the connection ended (nil while it is up, and after Close).
func (r *Reader) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

func (r *Reader) setCard(c Card) {
	r.mu.Lock()
	r.card = c
	r.mu.Unlock()
}

func ack(m Message, op string) error {
	code, err := ParseError(m.Payload)
	if err != nil {
		return fmt.Errorf("vscard: %s: %w", op, err)
	}
	if code != Success {
		return fmt.Errorf("vscard: %s: qemu answered %s", op, code)
	}
	return nil
}

// request sends m and waits for qemu's answer of type want. The caller
// holds r.ops.
func (r *Reader) request(ctx context.Context, m Message, want Type) (Message, error) {
	// An answer left over from an abandoned request cannot be in the
	// channel: abandoning one closes the connection.
	select {
	case <-r.done:
		return Message{}, fmt.Errorf("vscard: %s: %w (%v)", m.Type, ErrClosed, r.Err())
	default:
	}
	if err := r.send(m); err != nil {
		return Message{}, err
	}
	for {
		select {
		case rep := <-r.replies:
			if rep.Type != want {
				r.cfg.logger.Warn("vscard: unexpected answer ignored", "sent", m.Type, "got", rep.Type)
				continue
			}
			return rep, nil
		case <-r.done:
			return Message{}, fmt.Errorf("vscard: %s: %w (%v)", m.Type, ErrClosed, r.Err())
		case <-ctx.Done():
			err := fmt.Errorf("vscard: no answer from qemu to %s: %w", m.Type, ctx.Err())
			r.mu.Lock()
			if r.err == nil {
				r.err = err // Err says why, not just "closed"
			}
			r.mu.Unlock()
			r.conn.Close()
			return Message{}, err
		}
	}
}

func (r *Reader) send(m Message) error {
	if len(m.Payload) > MaxPayload {
		return fmt.Errorf("%w: %s of %d bytes", ErrTooLong, m.Type, len(m.Payload))
	}
	b := m.Append(make([]byte, 0, HeaderLen+len(m.Payload)))
	r.wmu.Lock()
	defer r.wmu.Unlock()
	_ = r.conn.SetWriteDeadline(time.Now().Add(r.cfg.writeTimeout))
	if _, err := r.conn.Write(b); err != nil {
		return fmt.Errorf("vscard: send %s: %w", m.Type, err)
	}
	return nil
}

// serve reads qemu's messages until the connection ends: APDUs are
// answered here, one at a time in arrival order; answers to requests go
// to the request in flight.
func (r *Reader) serve() {
	defer close(r.done)
	err := r.loop()
	r.mu.Lock()
	if !errors.Is(err, net.ErrClosed) {
		r.err = err
	}
	r.card = nil
	r.mu.Unlock()
	r.conn.Close()
}

func (r *Reader) loop() error {
	for {
		m, err := ReadMessage(r.conn)
		if err != nil {
			return err
		}
		switch m.Type {
		case TypeAPDU:
			err = r.answerAPDU(m)
		case TypeFlush:
			// APDUs are answered in order before the next message is read.
			err = r.send(Message{Type: TypeFlushComplete, Reader: m.Reader})
		case TypeInit, TypeError:
			select {
			case r.replies <- m:
			default:
				r.cfg.logger.Warn("vscard: unsolicited message ignored", "type", m.Type)
			}
		default:
			r.cfg.logger.Warn("vscard: unexpected message from qemu", "type", m.Type, "len", len(m.Payload))
			err = r.send(Message{Type: TypeError, Reader: m.Reader, Payload: ErrorPayload(GeneralError)})
		}
		if err != nil {
			return err
		}
	}
}

func (r *Reader) answerAPDU(m Message) error {
	r.mu.Lock()
	c := r.card
	r.mu.Unlock()
	if c == nil {
		// qemu turns an Error into a failed answer to the guest's
		// XfrBlock, the closest thing to "no card".
		r.cfg.logger.Info("vscard: APDU with no card in the reader", "len", len(m.Payload))
		return r.send(Message{Type: TypeError, Reader: m.Reader, Payload: ErrorPayload(GeneralError)})
	}
	rsp := c.Process(m.Payload)
	if r.cfg.apduLog != nil {
		if _, err := io.WriteString(r.cfg.apduLog, vpcd.LogLine(m.Payload, rsp)); err != nil {
			r.cfg.logger.Warn("vscard: APDU log write failed", "err", err)
		}
	}
	return r.send(Message{Type: TypeAPDU, Reader: m.Reader, Payload: rsp})
}
