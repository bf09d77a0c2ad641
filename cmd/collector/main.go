// Command collector is the town hall's reference receiving end of kiosk sync.
//
//	collector --listen :8443 --ca ca.pem --cert server.pem --key server-key.pem --data /var/lib/collector
//	collector gen-test-pki DIR K01 K02 staff-1   # a test village CA, a loopback server cert, client certs
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/villagehall/kiosk/kiosk/sync/collector"
	"github.com/villagehall/kiosk/kiosk/sync/synctest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "collector:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "gen-test-pki" {
		// For trying sync on one machine: a real village CA is made and
		// kept offline by the town hall, not by this command.
		if len(args) < 3 {
			return errors.New("usage: collector gen-test-pki DIR KIOSK_ID|staff-NAME ...")
		}
		if err := os.MkdirAll(args[1], 0o700); err != nil {
			return err
		}
		pki, err := synctest.GenerateTestPKI(args[1], args[2:]...)
		if err != nil {
			return err
		}
		fmt.Printf("CA %s\nserver %s %s\n", pki.CAFile, pki.ServerCert, pki.ServerKey)
		for _, cn := range args[2:] {
			fmt.Printf("client %s %s %s\n", cn, pki.Clients[cn].Cert, pki.Clients[cn].Key)
		}
		return nil
	}
	fs := flag.NewFlagSet("collector", flag.ContinueOnError)
	listen := fs.String("listen", ":8443", "address to listen on")
	ca := fs.String("ca", "", "village CA (PEM) that signs kiosk and staff client certificates")
	cert := fs.String("cert", "", "server certificate (PEM)")
	key := fs.String("key", "", "server key (PEM)")
	data := fs.String("data", "", "directory for the collector's store")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *ca == "" || *cert == "" || *key == "" || *data == "" {
		return errors.New("--ca, --cert, --key and --data are required")
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	tc, err := collector.ServerTLS(*ca, *cert, *key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*data, 0o700); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	srv, err := collector.Open(*data, collector.Options{Logger: log})
	if err != nil {
		return err
	}
	defer srv.Close()
	hs := &http.Server{
		Addr: *listen, Handler: srv.Handler(), TLSConfig: tc,
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: time.Minute,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.ListenAndServeTLS("", "") }()
	log.Info("collector listening", "addr", *listen, "data", *data)
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	<-errc
	return nil
}
