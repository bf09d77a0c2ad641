package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/villagehall/kiosk/kiosk"
)

// On the SD-card image (images/): the technician's provisioning file sits on
// the FAT boot partition; kiosk-provision.service checks it with
// `kioskctl provision check` and copies it to the data partition, where the
// kiosk reads it. Keys are copied from the boot partition's kiosk-keys/.
const (
	provisionFileName = "kiosk-provision.toml"
	dataDir           = "/var/lib/kiosk"
	keysDir           = dataDir + "/keys"
)

const provisionUsage = `usage:
  kioskctl provision check [--files] FILE
      validate a provisioning (configuration) file; every problem is printed
      with the field it is in. --files: also check that the files it names
      exist (run on the kiosk, after the keys are in place).
  kioskctl provision write --kiosk-id ID [options] --out FILE
      write a commented provisioning file for a technician to finish and copy
      to the KIOSKBOOT partition as ` + provisionFileName + `.
      Run "kioskctl provision write -h" for the options.
`

func provisionCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, provisionUsage)
		return errUsage
	}
	switch args[0] {
	case "check":
		return provisionCheck(args[1:], stdout, stderr)
	case "write":
		return provisionWrite(args[1:], stdout, stderr)
	}
	fmt.Fprint(stderr, provisionUsage)
	return errUsage
}

func provisionCheck(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("provision check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	files := fs.Bool("files", false, "also check that the files the configuration names exist")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprint(stderr, provisionUsage)
		return errUsage
	}
	path := fs.Arg(0)
	if hint := hiddenTxt(path); hint != "" {
		return fmt.Errorf("%s", hint)
	}
	cfg, err := kiosk.LoadConfig(path)
	if err != nil {
		problems := splitJoined(err)
		for _, p := range problems {
			fmt.Fprintln(stdout, p)
		}
		return fmt.Errorf("%s: %d problem(s): not usable as a kiosk configuration", path, len(problems))
	}
	if *files {
		if problems := missingFiles(cfg); len(problems) > 0 {
			for _, p := range problems {
				fmt.Fprintf(stdout, "%s: %s\n", path, p)
			}
			return fmt.Errorf("%s: %d file(s) missing", path, len(problems))
		}
	}
	fmt.Fprintf(stdout, "%s: ok: %s\n", path, summary(cfg))
	if strings.HasSuffix(strings.ToLower(path), ".toml.txt") {
		return fmt.Errorf("%s: the contents are fine, but the kiosk reads only %s: %s", path, provisionFileName, renameHint)
	}
	return nil
}

// renameHint: Windows hides known extensions, so a file saved from Notepad
// as "kiosk-provision.toml" is really "kiosk-provision.toml.txt".
const renameHint = "rename it to " + provisionFileName + " (in Windows Explorer turn on View > File name extensions first: Notepad added .txt)"

// hiddenTxt explains a missing file that is there with ".txt" added.
func hiddenTxt(path string) string {
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		return ""
	}
	if _, err := os.Stat(path + ".txt"); err != nil {
		return ""
	}
	return fmt.Sprintf("%s: no such file, but %s.txt is there: %s", path, filepath.Base(path), renameHint)
}

// splitJoined undoes errors.Join so each problem gets a line of its own.
func splitJoined(err error) []error { return kiosk.SplitErrors(err) }

// missingFiles lists the files a configuration names that are not there.
// Device nodes are left out: a printer may be unplugged at boot.
func missingFiles(c kiosk.Config) []string {
	var out []string
	need := func(field, path string) {
		if path == "" {
			return
		}
		if _, err := os.Stat(path); err != nil {
			hint := ""
			if strings.HasPrefix(path, keysDir+"/") {
				hint = " (copy it to the KIOSKBOOT partition's kiosk-keys/ folder)"
			}
			out = append(out, fmt.Sprintf("%s: %s does not exist%s", field, path, hint))
		}
	}
	if dir := filepath.Dir(c.Journal.Path); dir != "" {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			out = append(out, fmt.Sprintf("journal.path: directory %s does not exist (use %s/journal/journal.db on the kiosk)", dir, dataDir))
		}
	}
	need("journal.cert_ref_key", c.Journal.CertRefKey)
	if c.Sync.Enabled() {
		need("sync.ca", c.Sync.CA)
		need("sync.cert", c.Sync.Cert)
		need("sync.key", c.Sync.Key)
	}
	return out
}

