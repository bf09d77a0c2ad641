// Command collector is the town hall's receiving end of kiosk sync.
//
//	collector [serve] --config /etc/collector/collector.toml    # cmd/collector/packaging/collector.toml; flags given win
//	collector check-config /etc/collector/collector.toml
//	collector [serve] --listen :8443 --ca ca.pem --cert server.pem --key server-key.pem --data /var/lib/collector
//	collector [serve] … --store postgres://collector@/collector?host=/run/postgresql
//	collector [serve] … --crl village-ca.crl     # refuse revoked kiosk and staff certificates
//	collector migrate --data /var/lib/collector --to postgres://…       # the collector stopped; all or nothing
//	collector backup --data /var/lib/collector --to FILE                # bbolt, while serving
//	collector import --data /var/lib/collector --ca ca.pem [--kiosk-cert K01.pem] /media/usb/kiosk-K01
//	collector import --url https://collector:8443 --ca ca.pem --cert staff.pem --key staff-key.pem /media/usb/kiosk-K01
//	collector gen-test-pki [--key-type ecdsa|rsa|ed25519] DIR K01 K02 staff-1
//	collector gen-test-crl DIR DIR/client-K01.pem     # DIR/crl.pem, signed by the test CA
//	collector release --releases DIR --keys DIR [--window 02:00-05:00] BUNDLE.kup   # serve … --releases DIR
//
// Kiosks reach it at its base URL (https://host:port, no path).
package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/console"
	"github.com/villagehall/kiosk/cmd/collector/internal/importer"
	"github.com/villagehall/kiosk/cmd/collector/internal/release"
	"github.com/villagehall/kiosk/cmd/collector/internal/revoke"
	"github.com/villagehall/kiosk/cmd/collector/internal/server"
	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/cmd/collector/internal/store/boltstore"
	"github.com/villagehall/kiosk/kiosk"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
	"github.com/villagehall/kiosk/kiosk/sync/pki"
)

