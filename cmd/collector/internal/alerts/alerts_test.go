package alerts

import (
	"strings"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	tests := []struct {
		first time.Duration
		tries int
		want  time.Duration
	}{
		{0, 1, time.Minute}, {0, 2, 2 * time.Minute}, {0, 4, 8 * time.Minute}, {0, 7, time.Hour}, {0, 100, time.Hour},
		{time.Second, 1, time.Second}, {time.Second, 3, 4 * time.Second},
	}
	for _, tt := range tests {
		if got := backoff(tt.first, tt.tries); got != tt.want {
			t.Errorf("backoff(%v, %d) = %v, want %v", tt.first, tt.tries, got, tt.want)
		}
	}
}

// TestConfigCheck: every problem of a [mail] section is named by its key.
func TestConfigCheck(t *testing.T) {
	good := Config{Server: "mail.village.example:25", From: "kiosk@village.example", To: []string{"staff@village.example"}}
	tests := []struct {
		name string
		mod  func(*Config)
		want string // "" valid
	}{
		{"good", func(*Config) {}, ""},
		{"no mail at all", func(c *Config) { *c = Config{} }, ""},
		{"no port", func(c *Config) { c.Server = "mail.village.example" }, "mail.server"},
		{"bad from", func(c *Config) { c.From = "kiosk" }, "mail.from"},
		{"no one to tell", func(c *Config) { c.To = nil }, "mail.to"},
		{"bad to", func(c *Config) { c.To = []string{"x"} }, "mail.to"},
		{"tls", func(c *Config) { c.TLS = "ssl" }, "mail.tls"},
		{"user without password", func(c *Config) { c.Username = "u" }, "mail.username"},
		{"daily", func(c *Config) { c.DailyAt = "8:3x" }, "mail.daily_at"},
		{"daily off", func(c *Config) { c.DailyAt = "off" }, ""},
		{"retry", func(c *Config) { c.RetryMin = 2 * time.Hour }, "mail.retry_min"},
	}
	for _, tt := range tests {
		c := good
		tt.mod(&c)
		err := c.Check()
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
}