func summary(c kiosk.Config) string {
	d := c.Devices
	sync := "sync off"
	if c.Sync.Enabled() {
		sync = fmt.Sprintf("sync to %s every %s", strings.Join(c.Sync.URLs(), " then "), c.Sync.Interval)
	}
	printer := d.Printer.Mode
	if printer != kiosk.ModeNone {
		printer = fmt.Sprintf("%s %d mm", printer, d.Printer.WidthMM)
	}
	return fmt.Sprintf("kiosk %s, %s, %s; reader %s, keypad %s, printer %s, touch %s, screen %s",
		c.KioskID, c.Language, sync, d.Reader.Mode, d.Keypad.Mode, printer, d.Touch.Mode, d.Screen.Mode)
}

// provisionOpts are the write command's flags.
type provisionOpts struct {
	KioskID, Language           string
	IdleTimeout, IdleWarning    time.Duration
	Municipality                kiosk.Municipality
	CertRefKey                  bool
	Collector                   string
	SyncInterval                time.Duration
	Reader, ReaderPrefix        string
	Keypad                      string
	KeypadLayout, RowPins, Cols string
	Printer, PrinterPath        string
	PrinterWidth                int
	PrinterKanji                bool
	Touch, TouchDevice          string
	Screen                      string
}

func provisionWrite(args []string, stdout, stderr io.Writer) error {
	def := kiosk.DefaultConfig()
	var o provisionOpts
	fs := flag.NewFlagSet("provision write", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "file to write (- for standard output)")
	force := fs.Bool("force", false, "overwrite --out if it exists")
	fs.StringVar(&o.KioskID, "kiosk-id", "", "this kiosk's ID: 1-6 of A-Z and 0-9, e.g. K07 (required)")
	fs.StringVar(&o.Language, "language", def.Language, "first language on the screen: ja or en")
	fs.DurationVar(&o.IdleTimeout, "idle-timeout", def.IdleTimeout, "end a visit nobody touches after this")
	fs.DurationVar(&o.IdleWarning, "idle-warning", def.IdleWarning, "count down for this long before")
	m := &o.Municipality
	fs.StringVar(&m.Name, "municipality", "", "municipality name, e.g. 〇〇村")
	fs.StringVar(&m.NameEN, "municipality-en", "", "municipality name in English")
	fs.StringVar(&m.Office, "office", "", "the office residents are sent to, e.g. 住民福祉課")
	fs.StringVar(&m.OfficeEN, "office-en", "", "the office in English")
	fs.StringVar(&m.Counter, "counter", "", "counter, e.g. 1番窓口")
	fs.StringVar(&m.CounterEN, "counter-en", "", "counter in English")
	fs.StringVar(&m.Phone, "phone", "", "the office's phone number")
	fs.StringVar(&m.Hours, "hours", "", "opening hours, e.g. 平日 8:30〜17:15")
	fs.StringVar(&m.HoursEN, "hours-en", "", "opening hours in English")
	fs.StringVar(&m.Address, "address", "", "the office's address (optional)")
	fs.BoolVar(&m.ETax, "etax", false, "JPKI can be used for e-Tax here")
	fs.BoolVar(&m.ConvenienceStore, "convenience-store", false, "convenience-store issuance is available")
	fs.BoolVar(&o.CertRefKey, "cert-ref-key", false, "records carry a certificate reference (key file in kiosk-keys/cert-ref.key)")
	fs.StringVar(&o.Collector, "collector", "", "the town hall collector's base URL, e.g. https://collector.example.jp:8443 (no path); empty: sync off")
	fs.DurationVar(&o.SyncInterval, "sync-interval", def.Sync.Interval, "how often to upload the journal")
	fs.StringVar(&o.Reader, "reader", def.Devices.Reader.Mode, "card reader: real or sim")
	fs.StringVar(&o.ReaderPrefix, "reader-prefix", "", "use the first reader whose name starts with this")
	fs.StringVar(&o.Keypad, "keypad", kiosk.ModeReal, "GPIO keypad: real, sim or none")
	fs.StringVar(&o.KeypadLayout, "keypad-layout", "123,456,789,*0#", "keys row by row, comma-separated")
	fs.StringVar(&o.RowPins, "keypad-rows", "GPIO5,GPIO6,GPIO13,GPIO19", "row pins, comma-separated")
	fs.StringVar(&o.Cols, "keypad-cols", "GPIO12,GPIO16,GPIO20", "column pins, comma-separated")
	fs.StringVar(&o.Printer, "printer", def.Devices.Printer.Mode, "receipt printer: real, sim or none")
	fs.StringVar(&o.PrinterPath, "printer-path", "", "printer device (default /dev/usb/lp0; sim: "+dataDir+"/receipts)")
	fs.IntVar(&o.PrinterWidth, "printer-width", def.Devices.Printer.WidthMM, "paper width in mm: 58 or 80")
	fs.BoolVar(&o.PrinterKanji, "printer-kanji", false, "the printer has a kanji font")
	fs.StringVar(&o.Touch, "touch", kiosk.ModeNone, "touchscreen: real or none")
	fs.StringVar(&o.TouchDevice, "touch-device", "/dev/input/event0", "touchscreen evdev device")
	fs.StringVar(&o.Screen, "screen", def.Devices.Screen.Mode, "screen: real or sim")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() != 0 || *out == "" {
		fmt.Fprintln(stderr, "usage: kioskctl provision write --kiosk-id ID [options] --out FILE")
		return errUsage
	}
	if o.Collector != "" {
		if err := kiosk.CheckCollectorURL(o.Collector); err != nil {
			return fmt.Errorf("--collector (sync.collector_url): %w", err)
		}
	}
	if o.PrinterPath == "" {
		o.PrinterPath = def.Devices.Printer.Path
		if o.Printer == kiosk.ModeSim {
			o.PrinterPath = dataDir + "/receipts"
		}
	}
	data := renderProvision(o, time.Now())
	name := *out
	if name == "-" {
		if _, err := stdout.Write(data); err != nil {
			return fmt.Errorf("write provisioning file: %w", err)
		}
		name = provisionFileName
	} else {
		flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
		if !*force {
			flags |= os.O_EXCL
		}
		f, err := os.OpenFile(name, flags, 0o644)
		if err != nil {
			return fmt.Errorf("write provisioning file (--force to overwrite): %w", err)
		}
		_, err = f.Write(data)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("write provisioning file: %w", err)
		}
	}
	if _, err := kiosk.ParseConfig(name, data); err != nil {
		problems := splitJoined(err)
		fmt.Fprintf(stderr, "%s written, but %d field(s) must still be filled in or fixed:\n", name, len(problems))
		for _, p := range problems {
			fmt.Fprintln(stderr, "  "+p.Error())
		}
		return fmt.Errorf("%s: incomplete: edit it, then run: kioskctl provision check %s", name, name)
	}
	if *out != "-" {
		fmt.Fprintf(stdout, "%s written: copy it to the KIOSKBOOT partition as %s\n", name, provisionFileName)
	}
	return nil
}

