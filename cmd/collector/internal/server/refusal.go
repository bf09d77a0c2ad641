package server

import (
	"crypto/tls"
	"io"
	"net"
	"sync/atomic"
	"time"
)

// A client whose certificate TLS refuses (not from the village CA,
// expired) is told so by an alert. In TLS 1.3 the client's handshake is
// over before the server has checked its certificate, so the client is
// already writing its request when the alert comes; closing the socket
// with that request unread makes the kernel send a reset, which can reach
// the client before it reads the alert, and the kiosk would say "broken
// pipe" instead of "certificate refused" (issue 21, item 7). A refused
// connection is therefore closed gently: our side is shut for writing
// (the alert, then end of stream) and what the client still sends is read
// and dropped for a short while, so the alert is always what it reads.

// lingerRefused bounds how long a refused connection is drained.
const lingerRefused = 2 * time.Second

// maxRefusedDrain bounds how much of a refused client's data is read.
const maxRefusedDrain = 1 << 20

// GentleRefusals wraps a TCP listener for a server whose TLS config comes
// from NewTLSConfig: connections whose handshake did not accept a client
// certificate are closed as above instead of reset.
func GentleRefusals(ln net.Listener) net.Listener { return refusalListener{ln} }

type refusalListener struct{ net.Listener }

func (l refusalListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &refusalConn{Conn: c}, nil
}

// refusalConn knows whether TLS accepted its client's certificate.
type refusalConn struct {
	net.Conn
	accepted atomic.Bool
	closed   atomic.Bool
}

func (c *refusalConn) Close() error {
	if c.closed.Swap(true) || c.accepted.Load() {
		return c.Conn.Close()
	}
	if hc, ok := c.Conn.(interface{ CloseWrite() error }); ok && hc.CloseWrite() == nil {
		_ = c.Conn.SetReadDeadline(time.Now().Add(lingerRefused))
		_, _ = io.Copy(io.Discard, io.LimitReader(c.Conn, maxRefusedDrain))
	}
	return c.Conn.Close()
}

// markAccepted makes each handshake that accepts a client certificate
// mark its connection (when it came from GentleRefusals): the chain is
// still verified by crypto/tls, before VerifyConnection is called.
func markAccepted(base *tls.Config) {
	base.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		rc, ok := hello.Conn.(*refusalConn)
		if !ok {
			return nil, nil
		}
		// A clone of base as it is at the handshake: net/http has by then
		// added "h2" to base.NextProtos (HTTP/1.1-only clients still get
		// in: crypto/tls lets them fall back from h2).
		cfg := base.Clone()
		cfg.GetConfigForClient = nil
		prev := base.VerifyConnection
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if prev != nil {
				if err := prev(cs); err != nil {
					return err
				}
			}
			rc.accepted.Store(true)
			return nil
		}
		return cfg, nil
	}
}
