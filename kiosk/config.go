package kiosk

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Config is one kiosk's configuration, read from a TOML file that a
// technician can edit (see testdata/config/kiosk-sim.toml). Field names
// in errors are the TOML keys.
type Config struct {
	// KioskID is this kiosk's short ID, printed in reference numbers:
	// 1–6 characters of A–Z and 0–9, e.g. "K01".
	KioskID string `toml:"kiosk_id"`
	// Language is the screen's first language: "ja" (default) or "en".
	Language string `toml:"language"`
	// IdleTimeout ends a visit nobody touches (default 60s); the last
	// IdleWarning of it shows a countdown (default 20s, at least 20s).
	IdleTimeout  time.Duration `toml:"idle_timeout"`
	IdleWarning  time.Duration `toml:"idle_warning"`
	Municipality Municipality  `toml:"municipality"`
	Journal      JournalConfig `toml:"journal"`
	Sync         SyncConfig    `toml:"sync"`
	Devices      Devices       `toml:"devices"`
}

// Municipality is what the kiosk tells residents about the office.
type Municipality struct {
	Name      string `toml:"name"`       // 〇〇村
	NameEN    string `toml:"name_en"`    // Sample Village
	Office    string `toml:"office"`     // 住民福祉課
	OfficeEN  string `toml:"office_en"`  // Resident Welfare Division
	Counter   string `toml:"counter"`    // 1番窓口
	CounterEN string `toml:"counter_en"` // Counter 1
	Phone     string `toml:"phone"`
	Hours     string `toml:"hours"`    // 平日 8:30〜17:15
	HoursEN   string `toml:"hours_en"` // Weekdays 8:30–17:15
	Address   string `toml:"address"`  // optional
	// ETax: JPKI can be used for e-Tax here.
	ETax bool `toml:"etax"`
	// ConvenienceStore: convenience-store issuance of resident records
	// (コンビニ交付) is available here.
	ConvenienceStore bool `toml:"convenience_store"`
}

// OfficeLine is the office as one line, e.g. "〇〇村役場 住民福祉課".
func (m Municipality) OfficeLine() string {
	return strings.TrimSpace(m.Name + "役場 " + m.Office)
}

// OfficeLineEN is the office in English, e.g. "Sample Village Office, Resident Welfare Division".
func (m Municipality) OfficeLineEN() string {
	switch {
	case m.NameEN == "":
		return m.OfficeEN
	case m.OfficeEN == "":
		return m.NameEN + " Office"
	}
	return m.NameEN + " Office, " + m.OfficeEN
}

// DefaultJournalPath is where the kiosk keeps its journal when the
// configuration names no other: on the image's data partition.
const DefaultJournalPath = "/var/lib/kiosk/journal/journal.db"

// JournalConfig says where records are kept.
type JournalConfig struct {
	Path string `toml:"path"`
	// CertRefKey is a file holding the secret key for CertRef (provisioned
	// per municipality). Empty: records carry no certificate reference.
	CertRefKey string `toml:"cert_ref_key"`
	// Records the town hall acknowledged are kept this long for sending
	// again to a town hall server restored from a backup: the oldest is
	// wiped only when it is older than RetainDays and the kept records
	// take more than RetainMaxMB. Below FreeFloorMB free on the data
	// partition, new records come first and old copies are wiped.
	RetainDays  int `toml:"retain_days"`
	RetainMaxMB int `toml:"retain_max_mb"`
	FreeFloorMB int `toml:"free_floor_mb"`
}

// SyncConfig is the upload to the town hall. Sync is off when no
// collector URL is given.
type SyncConfig struct {
	CollectorURL string `toml:"collector_url"`
	// CollectorURLs, instead of CollectorURL: several collectors (on one
	// database), tried in order until one takes a batch.
	CollectorURLs []string      `toml:"collector_urls"`
	CA            string        `toml:"ca"`
	Cert          string        `toml:"cert"`
	Key           string        `toml:"key"`
	Interval      time.Duration `toml:"interval"` // default 5m
}