const usage = `collector: the town hall's receiving end of kiosk sync.

usage:
  collector [serve] --config FILE                     # ` + DefaultConfigFile + ` in the Debian package
  collector [serve] --listen :8443 --ca CA --cert CERT --key KEY (--data DIR | --store postgres://…) [--crl CRL] [--metrics-listen 127.0.0.1:9464]
  collector check-config [FILE]                       # read and check a configuration as serve would
  collector import ((--data DIR | --store postgres://…) --ca CA [--crl CRL] | --url URL --ca CA --cert STAFF --key STAFFKEY) [--kiosk-cert FILE] EXPORT_DIR...
  collector migrate --data DIR --to postgres://…      # bbolt to PostgreSQL, the collector stopped; all or nothing
  collector backup (--data DIR | --config FILE) --to FILE   # a consistent copy of the bbolt store, while serving
  collector kiosks (list | add [--place P] KIOSK_ID... | remove KIOSK_ID...) (--config FILE | --data DIR | --store postgres://…)
  collector gen-test-pki [--key-type ecdsa|rsa|ed25519] [--server-host H,...] DIR KIOSK_ID|staff-NAME ...
  collector gen-test-crl DIR [CERT.pem ...]
  collector release --releases DIR --keys DIR [--window HH:MM-HH:MM] [--kiosks K01,...] BUNDLE.kup
  collector help                                      # this text

Each command's flags: collector COMMAND --help.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		return // COMMAND --help: the flags were printed
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "collector:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && (!strings.HasPrefix(args[0], "-") || slices.Contains([]string{"-h", "-help", "--help"}, args[0])) {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	case "check-config":
		return checkConfig(args, stdout)
	case "backup":
		return backupCmd(ctx, args, stdout, stderr)
	case "serve":
		return serve(ctx, args, stderr)
	case "import":
		return importCmd(ctx, args, stdout, stderr)
	case "migrate":
		return migrateCmd(ctx, args, stdout, stderr)
	case "kiosks":
		return kiosksCmd(ctx, args, stdout, stderr)
	case "gen-test-pki":
		return genTestPKI(args, stdout, stderr)
	case "gen-test-crl":
		return genTestCRL(args, stdout)
	case "release":
		return releaseCmd(args, stdout, stderr)
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

func genTestPKI(args []string, stdout, stderr io.Writer) error {
	// For trying sync on one machine: a real village CA is made and kept
	// offline by the town hall, not by this command.
	fs := flag.NewFlagSet("gen-test-pki", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kt := fs.String("key-type", string(pki.ECDSA), "key type of every certificate: ecdsa (P-256), rsa (2048) or ed25519")
	hosts := fs.String("server-host", "", "more names or addresses for the server certificate, comma-separated (it always has localhost, 127.0.0.1, ::1)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() < 2 {
		return errors.New("usage: collector gen-test-pki [--key-type ecdsa|rsa|ed25519] [--server-host H,...] DIR KIOSK_ID|staff-NAME ...")
	}
	var serverHosts []string
	for _, h := range strings.Split(*hosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			serverHosts = append(serverHosts, h)
		}
	}
	dir, names := fs.Arg(0), fs.Args()[1:]
	for _, n := range names {
		if !kiosk.ValidKioskID(n) && !strings.HasPrefix(n, "staff-") {
			return fmt.Errorf("%q: a kiosk ID (1-6 of A-Z, 0-9) or staff-NAME", n)
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := pki.GenerateFor(dir, pki.KeyType(*kt), serverHosts, names...)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "CA %s\nserver %s %s\n", f.CAFile, f.ServerCert, f.ServerKey)
	for _, cn := range names {
		fmt.Fprintf(stdout, "client %s %s %s\n", cn, f.Clients[cn].Cert, f.Clients[cn].Key)
	}
	return nil
}

// genTestCRL writes DIR/crl.pem, signed by the test CA in DIR, revoking
// the certificates named (none: an empty list). A real village's CA
// issues its list with its own tools (e.g. openssl ca -gencrl).
func genTestCRL(args []string, stdout io.Writer) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Fprintln(stdout, "usage: collector gen-test-crl DIR [CERT.pem ...]")
		return flag.ErrHelp
	}
	if len(args) < 1 {
		return errors.New("usage: collector gen-test-crl DIR [CERT.pem ...]")
	}
	dir := args[0]
	ca, err := pki.LoadCA(filepath.Join(dir, "ca.pem"), filepath.Join(dir, "ca-key.pem"))
	if err != nil {
		return fmt.Errorf("gen-test-crl: %w", err)
	}
	var revoked []*x509.Certificate
	for _, f := range args[1:] {
		c, _, err := ksync.ReadCertFile(f)
		if err != nil {
			return err
		}
		revoked = append(revoked, c)
	}
	b, err := ca.CRL(30*24*time.Hour, revoked...)
	if err != nil {
		return err
	}
	out := filepath.Join(dir, "crl.pem")
	// Through a temporary name: a running collector may read it any moment.
	if err := os.WriteFile(out+".tmp", b, 0o644); err != nil {
		return err
	}
	if err := os.Rename(out+".tmp", out); err != nil {
		return err
	}
	for _, c := range revoked {
		fmt.Fprintf(stdout, "revoked %s (serial %s)\n", c.Subject.CommonName, c.SerialNumber)
	}
	fmt.Fprintf(stdout, "CRL %s\n", out)
	return nil
}

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	c, err := serveConfig(args, stderr)
	if err != nil {
		return err
	}
	if c.CA == "" || c.Cert == "" || c.Key == "" || (c.Data == "" && c.Store == "") {
		return errors.New("--ca, --cert, --key and --data (or --store postgres://…) are required (or --config FILE)")
	}
	if c.StoreTimeout <= 0 || c.RequestTimeout <= 0 {
		return errors.New("store_timeout and request_timeout must be more than 0 (collector check-config says more)")
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	tc, pool, err := server.TLSConfig(c.CA, c.Cert, c.Key)
	if err != nil {
		return err
	}
	var list *revoke.List
	var revoked func(*x509.Certificate) bool
	if c.CRL != "" {
		if list, err = revoke.Open(c.CRL, c.CA, log); err != nil {
			return err
		}
		revoked = list.Revoked
	}
	raw, where, err := openStore(ctx, c.Store, c.Data)
	if err != nil {
		return err
	}
	defer raw.Close()
	m := newMetrics(raw, c)
	st := m.Store(store.Bounded(raw, store.BoundOptions{Call: c.StoreTimeout, Observer: m.Observer}))
	st = store.WithHistory(st, c.SilentAfter, log) // each heartbeat's changes, for the kiosk's history
	srv := server.New(st, server.Options{CAPool: pool, Revoked: revoked, Logger: log, Admin: console.AdminOf(c.ConsoleAdmins, "")})
	h, refused, err := withConsole(srv.Handler(), st, pool, list, c.ConsoleAdmins, log, c.SilentAfter)
	if err != nil {
		return err
	}
	h = m.Batches(bounded(h, c.RequestTimeout))
	if c.Releases != "" {
		// Outside the request deadline: a bundle is hundreds of MiB.
		h = release.Handler(release.Dir(c.Releases), "staff-", log, h)
	}
	if list != nil {
		h = list.GuardWith(h, refused) // connections opened before a revocation too
	}
	hs := &http.Server{
		Addr: c.Listen, Handler: h, TLSConfig: tc,
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 5 * time.Minute, WriteTimeout: 5 * time.Minute,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	errc := make(chan error, 1)
	if b, ok := raw.(*boltstore.Store); ok {
		// collector backup reaches the locked file through this socket.
		bctx, cancel := context.WithCancel(ctx)
		done, err := b.ServeBackups(bctx, c.Data)
		if err != nil {
			cancel()
			return err
		}
		defer func() { cancel(); <-done }()
	}
	stopAlerts, err := startAlerts(ctx, st, c, log)
	if err != nil {
		return err
	}
	defer stopAlerts()
	go func() { errc <- hs.ServeTLS(server.GentleRefusals(ln), "", "") }()
	var ms *http.Server
	if c.MetricsListen != "off" {
		ms = &http.Server{Addr: c.MetricsListen, Handler: m.Handler(raw), ReadHeaderTimeout: 10 * time.Second,
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
		mdone := make(chan struct{})
		go func() {
			defer close(mdone)
			// Monitoring is not worth refusing kiosks for: said loudly, not fatal.
			if err := ms.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
				log.Error("metrics listener failed: kiosks and staff are still served", "addr", c.MetricsListen, "err", err)
			}
		}()
		defer func() { <-mdone }()
	}
	log.Info("collector listening", "version", version, "addr", c.Listen, "store", where, "console", "https://"+c.Listen+"/console/", "crl", c.CRL,
		"metrics", "http://"+c.MetricsListen+"/metrics")
	select {
	case err := <-errc:
		shutdown(hs, ms)
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	return shutdown(hs, ms)
}

// shutdown stops the servers, letting requests under way finish (10 s).
func shutdown(hs, ms *http.Server) error {
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if ms != nil {
		_ = ms.Shutdown(shutCtx)
	}
	if err := hs.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// importCmd brings USB exports into the store: directly (the collector
// stopped: the store is one process's), or through a running collector's
// staff interface.
func importCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "the collector's store directory (the collector stopped)")
	storeURL := fs.String("store", "", "or the collector's PostgreSQL store (postgres://…; the collector may run)")
	url := fs.String("url", "", "a running collector's base URL (through its staff interface)")
	ca := fs.String("ca", "", "village CA (PEM), required: every certificate that vouches for an export must chain to it; with --url, the server's CA")
	cert := fs.String("cert", "", "with --url: a staff client certificate (PEM)")
	key := fs.String("key", "", "with --url: its key")
	kioskCert := fs.String("kiosk-cert", "", "the kiosk's certificate (PEM), when the collector has not seen it; trusted only if the village CA issued it to that kiosk")
	crl := fs.String("crl", "", "without --url: the village CA's revocation list (needs --ca); a revoked certificate verifies no export")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 || (*data == "" && *storeURL == "") == (*url == "") {
		fmt.Fprint(stderr, usage)
		return errors.New("import: give --data DIR (or --store postgres://…) or --url URL, and the export directories")
	}
	var given []*x509.Certificate
	var givenPEM []byte
	if *kioskCert != "" {
		c, b, err := ksync.ReadCertFile(*kioskCert)
		if err != nil {
			return fmt.Errorf("--kiosk-cert: %w", err)
		}
		given, givenPEM = append(given, c), b
	}
	var failed []string
	if *url != "" {
		if *ca == "" || *cert == "" || *key == "" {
			return errors.New("import --url needs --ca, --cert and --key (a staff certificate)")
		}
		if err := kiosk.CheckCollectorURL(*url); err != nil {
			return fmt.Errorf("--url: %w", err)
		}
		tc, err := ksync.ClientTLS(*ca, *cert, *key)
		if err != nil {
			return err
		}
		client := ksync.NewHTTPClient(tc, 10*time.Minute)
		for _, dir := range fs.Args() {
			if err := importRemote(ctx, client, strings.TrimRight(*url, "/"), dir, string(givenPEM), stdout); err != nil {
				failed = append(failed, fmt.Sprintf("%s: %v", dir, err))
			}
		}
	} else {
		opts := importer.Options{Certs: given}
		if *ca == "" {
			return errors.New("import needs --ca: only the village CA makes a certificate a kiosk's (given, seen on sync or in the manifest)")
		}
		pool, err := ksync.LoadCAPool(*ca)
		if err != nil {
			return err
		}
		opts.CAPool = pool
		if *crl != "" {
			l, err := revoke.Open(*crl, *ca, nil)
			if err != nil {
				return err
			}
			opts.Revoked = l.Revoked
		}
		st, _, err := openStore(ctx, *storeURL, *data)
		if err != nil {
			return fmt.Errorf("%w (is the collector running? then import through it with --url)", err)
		}
		defer st.Close()
		for _, dir := range fs.Args() {
			ex, err := importer.ReadDir(dir, opts)
			if err == nil {
				var res importer.Result
				if res, err = importer.Import(ctx, st, ex, opts); err == nil {
					err = report(stdout, dir, res)
				}
			}
			if err != nil {
				failed = append(failed, fmt.Sprintf("%s: %v", dir, err))
			}
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("import: %s", strings.Join(failed, "; "))
	}
	return nil
}

func importRemote(ctx context.Context, c *http.Client, base, dir, kioskCert string, stdout io.Writer) error {
	man, err := os.ReadFile(filepath.Join(dir, ksync.ExportManifest))
	if err != nil {
		return err
	}
	var m ksync.Manifest
	if err := ksync.DecodeOne(bytes.NewReader(man), &m); err != nil {
		return fmt.Errorf("manifest unreadable: %w", err)
	}
	recs, err := os.ReadFile(filepath.Join(dir, filepath.Base(m.RecordsFile)))
	if err != nil {
		return err
	}
	body, err := json.Marshal(importer.Request{Manifest: man, Records: string(recs), KioskCert: kioskCert})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+ksync.PathImport, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("%s: reply cut off: %w", base+ksync.PathImport, err)
	}
	if resp.StatusCode != http.StatusOK {
		var r ksync.Reply
		if json.Unmarshal(data, &r) == nil && r.Error != "" {
			return fmt.Errorf("%s answered %s: %s", base+ksync.PathImport, resp.Status, r.Error)
		}
		return fmt.Errorf("%s answered %s", base+ksync.PathImport, resp.Status)
	}
	var res importer.Result
	if err := ksync.DecodeOne(bytes.NewReader(data), &res); err != nil {
		return fmt.Errorf("%s: unreadable reply: %w", base+ksync.PathImport, err)
	}
	return report(stdout, dir, res)
}

func report(w io.Writer, dir string, res importer.Result) error {
	gaps := "none"
	if g := res.Journal.Gaps; len(g) > 0 {
		var parts []string
		for _, x := range g {
			parts = append(parts, fmt.Sprintf("%d..%d", x.From, x.To))
		}
		gaps = strings.Join(parts, ", ")
	}
	fmt.Fprintf(w, "%s: kiosk %s journal %s: %d records, %d new, %d already held; gaps left: %s; signature checked with %s\n",
		dir, res.KioskID, res.JournalID, res.Records, res.Stored, res.Duplicates, gaps, res.VerifiedBy)
	if len(res.Refused) > 0 {
		return fmt.Errorf("record %d refused: %s (the records after it were not imported)", res.Refused[0].Seq, res.Refused[0].Reason)
	}
	return nil
}
