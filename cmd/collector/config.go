package main

import (
	"errors"
	"flag"
	"fmt"
	"github.com/villagehall/kiosk/cmd/collector/internal/alerts"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/villagehall/kiosk/cmd/collector/internal/server"
	"github.com/villagehall/kiosk/kiosk"
)

// version is stamped by the build (-X main.version=…).
var version = "dev"

// DefaultConfigFile is where the Debian package puts the configuration.
const DefaultConfigFile = "/etc/collector/collector.toml"

// Config is how the collector serves, from a TOML file the town hall's IT
// edits (packaging/collector.toml beside this file is the example) and/or flags; a flag
// given wins over the file. Field names in errors are the TOML keys.
type Config struct {
	Listen string `toml:"listen"` // kiosks and staff, HTTPS with client certificates
	CA     string `toml:"ca"`     // the village CA (PEM)
	Cert   string `toml:"cert"`   // the server certificate (PEM)
	Key    string `toml:"key"`
	CRL    string `toml:"crl"` // optional: the village CA's revocation list
	// Data is the directory of the bbolt store; Store, a postgres://…
	// connection string, puts the store in PostgreSQL instead. StoreFile
	// names a file holding that string (a password kept out of this file).
	Data      string `toml:"data"`
	Store     string `toml:"store"`
	StoreFile string `toml:"store_file"`
	// MetricsListen serves /metrics, /healthz and /readyz over plain HTTP
	// (default 127.0.0.1:9464, loopback only; "off" for none).
	MetricsListen string `toml:"metrics_listen"`
	// StoreTimeout bounds one store call, RequestTimeout one kiosk or staff
	// request (defaults 3s and 4s): a frozen database costs that, no more.
	StoreTimeout   time.Duration `toml:"store_timeout"`
	RequestTimeout time.Duration `toml:"request_timeout"`
	// SilentAfter: a kiosk without a heartbeat for longer is silent (the
	// console's and the metrics' count; default 15m).
	SilentAfter time.Duration `toml:"silent_after"`
	// Mail: alerts to staff through the town hall's SMTP server (alerts.go).
	Mail alerts.Config `toml:"mail"`
	// AlertEvery: how often the alerts look and send (default 1m).
	AlertEvery time.Duration `toml:"alert_every"`
	// ConsoleAdmins are the staff certificate names (CN) who may import,
	// export and read the audit log; a certificate whose OU is
	// console.DefaultAdminOU may too. Every other staff member is counter staff.
	ConsoleAdmins []string `toml:"console_admins"`
	// Releases is the directory collector release publishes an A/B update
	// in; kiosks fetch it from here. "": no updates offered.
	Releases string `toml:"releases"`
}

// DefaultConfig is what an empty file means.
func DefaultConfig() Config {
	return Config{Listen: ":8443", MetricsListen: "127.0.0.1:9464", StoreTimeout: storeCallTimeout,
		RequestTimeout: requestTimeout, SilentAfter: 15 * time.Minute}
}

// LoadConfig reads path over DefaultConfig; every problem is reported
// (errors.Join), each naming the file and the key.
func LoadConfig(path string) (Config, error) {
	c := DefaultConfig()
	data, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("read config: %w", err)
	}
	md, err := toml.Decode(string(data), &c)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return c, &kiosk.ConfigError{File: path, Line: pe.Position.Line, Field: pe.LastKey, Msg: pe.Message}
		}
		return c, &kiosk.ConfigError{File: path, Msg: err.Error()}
	}
	var errs []error
	for _, k := range md.Undecoded() {
		errs = append(errs, &kiosk.ConfigError{File: path, Field: k.String(), Msg: "unknown key (misspelt?)"})
	}
	return c, errors.Join(errs...)
}

// resolve reads StoreFile into Store.
func (c *Config) resolve() error {
	if c.StoreFile == "" {
		return nil
	}
	if c.Store != "" {
		return errors.New("store and store_file: give one")
	}
	b, err := os.ReadFile(c.StoreFile)
	if err != nil {
		return fmt.Errorf("store_file: %w", err)
	}
	c.Store = strings.TrimSpace(string(b))
	return nil
}

// Check validates c: what serve would refuse, each problem named by its
// key; the certificates and keys are loaded.
func (c Config) Check(file string) error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, &kiosk.ConfigError{File: file, Field: key, Msg: fmt.Sprintf(format, args...)})
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		bad("listen", "want host:port or :port, got %q", c.Listen)
	}
	if c.MetricsListen != "off" {
		if _, _, err := net.SplitHostPort(c.MetricsListen); err != nil {
			bad("metrics_listen", `want host:port (e.g. "127.0.0.1:9464") or "off", got %q`, c.MetricsListen)
		}
	}
	for _, kv := range [][2]string{{"ca", c.CA}, {"cert", c.Cert}, {"key", c.Key}} {
		if kv[1] == "" {
			bad(kv[0], "required")
		}
	}
	if c.CA != "" && c.Cert != "" && c.Key != "" {
		if _, _, err := server.TLSConfig(c.CA, c.Cert, c.Key); err != nil {
			bad("ca, cert, key", "%v", err)
		}
	}
	for _, name := range c.ConsoleAdmins {
		if !strings.HasPrefix(name, "staff-") || len(name) == len("staff-") {
			bad("console_admins", "want staff certificate names (staff-…), got %q", name)
		}
	}
	if c.CRL != "" {
		if _, err := os.Stat(c.CRL); err != nil {
			bad("crl", "%v", err)
		}
	}
	switch {
	case c.Data == "" && c.Store == "":
		bad("data", "give data (a directory for the bbolt store) or store (postgres://…)")
	case c.Data != "" && c.Store != "":
		bad("store", "give data or store, not both")
	case c.Store != "" && !isPostgres(c.Store):
		bad("store", "want postgres://… or postgresql://…")
	}
	for _, d := range []struct {
		key string
		d   time.Duration
	}{{"store_timeout", c.StoreTimeout}, {"request_timeout", c.RequestTimeout}, {"silent_after", c.SilentAfter}} {
		if d.d <= 0 {
			bad(d.key, "must be more than 0")
		}
	}
	if c.StoreTimeout > c.RequestTimeout {
		bad("store_timeout", "must not be longer than request_timeout (%v)", c.RequestTimeout)
	}
	if err := c.Mail.Check(); err != nil {
		bad("mail", "%v", err)
	}
	return errors.Join(errs...)
}