// CheckCollectorURL accepts the one form of collector address: a base URL,
// https with a host (and port), nothing after it. The kiosk appends the
// endpoints (/v1/batch, /v1/heartbeat) itself, so a path would never reach
// the collector; it is refused here rather than failing with 404 for ever.
func CheckCollectorURL(s string) error {
	const want = `must be the collector's base URL, e.g. "https://collector.example.jp:8443" (no path: the kiosk adds /v1/batch itself)`
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return fmt.Errorf("%s, got %q (%v)", want, s, err)
	case u.Scheme != "https" || u.Host == "" || u.Hostname() == "":
		return fmt.Errorf("%s, got %q: not an https:// URL with a host", want, s)
	case u.User != nil:
		return fmt.Errorf("%s, got %q: no user name or password in it (kiosks log in with their certificate)", want, s)
	case u.Path != "" && u.Path != "/", u.RawQuery != "", u.Fragment != "", u.Opaque != "":
		return fmt.Errorf("%s, got %q: remove %q", want, s, strings.TrimPrefix(s, u.Scheme+"://"+u.Host))
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("%s, got %q: port %q", want, s, p)
		}
	}
	return nil
}

// Enabled reports whether the kiosk uploads its journal.
func (s SyncConfig) Enabled() bool { return len(s.URLs()) > 0 }

// URLs are the collectors to try, in order.
func (s SyncConfig) URLs() []string {
	if s.CollectorURL != "" {
		return append([]string{s.CollectorURL}, s.CollectorURLs...)
	}
	return s.CollectorURLs
}

// Device modes.
const (
	ModeReal = "real"
	ModeSim  = "sim"
	ModeNone = "none"
)

// Devices configures each device; every mode is real, sim or none.
type Devices struct {
	Reader  ReaderConfig  `toml:"reader"`
	Keypad  KeypadConfig  `toml:"keypad"`
	Printer PrinterConfig `toml:"printer"`
	Touch   TouchConfig   `toml:"touch"`
	Screen  ScreenConfig  `toml:"screen"`
	Speaker SpeakerConfig `toml:"speaker"`
}

// Speaker modes (besides none and sim).
const ModeALSA = "alsa"

// SpeakerConfig is the voice guidance: none (silent, and the screens show
// no voice keys), sim (WAVs and a log of prompt IDs in Path) or alsa (the
// USB speaker through aplay). Setting mode = "none" is how staff turn the
// voice off for the whole kiosk.
type SpeakerConfig struct {
	Mode string `toml:"mode"`
	// Card is the ALSA card ID (aplay -l, /proc/asound/cards: "Audio",
	// "Headphones"), played as plughw:CARD=<Card>: never a card number,
	// which changes with the order USB devices appear in.
	Card string `toml:"card"`
	// Prompts is the directory of rendered prompts (make voice):
	// <dir>/ja/<id>.wav and <dir>/en/<id>.wav.
	Prompts string `toml:"prompts"`
	// Path is the sim speaker's output directory.
	Path string `toml:"path"`
	// Volume is the step each card starts at: 1, 2 or 3 (-12, -6, 0 dB).
	Volume int `toml:"volume"`
	// EarphonePin is the GPIO line of an earphone jack's switch contact
	// (periph's name, e.g. "GPIO26"); empty: no jack. With a plug in, the
	// voice goes to the earphone alone and the signing PIN's lit key is
	// said there. In sim mode the jack is the file <path>/earphone-plugged.
	EarphonePin string `toml:"earphone_pin"`
	// EarphonePlugged is the line's level with a plug in: "low" (the
	// contact to ground, the line pulled up: the default) or "high".
	EarphonePlugged string `toml:"earphone_plugged"`
	// EarphoneCard is the earphone's ALSA card ID (alsa mode), never the
	// speaker's: what only the earphone may say must not reach the
	// speaker's amplifier, even for the moment a plug is pulled out.
	EarphoneCard string `toml:"earphone_card"`
}

// PluggedHigh: the jack's line reads high with a plug in (default low).
func (s SpeakerConfig) PluggedHigh() bool { return s.EarphonePlugged == "high" }

// ReaderConfig selects the card reader.
type ReaderConfig struct {
	Mode string `toml:"mode"`
	// NamePrefix picks the first PC/SC reader whose name starts with it
	// (empty: the first reader).
	NamePrefix string `toml:"name_prefix"`
}

