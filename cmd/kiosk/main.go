// Command kiosk is the village hall kiosk's firmware: it watches the card
// reader, draws the resident's screens, runs the PIN flows, prints slips
// and keeps every transaction in the journal until the town hall has it.
//
//	kiosk --sim                      every device simulated (make run)
//	kiosk --config /var/lib/kiosk/config.toml
//
// Each device is real, sim or none in the config, so a technician can try
// one real part at a time.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/villagehall/kiosk/kiosk"
)

// buildTime is the commit time, set by the Makefile (-X main.buildTime=RFC3339).
// A kiosk clock earlier than this is certainly wrong.
var buildTime string

// version is the release number and commit (2026.12.1+ee11cf2), set by the
// Makefile and images/cross.sh; heartbeats carry it and the waiting screen
// shows it in a corner.
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	err := run(ctx, os.Args[1:], os.Stderr)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) { // --help: the usage was asked for
		fmt.Fprintln(os.Stderr, "kiosk:", err)
		os.Exit(1)
	}
}

type options struct {
	configPath string
	sim        bool
	logPath    string
	debug      bool
	// typeLetters: the terminal keyboard types A-Z on the signing PIN
	// screen, which no real keypad can (development only).
	typeLetters bool
	// cannotStart: a file of problem lines; the kiosk shows them on its
	// screen and does nothing else (kiosk-fault.service, when provisioning
	// failed). cannotStartSSH: sshd runs for the technician's key.
	cannotStart    string
	cannotStartSSH bool
}

func run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("kiosk", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.configPath, "config", "", "kiosk configuration (TOML)")
	fs.BoolVar(&o.sim, "sim", false, "simulate every device that the config does not set (no config: all of them)")
	fs.StringVar(&o.logPath, "log", "", `log file ("-" for stderr; default: kiosk.log beside the journal)`)
	fs.BoolVar(&o.debug, "debug", false, "debug logging")
	fs.BoolVar(&o.typeLetters, "type-letters", false, "development: let the keyboard type A-Z on the signing PIN screen (a real keypad cannot)")
	fs.StringVar(&o.cannotStart, "cannot-start", "", "show the problems in this file (one a line) on the screen as the reason the kiosk cannot start, until stopped")
	fs.BoolVar(&o.cannotStartSSH, "cannot-start-ssh", false, "with --cannot-start: ssh is on, show the kiosk's addresses")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.cannotStart != "" {
		lines, err := readReason(o.cannotStart)
		if err != nil {
			lines = []string{err.Error()}
		}
		// Provisioning failed: no configuration was written, so there is
		// nothing that says where or as whom to report it.
		if err := cannotStart(ctx, lines, o.cannotStartSSH, nil, stderr); ctx.Err() == nil {
			return err
		}
		return nil // stopped: showing the reason was the whole job
	}
	cfg, err := loadConfig(o)
	if err != nil {
		if o.configPath == "" || o.sim {
			return err
		}
		// The configuration the kiosk was given is unusable: say so on
		// its screen, not only in the journal (systemd restarts it), and
		// to the town hall when its sync settings are sound by themselves.
		lines := problemLines(err)
		report := configFaultReport(o.configPath, lines, stderr)
		return cannotStart(ctx, lines, false, report, stderr)
	}
	log, closeLog, err := openLog(o, cfg)
	if err != nil {
		return err
	}
	defer closeLog()
	log.Info("kiosk starting", "kiosk_id", cfg.KioskID, "reader", cfg.Devices.Reader.Mode, "keypad", cfg.Devices.Keypad.Mode,
		"printer", cfg.Devices.Printer.Mode, "touch", cfg.Devices.Touch.Mode, "screen", cfg.Devices.Screen.Mode, "version", version, "build", buildStamp())
	err = runKiosk(ctx, cfg, o, log)
	var unsent *unsentBesideError
	if errors.As(err, &unsent) && !o.sim {
		// Records would be stranded: say so on the screen and stay there.
		log.Error("kiosk not started", "err", err, "problems", unsent.lines())
		return cannotStart(ctx, unsent.lines(), false, faultReport(cfg.KioskID, cfg.Sync, unsent.fault(), log, log), stderr)
	}
	if err != nil {
		log.Error("kiosk stopped", "err", err)
		return err
	}
	log.Info("kiosk stopped")
	return nil
}

// loadConfig reads the file, or with --sim alone builds a laptop config.
func loadConfig(o options) (kiosk.Config, error) {
	if o.configPath == "" {
		if !o.sim {
			return kiosk.Config{}, errors.New("--config FILE is required (or --sim to try the kiosk on a laptop)")
		}
		// Everything the simulator writes goes under ./tmp, made here so
		// that `kiosk --sim` runs from any directory.
		if err := os.MkdirAll("tmp", 0o755); err != nil {
			return kiosk.Config{}, fmt.Errorf("sim: %w", err)
		}
		cfg := kiosk.DefaultConfig()
		cfg.KioskID = "SIM"
		cfg.Journal.Path = filepath.Join("tmp", "journal.db")
		cfg.Devices = kiosk.Devices{
			Reader: kiosk.ReaderConfig{Mode: kiosk.ModeSim}, Keypad: kiosk.KeypadConfig{Mode: kiosk.ModeSim},
			Printer: kiosk.PrinterConfig{Mode: kiosk.ModeSim, Path: filepath.Join("tmp", "slips"), WidthMM: 80, Kanji: true},
			Touch:   kiosk.TouchConfig{Mode: kiosk.ModeSim}, Screen: kiosk.ScreenConfig{Mode: kiosk.ModeReal},
		}
		return cfg, nil
	}
	cfg, err := kiosk.LoadConfig(o.configPath)
	if err != nil {
		return kiosk.Config{}, err // names the file, the field and what is expected
	}
	return cfg, nil
}

// openLog writes structured logs to a file: the terminal belongs to the
// screen. Logs never carry a PIN or personal data (see kiosk.Flows).
func openLog(o options, cfg kiosk.Config) (*slog.Logger, func(), error) {
	level := slog.LevelInfo
	if o.debug {
		level = slog.LevelDebug
	}
	path := o.logPath
	if path == "" {
		path = filepath.Join(filepath.Dir(cfg.Journal.Path), "kiosk.log")
	}
	if path == "-" {
		return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level})), func() {}, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, nil, fmt.Errorf("log: %w", err)
	}
	// Keep one previous log: enough for a technician, bounded on an SD card.
	if st, err := os.Stat(path); err == nil && st.Size() > 8<<20 {
		_ = os.Rename(path, path+".1")
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return nil, nil, fmt.Errorf("log: %w", err)
	}
	return slog.New(slog.NewJSONHandler(f, &slog.HandlerOptions{Level: level})), func() { f.Close() }, nil
}

// buildStamp is the build time from the Makefile, else from Go's VCS stamp.
func buildStamp() time.Time {
	if t, err := time.Parse(time.RFC3339, buildTime); err == nil {
		return t
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.time" {
				if t, err := time.Parse(time.RFC3339, s.Value); err == nil {
					return t
				}
			}
		}
	}
	return time.Time{}
}