// serveConfig reads --config (if given) and then the flags over it.
func serveConfig(args []string, stderr io.Writer) (Config, error) {
	c := DefaultConfig()
	fs := flag.NewFlagSet("collector serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("config", "", "a TOML configuration file ("+DefaultConfigFile+" in the Debian package); flags given win over it")
	fs.StringVar(&c.Listen, "listen", c.Listen, "address to listen on")
	fs.StringVar(&c.CA, "ca", "", "village CA (PEM) that signs kiosk and staff client certificates")
	fs.StringVar(&c.Cert, "cert", "", "server certificate (PEM)")
	fs.StringVar(&c.Key, "key", "", "server key (PEM)")
	fs.StringVar(&c.Data, "data", "", "directory for the collector's store (one bbolt file)")
	fs.StringVar(&c.Store, "store", "", "postgres://… to keep the store in PostgreSQL instead of --data")
	fs.StringVar(&c.CRL, "crl", "", "the village CA's revocation list (PEM or DER X.509 CRL): revoked kiosk and staff certificates are refused; read again when the file changes")
	admins := fs.String("admins", "", "staff certificate names (comma-separated) who administer the console: import, export, the audit log; others are counter staff")
	fs.StringVar(&c.Releases, "releases", "", "directory of the published update (collector release): kiosks fetch it from here")
	fs.StringVar(&c.MetricsListen, "metrics-listen", c.MetricsListen, `address for /metrics, /healthz and /readyz (plain HTTP; keep it loopback), or "off"`)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	if *file != "" {
		fc, err := LoadConfig(*file)
		if err != nil {
			return c, err
		}
		// The flags given on the command line win over the file.
		given := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
		pick := func(name string, dst *string, fromFile string) {
			if !given[name] {
				*dst = fromFile
			}
		}
		pick("listen", &c.Listen, fc.Listen)
		pick("ca", &c.CA, fc.CA)
		pick("cert", &c.Cert, fc.Cert)
		pick("key", &c.Key, fc.Key)
		pick("data", &c.Data, fc.Data)
		pick("store", &c.Store, fc.Store)
		pick("crl", &c.CRL, fc.CRL)
		pick("metrics-listen", &c.MetricsListen, fc.MetricsListen)
		pick("releases", &c.Releases, fc.Releases)
		c.StoreFile, c.StoreTimeout, c.RequestTimeout, c.SilentAfter = fc.StoreFile, fc.StoreTimeout, fc.RequestTimeout, fc.SilentAfter
		c.Mail, c.AlertEvery = fc.Mail, fc.AlertEvery
		c.ConsoleAdmins = fc.ConsoleAdmins
		if given["store"] {
			c.StoreFile = ""
		}
	}
	if *admins != "" { // the flag wins over the file
		c.ConsoleAdmins = nil
		for _, a := range strings.Split(*admins, ",") {
			if a = strings.TrimSpace(a); a != "" {
				c.ConsoleAdmins = append(c.ConsoleAdmins, a)
			}
		}
	}
	if err := c.resolve(); err != nil {
		return c, err
	}
	return c, nil
}

// checkConfig is collector check-config [FILE]: reads and checks the
// file as serve would, loads its certificates, and says what it found.
func checkConfig(args []string, stdout io.Writer) error {
	path := DefaultConfigFile
	switch len(args) {
	case 0:
	case 1:
		path = args[0]
	default:
		return errors.New("usage: collector check-config [FILE]")
	}
	c, err := LoadConfig(path)
	var perr *kiosk.ConfigError
	if err != nil && (errors.As(err, &perr) && perr.Line > 0 || errors.Is(err, os.ErrNotExist)) {
		return err // unreadable: nothing more to check
	}
	if rerr := c.resolve(); rerr != nil {
		err = errors.Join(err, &kiosk.ConfigError{File: path, Field: "store_file", Msg: rerr.Error()})
	}
	if err = errors.Join(err, c.Check(path)); err != nil {
		return fmt.Errorf("the configuration is not valid:\n%w", err)
	}
	where := "bbolt in " + c.Data
	if c.Store != "" {
		where = "PostgreSQL " + redactDSN(c.Store)
	}
	fmt.Fprintf(stdout, "%s: OK: listens on %s; store %s; metrics on %s; store calls %v, requests %v\n",
		path, c.Listen, where, c.MetricsListen, c.StoreTimeout, c.RequestTimeout)
	return nil
}

// redactDSN drops the password from a connection string for messages.
func redactDSN(dsn string) string {
	if i, j := strings.Index(dsn, "://"), strings.LastIndex(dsn, "@"); i >= 0 && j > i {
		if k := strings.Index(dsn[i+3:j], ":"); k >= 0 {
			return dsn[:i+3+k] + ":***" + dsn[j:]
		}
	}
	return dsn
}