// KeypadConfig is a GPIO matrix keypad. Layout has one string per row,
// one character per column, e.g. ["123", "456", "789", "*0#"].
type KeypadConfig struct {
	Mode    string   `toml:"mode"`
	Layout  []string `toml:"layout"`
	RowPins []string `toml:"row_pins"`
	ColPins []string `toml:"col_pins"`
	// Keys gives printed labels a function where the keypad differs from
	// the default (# Enter; 4×3: * Cancel; 4×4: * Clear, A Cancel,
	// D English), e.g. {"D" = "enter"}. Values: enter, cancel, clear,
	// english. The screens print these labels next to what they do.
	Keys map[string]string `toml:"keys"`
}

// PrinterConfig is the receipt printer.
type PrinterConfig struct {
	Mode    string `toml:"mode"`
	Path    string `toml:"path"`     // device node (real) or output directory (sim)
	WidthMM int    `toml:"width_mm"` // 58 or 80
	Kanji   bool   `toml:"kanji"`    // printer has a kanji font (else Japanese is printed as an image)
}

// TouchConfig is the touchscreen and its calibration.
type TouchConfig struct {
	Mode        string           `toml:"mode"`
	Device      string           `toml:"device"`
	Calibration TouchCalibration `toml:"calibration"`
}

// TouchCalibration maps raw touch coordinates to the screen: swap first,
// then scale (the raw values at the screen's left/right and top/bottom
// edges, after the swap; 0 and 0: the range the panel's driver reports),
// then invert, then add the offsets. `kioskctl selftest touch --calibrate`
// measures them.
type TouchCalibration struct {
	OffsetX int  `toml:"offset_x"`
	OffsetY int  `toml:"offset_y"`
	SwapXY  bool `toml:"swap_xy"`
	InvertX bool `toml:"invert_x"`
	InvertY bool `toml:"invert_y"`
	MinX    int  `toml:"min_x"`
	MaxX    int  `toml:"max_x"`
	MinY    int  `toml:"min_y"`
	MaxY    int  `toml:"max_y"`
}

// ScreenConfig is the display: real (the console tcell draws on) or sim.
type ScreenConfig struct {
	Mode string `toml:"mode"`
}

// Defaults used when a field is absent.
const (
	DefaultIdleTimeout  = 60 * time.Second
	DefaultIdleWarning  = 20 * time.Second
	MinIdleWarning      = 20 * time.Second
	DefaultSyncInterval = 5 * time.Minute
	// A busy kiosk writes about 0.5 MB of records a day: 60 days are about
	// 30 MB, well inside 64 MB, and the journal's file is capped at 256 MB.
	DefaultRetainDays  = 60
	DefaultRetainMaxMB = 64
	DefaultFreeFloorMB = 64
	MaxRetainMaxMB     = 128 // half the journal's cap: new records keep the rest
)

// DefaultConfig is the configuration before the file is applied.
func DefaultConfig() Config {
	return Config{
		Language:    "ja",
		IdleTimeout: DefaultIdleTimeout,
		IdleWarning: DefaultIdleWarning,
		Sync:        SyncConfig{Interval: DefaultSyncInterval},
		Journal:     JournalConfig{Path: DefaultJournalPath, RetainDays: DefaultRetainDays, RetainMaxMB: DefaultRetainMaxMB, FreeFloorMB: DefaultFreeFloorMB},
		Devices: Devices{
			Reader:  ReaderConfig{Mode: ModeReal},
			Keypad:  KeypadConfig{Mode: ModeNone},
			Printer: PrinterConfig{Mode: ModeReal, Path: "/dev/usb/lp0", WidthMM: 80},
			Touch:   TouchConfig{Mode: ModeNone},
			Screen:  ScreenConfig{Mode: ModeReal},
			Speaker: SpeakerConfig{Mode: ModeNone, Prompts: "/usr/share/kiosk/voice", Volume: VolumeMedium},
		},
	}
}

// ConfigError is one problem in a configuration file.
type ConfigError struct {
	File  string
	Line  int    // 0 when unknown
	Field string // dotted TOML key, e.g. devices.printer.width_mm
	Msg   string
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// LoadConfig reads path over DefaultConfig and validates it. Every problem
// is reported (errors.Join of *ConfigError), each naming the file, the
// field and what is expected.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	return ParseConfig(path, data)
}

