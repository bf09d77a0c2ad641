package alerts

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"mime"
	"net"
	"net/smtp"
	"strings"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
)

// sendTimeout bounds one mail: a mail server that accepts the connection
// and then stalls must not hold the queue.
const sendTimeout = 30 * time.Second

// deliver hands a to the SMTP server in one connection.
func deliver(ctx context.Context, c Config, a store.Alert, now time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", c.Server)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", c.Server, err)
	}
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	host, _, _ := net.SplitHostPort(c.Server)
	cl, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp %s: %w", c.Server, err)
	}
	defer cl.Close()
	if ok, _ := cl.Extension("STARTTLS"); ok && c.TLS != "none" {
		if err := cl.StartTLS(&tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}); err != nil {
			return fmt.Errorf("smtp %s: starttls: %w", c.Server, err)
		}
	} else if c.TLS == "starttls" {
		return fmt.Errorf("smtp %s: the server offers no STARTTLS (mail.tls = \"starttls\")", c.Server)
	}
	if c.Username != "" {
		pw, err := c.password()
		if err != nil {
			return err
		}
		if err := cl.Auth(smtp.PlainAuth("", c.Username, pw, host)); err != nil {
			return fmt.Errorf("smtp %s: login as %s: %w", c.Server, c.Username, err)
		}
	}
	if err := cl.Mail(c.From); err != nil {
		return fmt.Errorf("smtp %s: MAIL FROM: %w", c.Server, err)
	}
	for _, to := range c.To {
		if err := cl.Rcpt(to); err != nil {
			return fmt.Errorf("smtp %s: RCPT TO %s: %w", c.Server, to, err)
		}
	}
	w, err := cl.Data()
	if err != nil {
		return fmt.Errorf("smtp %s: DATA: %w", c.Server, err)
	}
	if _, err := w.Write(message(c, a, now)); err != nil {
		return fmt.Errorf("smtp %s: %w", c.Server, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp %s: the server did not take the message: %w", c.Server, err)
	}
	_ = cl.Quit()
	return nil
}

// MessageID is an alert's Message-ID: the same alert always has the same
// one, so a mail that went out twice (the collector stopped between the
// server's answer and the store's note) shows as one in a mail client.
func MessageID(key string) string {
	h := sha256.Sum256([]byte(key))
	return "<alert-" + hex.EncodeToString(h[:12]) + "@kiosk-collector>"
}

// message is a's mail: UTF-8 text, base64, the subject MIME-encoded.
func message(c Config, a store.Alert, now time.Time) []byte {
	var b bytes.Buffer
	hdr := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	hdr("From", c.From)
	hdr("To", strings.Join(c.To, ", "))
	// One line, whatever a kiosk ID or a place could hold.
	hdr("Subject", mime.BEncoding.Encode("UTF-8", strings.NewReplacer("\r", " ", "\n", " ").Replace(a.Subject)))
	hdr("Date", now.Format(time.RFC1123Z))
	hdr("Message-ID", MessageID(a.Key))
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", "text/plain; charset=UTF-8")
	hdr("Content-Transfer-Encoding", "base64")
	hdr("X-Kiosk-Alert", a.Kind)
	b.WriteString("\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(strings.ReplaceAll(a.Body, "\n", "\r\n")))
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return b.Bytes()
}
