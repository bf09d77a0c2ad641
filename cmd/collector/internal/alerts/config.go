// Package alerts mails staff what needs them — a kiosk gone silent or
// never heard from, a printer out of paper, an office-bound follow-up, and
// a daily summary — through the town hall's SMTP server. Every alert is
// queued in the store first (store.Fleet), once by its key, and sent from
// there with backoff: a collector restart or a mail server that is down
// loses none and sends none twice.
package alerts

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"os"
	"strings"
	"time"
)

// Config is the [mail] section of the collector's configuration.
type Config struct {
	// Server is the town hall's SMTP server, host:port ("" = no mail).
	Server string   `toml:"server"`
	From   string   `toml:"from"`
	To     []string `toml:"to"`
	// TLS: "starttls" (required), "none" (a relay on the town hall's own
	// network), or "auto" (the default: STARTTLS when offered).
	TLS          string `toml:"tls"`
	Username     string `toml:"username"`
	PasswordFile string `toml:"password_file"` // kept out of the configuration file
	// DailyAt is when the day's summary goes, JST "HH:MM" (default 08:30;
	// "off" for none).
	DailyAt string `toml:"daily_at"`
	// ConsoleURL, when given, puts a link to the console in each mail
	// (https://collector.town.local:8443).
	ConsoleURL string `toml:"console_url"`
	// FollowUps: a mail for each office-bound follow-up (default true).
	FollowUps *bool `toml:"followups"`
	// RetryMin is the wait after a first failed try, doubled after each
	// further one up to an hour (default 1m).
	RetryMin time.Duration `toml:"retry_min"`
}

// Enabled reports whether mail is configured at all.
func (c Config) Enabled() bool { return c.Server != "" }

// Check reports every problem of c, each naming its key.
func (c Config) Check() error {
	if !c.Enabled() {
		return nil
	}
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("mail."+key+": "+format, args...))
	}
	if _, _, err := net.SplitHostPort(c.Server); err != nil {
		bad("server", "want host:port (e.g. \"mail.town.local:25\"), got %q", c.Server)
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		bad("from", "want an address (kiosk@town.local), got %q", c.From)
	}
	if len(c.To) == 0 {
		bad("to", "give at least one address")
	}
	for _, t := range c.To {
		if _, err := mail.ParseAddress(t); err != nil {
			bad("to", "%q is not an address", t)
		}
	}
	switch c.TLS {
	case "", "auto", "starttls", "none":
	default:
		bad("tls", `want "auto", "starttls" or "none", got %q`, c.TLS)
	}
	if (c.Username == "") != (c.PasswordFile == "") {
		bad("username", "give username and password_file together")
	}
	if c.PasswordFile != "" {
		if _, err := os.Stat(c.PasswordFile); err != nil {
			bad("password_file", "%v", err)
		}
	}
	if c.RetryMin < 0 || c.RetryMin > time.Hour {
		bad("retry_min", "want between 0 (the default, 1m) and 1h, got %v", c.RetryMin)
	}
	if _, _, err := c.daily(); err != nil {
		bad("daily_at", "%v", err)
	}
	return errors.Join(errs...)
}

// daily is the summary's time of day, JST; ok false for "off".
func (c Config) daily() (time.Duration, bool, error) {
	s := c.DailyAt
	switch s {
	case "off":
		return 0, false, nil
	case "":
		s = "08:30"
	}
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, false, fmt.Errorf("want HH:MM (JST) or \"off\", got %q", s)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, true, nil
}

func (c Config) followUps() bool { return c.FollowUps == nil || *c.FollowUps }

func (c Config) password() (string, error) {
	if c.PasswordFile == "" {
		return "", nil
	}
	b, err := os.ReadFile(c.PasswordFile)
	if err != nil {
		return "", fmt.Errorf("mail password_file: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}