// renderProvision writes the configuration as commented TOML. The comments
// are for the technician who finishes the file by hand.
func renderProvision(o provisionOpts, now time.Time) []byte {
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	kv := func(key, v, comment string) {
		if comment != "" {
			p("# %s", comment)
		}
		p("%s = %s", key, tomlString(v))
	}
	must := func(key, v, example string) {
		if v == "" {
			p("%s = \"\"  # FILL IN, e.g. %s", key, tomlString(example))
			return
		}
		p("%s = %s", key, tomlString(v))
	}
	p("# Kiosk provisioning file, written by `kioskctl provision write` on %s.", now.Format("2006-01-02"))
	p("#")
	p("# Copy it to the KIOSKBOOT partition of the kiosk's SD card as %s.", provisionFileName)
	p("# At boot the kiosk checks it and copies it to %s/config.toml; a mistake", dataDir)
	p("# is shown on the screen with the name of the field. Check it on your PC first:")
	p("#   kioskctl provision check %s", provisionFileName)
	p("# Key files go in the KIOSKBOOT partition's kiosk-keys/ folder: at boot the kiosk")
	p("# moves them to %s/ and deletes them from KIOSKBOOT itself (anyone holding", keysDir)
	p("# the card could read them there). Put them there again only to replace them.")
	p("# Save this file as UTF-8 (Notepad: Save As > Encoding: UTF-8), named exactly")
	p("# %s (not .toml.txt).", provisionFileName)
	p("")
	kv("kiosk_id", o.KioskID, "This kiosk's short ID, printed in reference numbers: 1-6 of A-Z and 0-9.")
	kv("language", o.Language, `First language on the screen: "ja" or "en".`)
	p("# A visit nobody touches ends after idle_timeout; the last idle_warning of it")
	p("# shows a countdown (at least 20s).")
	p("idle_timeout = %s", tomlString(durationString(o.IdleTimeout)))
	p("idle_warning = %s", tomlString(durationString(o.IdleWarning)))
	p("")
	m := o.Municipality
	p("[municipality]")
	p("# What residents are told: where to go, whom to call, when it is open.")
	must("name", m.Name, "〇〇村")
	kv("name_en", m.NameEN, "")
	must("office", m.Office, "住民福祉課")
	kv("office_en", m.OfficeEN, "")
	kv("counter", m.Counter, "")
	kv("counter_en", m.CounterEN, "")
	must("phone", m.Phone, "0000-00-0000")
	must("hours", m.Hours, "平日 8:30〜17:15")
	kv("hours_en", m.HoursEN, "")
	kv("address", m.Address, "")
	p("# JPKI can be used for e-Tax here; convenience-store issuance (コンビニ交付) is offered.")
	p("etax = %t", m.ETax)
	p("convenience_store = %t", m.ConvenienceStore)
	p("")
	p("[journal]")
	p("# The transaction journal, on the data partition (survives power cuts).")
	p("path = %s", tomlString(dataDir+"/journal/journal.db"))
	p("# Secret key for certificate references (one per municipality), from kiosk-keys/.")
	if o.CertRefKey {
		p("cert_ref_key = %s", tomlString(keysDir+"/cert-ref.key"))
	} else {
		p("# cert_ref_key = %s", tomlString(keysDir+"/cert-ref.key"))
	}
	p("")
	p("[sync]")
	p("# Upload of the journal to the town hall. The TLS files come from kiosk-keys/;")
	p("# kiosk.pem is this kiosk's certificate (CN = kiosk_id): it logs in to the")
	p("# collector and signs every upload and USB export.")
	p("# collector_url is the collector's base URL: https, host and port, no path.")
	if o.Collector != "" {
		p("collector_url = %s", tomlString(o.Collector))
		p("ca = %s", tomlString(keysDir+"/collector-ca.pem"))
		p("cert = %s", tomlString(keysDir+"/kiosk.pem"))
		p("key = %s", tomlString(keysDir+"/kiosk-key.pem"))
	} else {
		p("# Off: no collector_url. To turn it on:")
		p("# collector_url = \"https://collector.example.jp:8443\"")
		p("# ca = %s", tomlString(keysDir+"/collector-ca.pem"))
		p("# cert = %s", tomlString(keysDir+"/kiosk.pem"))
		p("# key = %s", tomlString(keysDir+"/kiosk-key.pem"))
	}
	p("interval = %s", tomlString(durationString(o.SyncInterval)))
	p("")
	p("# Devices: each mode is real, sim (simulated, for tests) or none.")
	p("[devices.reader]")
	kv("mode", o.Reader, "")
	kv("name_prefix", o.ReaderPrefix, `The first PC/SC reader whose name starts with this ("": the first reader).`)
	p("")
	p("[devices.keypad]")
	kv("mode", o.Keypad, "")
	p("# Keys row by row; one GPIO pin per row and per column.")
	p("layout = %s", tomlList(o.KeypadLayout))
	p("row_pins = %s", tomlList(o.RowPins))
	p("col_pins = %s", tomlList(o.Cols))
	p("")
	p("[devices.printer]")
	kv("mode", o.Printer, "")
	kv("path", o.PrinterPath, "")
	p("width_mm = %d  # 58 or 80", o.PrinterWidth)
	p("kanji = %t  # the printer has a kanji font (else Japanese is printed as an image)", o.PrinterKanji)
	p("")
	p("[devices.touch]")
	kv("mode", o.Touch, "")
	kv("device", o.TouchDevice, "")
	p("")
	p("[devices.touch.calibration]")
	p("# Raw touch coordinates to the screen: swap first, then scale (the raw values")
	p("# at the screen's left/right and top/bottom edges; all 0: the panel's own")
	p("# range), then invert, then offset. `kioskctl selftest touch --calibrate`")
	p("# measures them.")
	p("offset_x = 0\noffset_y = 0\nswap_xy = false\ninvert_x = false\ninvert_y = false")
	p("min_x = 0\nmax_x = 0\nmin_y = 0\nmax_y = 0")
	p("")
	p("[devices.screen]")
	kv("mode", o.Screen, "")
	return b.Bytes()
}

// durationString writes 60s as "60s" and 5m as "5m" rather than "1m0s" and "5m0s".
func durationString(d time.Duration) string {
	switch {
	case d >= 2*time.Minute && d%time.Minute == 0 && d < time.Hour:
		return fmt.Sprintf("%dm", d/time.Minute)
	case d%time.Second == 0 && d < time.Hour:
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return d.String()
}

// tomlString quotes s as a TOML basic string. Go's %q is not TOML: it
// writes \x escapes, which TOML does not have.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\u%04X`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// tomlList turns "a,b,c" into ["a", "b", "c"].
func tomlList(csv string) string {
	var items []string
	for _, s := range strings.Split(csv, ",") {
		if s = strings.TrimSpace(s); s != "" {
			items = append(items, tomlString(s))
		}
	}
	return "[" + strings.Join(items, ", ") + "]"
}