// ParseConfig is LoadConfig on bytes already read; name is used in errors.
func ParseConfig(name string, data []byte) (Config, error) {
	text, err := configText(name, data)
	if err != nil {
		return Config{}, err
	}
	c := DefaultConfig()
	md, err := toml.Decode(text, &c)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return Config{}, &ConfigError{File: name, Line: pe.Position.Line, Field: pe.LastKey, Msg: quoteHint(pe.Message)}
		}
		return Config{}, &ConfigError{File: name, Msg: err.Error()}
	}
	var errs []error
	for _, k := range md.Undecoded() {
		errs = append(errs, &ConfigError{File: name, Field: k.String(), Msg: "unknown key (misspelt?)"})
	}
	for _, e := range c.validate() {
		e.File = name
		errs = append(errs, e)
	}
	if len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	return c, nil
}

var kioskIDRe = regexp.MustCompile(`^[A-Z0-9]{1,6}$`)

func (c *Config) validate() []*ConfigError {
	var errs []*ConfigError
	bad := func(field, format string, args ...any) {
		errs = append(errs, &ConfigError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if !kioskIDRe.MatchString(c.KioskID) {
		bad("kiosk_id", "must be 1-6 characters of A-Z and 0-9 (e.g. \"K01\"), got %q", c.KioskID)
	}
	if c.Language != "ja" && c.Language != "en" {
		bad("language", "must be \"ja\" or \"en\", got %q", c.Language)
	}
	if c.IdleWarning < MinIdleWarning {
		bad("idle_warning", "must be at least %s (write it as \"20s\"), got %s", MinIdleWarning, c.IdleWarning)
	}
	if c.IdleTimeout <= c.IdleWarning {
		bad("idle_timeout", "must be longer than idle_warning (%s) (write it as \"60s\"), got %s", c.IdleWarning, c.IdleTimeout)
	}
	m := c.Municipality
	for _, f := range []struct{ key, v string }{
		{"municipality.name", m.Name}, {"municipality.office", m.Office},
		{"municipality.phone", m.Phone}, {"municipality.hours", m.Hours},
	} {
		if strings.TrimSpace(f.v) == "" {
			bad(f.key, "must be set: residents are told where to go")
		}
	}
	if c.Journal.Path == "" {
		bad("journal.path", "must be set (e.g. %q, the kiosk's own, which a file without journal.path gets)", DefaultJournalPath)
	}
	if jc := c.Journal; jc.RetainDays < 0 || jc.RetainDays > 3650 {
		bad("journal.retain_days", "must be 0 to 3650 days (0: keep by size only), got %d", jc.RetainDays)
	}
	if jc := c.Journal; jc.RetainMaxMB < 0 || jc.RetainMaxMB > MaxRetainMaxMB {
		bad("journal.retain_max_mb", "must be 0 to %d (MB of acknowledged records kept), got %d", MaxRetainMaxMB, jc.RetainMaxMB)
	}
	if c.Journal.FreeFloorMB < 0 {
		bad("journal.free_floor_mb", "must be 0 or more (MB kept free on the data partition), got %d", c.Journal.FreeFloorMB)
	}
	c.Sync.validate(bad)
	d := c.Devices
	mode := func(key, v string) {
		if v != ModeReal && v != ModeSim && v != ModeNone {
			bad(key, "must be real, sim or none, got %q", v)
		}
	}
	mode("devices.reader.mode", d.Reader.Mode)
	mode("devices.keypad.mode", d.Keypad.Mode)
	mode("devices.printer.mode", d.Printer.Mode)
	mode("devices.touch.mode", d.Touch.Mode)
	if d.Screen.Mode != ModeReal && d.Screen.Mode != ModeSim {
		bad("devices.screen.mode", "must be real or sim, got %q", d.Screen.Mode)
	}
	if d.Reader.Mode == ModeNone {
		bad("devices.reader.mode", "must be real or sim: the kiosk cannot work without a card reader")
	}
	if d.Keypad.Mode == ModeNone && d.Touch.Mode == ModeNone && d.Screen.Mode != ModeSim {
		bad("devices.keypad.mode", "keypad and touch are both none: residents would have no way to type")
	}
	if k := d.Keypad; k.Mode != ModeNone {
		if k.Mode == ModeReal {
			if len(k.Layout) == 0 {
				bad("devices.keypad.layout", "must list the keys row by row, e.g. [\"123\", \"456\", \"789\", \"*0#\"]")
			}
			if len(k.RowPins) != len(k.Layout) {
				bad("devices.keypad.row_pins", "must have one pin per layout row (%d), got %d", len(k.Layout), len(k.RowPins))
			}
			for i, row := range k.Layout {
				if n := len([]rune(row)); n != len(k.ColPins) {
					bad(fmt.Sprintf("devices.keypad.layout[%d]", i), "must have one key per col_pins entry (%d), got %d", len(k.ColPins), n)
				}
			}
		}
		layout := k.Layout
		if len(layout) == 0 {
			layout = Layout4x3
		}
		for label, fn := range k.Keys {
			field := fmt.Sprintf("devices.keypad.keys.%s", label)
			if r := []rune(label); len(r) != 1 || !strings.ContainsRune(strings.Join(layout, ""), r[0]) {
				bad(field, "must be one key label printed in the layout, got %q", label)
			}
			if _, ok := keyFuncNames[fn]; !ok {
				bad(field, "must be enter, cancel, clear, english, repeat or volume, got %q", fn)
			}
		}
		if d.Touch.Mode == ModeNone {
			// Without a touchscreen every step needs a key.
			for _, name := range KeypadFor(k).lacks("enter", "cancel") {
				bad("devices.keypad.keys", "no key does %s, and there is no touchscreen: give %s to a key", name, name)
			}
		}
	}
	if d.Printer.Mode != ModeNone {
		if d.Printer.WidthMM != 58 && d.Printer.WidthMM != 80 {
			bad("devices.printer.width_mm", "must be 58 or 80, got %d", d.Printer.WidthMM)
		}
		if d.Printer.Path == "" {
			bad("devices.printer.path", "must be set (device such as /dev/usb/lp0, or a directory for sim)")
		}
	}
	errs = append(errs, d.Speaker.validate(d.Keypad)...)
	if d.Touch.Mode == ModeReal && d.Touch.Device == "" {
		bad("devices.touch.device", "must be set (e.g. /dev/input/event0)")
	}
	cal := d.Touch.Calibration
	for _, a := range []struct {
		axis     string
		min, max int
	}{{"x", cal.MinX, cal.MaxX}, {"y", cal.MinY, cal.MaxY}} {
		if (a.min != 0 || a.max != 0) && a.max <= a.min {
			bad("devices.touch.calibration.max_"+a.axis, "must be above min_%s (%d), got %d (both 0: the panel's own range)", a.axis, a.min, a.max)
		}
	}
	return errs
}

// validate reports the sync section's problems through bad (nothing
// when sync is off).
func (s SyncConfig) validate(bad func(field, format string, args ...any)) {
	if !s.Enabled() {
		return
	}
	if s.CollectorURL != "" && len(s.CollectorURLs) > 0 {
		bad("sync.collector_urls", "give collector_url or collector_urls, not both")
	}
	for i, u := range s.URLs() {
		key := "sync.collector_url"
		if len(s.CollectorURLs) > 0 {
			key = fmt.Sprintf("sync.collector_urls[%d]", i)
		}
		if err := CheckCollectorURL(u); err != nil {
			bad(key, "%v", err)
		}
	}
	for _, f := range []struct{ key, v string }{{"sync.ca", s.CA}, {"sync.cert", s.Cert}, {"sync.key", s.Key}} {
		if f.v == "" {
			bad(f.key, "must be set when sync.collector_url is set")
		}
	}
	if s.Interval < 10*time.Second {
		bad("sync.interval", "must be at least 10s, got %s", s.Interval)
	}
}

var alsaCardIDRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,15}$`)

func (s SpeakerConfig) validate(kc KeypadConfig) []*ConfigError {
	var errs []*ConfigError
	bad := func(field, format string, args ...any) {
		errs = append(errs, &ConfigError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	switch s.Mode {
	case ModeNone:
		return nil
	case ModeSim:
		if s.Path == "" {
			bad("devices.speaker.path", "must be set for sim (a directory for the WAVs and the log of prompts)")
		}
	case ModeALSA:
		if !alsaCardIDRe.MatchString(s.Card) {
			// A card number would pick whichever card the kernel counted
			// first at this boot.
			bad("devices.speaker.card", "must be the ALSA card ID (aplay -l: the name after \"card N:\", e.g. \"Audio\"), never its number, got %q", s.Card)
		}
	default:
		bad("devices.speaker.mode", "must be none, sim or alsa, got %q", s.Mode)
	}
	if s.Prompts == "" {
		bad("devices.speaker.prompts", "must be the directory of the rendered prompts (make voice)")
	}
	if s.Volume < VolumeLow || s.Volume > VolumeHigh {
		bad("devices.speaker.volume", "must be 1, 2 or 3 (-12, -6 or 0 dB), got %d", s.Volume)
	}
	errs = append(errs, s.validateEarphone(kc)...)
	if kc.Mode != ModeNone {
		for _, name := range KeypadFor(kc).lacks("repeat", "volume") {
			bad("devices.keypad.keys", "no key does %s, and the voice needs it on the keypad (a 4x4 keypad has B and C for them): give %s to a key", name, name)
		}
	}
	return errs
}

var gpioNameRe = regexp.MustCompile(`^[A-Za-z0-9_]{1,32}$`)

// validateEarphone checks the jack: a pin no keypad line uses, its level,
// and (alsa) a card of its own.
func (s SpeakerConfig) validateEarphone(kc KeypadConfig) []*ConfigError {
	var errs []*ConfigError
	bad := func(field, format string, args ...any) {
		errs = append(errs, &ConfigError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if s.EarphonePin == "" {
		if s.EarphoneCard != "" {
			bad("devices.speaker.earphone_card", "is set but earphone_pin is not: without the jack's line the kiosk cannot know an earphone is in")
		}
		if s.EarphonePlugged != "" {
			bad("devices.speaker.earphone_plugged", "is set but earphone_pin is not")
		}
		return errs
	}
	if !gpioNameRe.MatchString(s.EarphonePin) {
		bad("devices.speaker.earphone_pin", "must be a GPIO line's name, e.g. \"GPIO26\", got %q", s.EarphonePin)
	}
	if slices.Contains(kc.RowPins, s.EarphonePin) || slices.Contains(kc.ColPins, s.EarphonePin) {
		bad("devices.speaker.earphone_pin", "%s is a keypad line already", s.EarphonePin)
	}
	if p := s.EarphonePlugged; p != "" && p != "low" && p != "high" {
		bad("devices.speaker.earphone_plugged", "must be low or high (the line's level with a plug in), got %q", p)
	}
	if s.Mode == ModeALSA {
		switch {
		case !alsaCardIDRe.MatchString(s.EarphoneCard):
			bad("devices.speaker.earphone_card", "must be the earphone's ALSA card ID (e.g. \"Headphones\"), never its number, got %q", s.EarphoneCard)
		case s.EarphoneCard == s.Card:
			bad("devices.speaker.earphone_card", "must be another card than the speaker's (%q): what the earphone alone may say must never reach the speaker", s.Card)
		}
	}
	return errs
}

// SyncSettings reads only the kiosk ID and the sync section of a
// configuration that did not load, so that a kiosk on its cannot-start
// screen can still tell the town hall why. It fails when the file is not
// TOML, sync is off, or the kiosk ID or the sync section has a problem of
// its own: then nothing says where to send, or as whom.
func SyncSettings(path string) (kioskID string, s SyncConfig, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", SyncConfig{}, fmt.Errorf("read config: %w", err)
	}
	text, err := configText(path, data)
	if err != nil {
		return "", SyncConfig{}, err
	}
	c := DefaultConfig()
	md, err := toml.Decode(text, &c)
	if err != nil {
		return "", SyncConfig{}, fmt.Errorf("config %s: %w", path, err)
	}
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &ConfigError{File: path, Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if !kioskIDRe.MatchString(c.KioskID) {
		bad("kiosk_id", "must be 1-6 characters of A-Z and 0-9, got %q", c.KioskID)
	}
	for _, k := range md.Undecoded() {
		if strings.HasPrefix(k.String(), "sync.") {
			bad(k.String(), "unknown key (misspelt?)")
		}
	}
	if !c.Sync.Enabled() {
		bad("sync.collector_url", "not set: sync is off")
	}
	c.Sync.validate(bad)
	if len(errs) > 0 {
		return "", SyncConfig{}, errors.Join(errs...)
	}
	return c.KioskID, c.Sync, nil
}
