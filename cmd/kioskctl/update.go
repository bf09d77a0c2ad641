package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/villagehall/kiosk/kiosk/update"
)

const updateUsage = `usage: kioskctl update COMMAND [flags]

  verify FILE           check a bundle (signature, board, version, every byte) and write nothing
  apply FILE            technician / USB stick: verify, write the inactive slot, read it back, trial-boot it
  fetch [--config F] [--force]   from the collector (timer): the published release, if newer, for this kiosk,
                        inside its window and not failed here before; then as apply
  status [--json]       the running slot, the committed release, the last update and why it failed
  boot-check            at every boot (kiosk-update.service): record how the last trial ended; during a
                        trial, commit once the kiosk is healthy or fall back to the old slot
  autoboot --committed N --try N   the 512-byte autoboot.txt the image starts with (make image)
  keygen --key F --pub F   a new Ed25519 release key pair (keep the private key offline; never the village CA)
  build --key F --version V --serial N --root F --boot-a F --boot-b F --out F   sign a bundle (make update)

Flags for the kiosk's side: --keys DIR (trusted release keys, default ` + defaultReleaseKeys + `),
--layout FILE (slots, default ` + defaultLayout + `), --state DIR (default ` + defaultUpdateState + `),
--release FILE (the running release's SERIAL, default /etc/kiosk-release).
`

const (
	defaultReleaseKeys = "/etc/kiosk/release-keys"
	defaultLayout      = "/etc/kiosk/slots.json"
	defaultUpdateState = dataDir + "/update"
)

type updateFlags struct {
	keys, layout, state, release, dt, reboot   string
	key, pub, version, root, bootA, bootB, out string
	serial                                     uint64
	json, raw, force                           bool
	config, sigProgress, sigIdle               string
	waitKiosk, showRefusal, soak, limit        time.Duration
	committed, try                             int
	cmdline                                    string
}

// applyWithScreen runs the installer with the kiosk's screen told: the
// kiosk gives way first, shows the progress, and its screen comes back on
// a refusal.
func applyWithScreen(ctx context.Context, f updateFlags, in *update.Installer, src update.Source, source string, stdout io.Writer) (*update.Manifest, error) {
	scr, err := giveWay(ctx, update.Signal{Progress: f.sigProgress, Idle: f.sigIdle}, f.waitKiosk, stdout)
	if err != nil {
		return nil, err
	}
	term, screen := progressPrinter(stdout), scr.progress()
	in.Progress = func(p update.Progress) {
		term(p)
		screen(p)
		if p.Step == "reboot" {
			// Said before the reboot is asked for: the reboot stops the
			// service this runs in, and kioskctl with it.
			fmt.Fprintln(stdout)
			fmt.Fprintf(stdout, "%s: %s; rebooting to try it\n", p.Version, writtenBy(source))
		}
	}
	m, err := in.Apply(ctx, src, source)
	fmt.Fprintln(stdout)
	scr.finish(ctx, err, f.showRefusal)
	return m, err
}

func updateCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, updateUsage)
		return errUsage
	}
	fs := flag.NewFlagSet("update "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f updateFlags
	fs.StringVar(&f.keys, "keys", defaultReleaseKeys, "directory of trusted release keys (*.pub)")
	fs.StringVar(&f.layout, "layout", defaultLayout, "the slots' devices (JSON)")
	fs.StringVar(&f.state, "state", defaultUpdateState, "the updater's state directory on the data partition")
	fs.StringVar(&f.release, "release", "/etc/kiosk-release", "the running release (SERIAL=)")
	fs.StringVar(&f.dt, "device-tree", "/proc/device-tree/chosen/bootloader", "where the firmware says which partition it booted")
	fs.StringVar(&f.reboot, "reboot-command", "systemctl reboot", "how to reboot (tests); a trial appends \"0 tryboot\"")
	fs.DurationVar(&f.waitKiosk, "wait-for-kiosk", 10*time.Minute, "apply/fetch: how long the running kiosk may take to finish a visit and give way")
	fs.DurationVar(&f.showRefusal, "show-refusal", 15*time.Second, "apply/fetch: how long the kiosk shows why a bundle was refused")
	fs.StringVar(&f.sigProgress, "signal-progress", update.DefaultSignal.Progress, "where the kiosk reads the update's progress")
	fs.StringVar(&f.sigIdle, "signal-idle", update.DefaultSignal.Idle, "where the kiosk says it gave way")
	fs.IntVar(&f.committed, "committed", 0, "autoboot: the committed boot partition")
	fs.IntVar(&f.try, "try", 0, "autoboot: the partition a trial boot tries")
	fs.DurationVar(&f.soak, "soak", 0, "boot-check: how long the trial must run without a restart (default 2m, or kiosk.update_soak= on the kernel command line)")
	fs.DurationVar(&f.limit, "limit", 0, "boot-check: a trial not healthy by then falls back (default 10m, or kiosk.update_limit=)")
	fs.StringVar(&f.cmdline, "cmdline", "/proc/cmdline", "boot-check: the kernel command line")
	fs.StringVar(&f.key, "key", "", "keygen/build: the release private key")
	fs.StringVar(&f.pub, "pub", "", "keygen: the public key to write")
	fs.StringVar(&f.version, "version", "", "build: the version people read")
	fs.Uint64Var(&f.serial, "serial", 0, "build: the release's serial (higher than every earlier one)")
	fs.StringVar(&f.root, "root", "", "build: root ext4 image")
	fs.StringVar(&f.bootA, "boot-a", "", "build: slot A's boot FAT image")
	fs.StringVar(&f.bootB, "boot-b", "", "build: slot B's boot FAT image")
	fs.StringVar(&f.out, "out", "", "build: the bundle to write")
	fs.BoolVar(&f.json, "json", false, "status: as JSON")
	fs.BoolVar(&f.force, "force", false, "fetch: try a release that already failed here again")
	fs.StringVar(&f.config, "config", defaultConfig, "fetch: the kiosk's configuration (collector URL, certificate, key, CA)")
	fs.BoolVar(&f.raw, "raw", false, "build: store the images uncompressed")
	if err := fs.Parse(args[1:]); err != nil {
		return errUsage
	}
	switch args[0] {
	case "keygen":
		if f.key == "" || f.pub == "" {
			return errors.New("update keygen: --key and --pub required")
		}
		return update.GenerateKey(f.key, f.pub)
	case "build":
		return updateBuild(f, stdout)
	case "verify":
		if fs.NArg() != 1 {
			return errors.New("update verify: FILE required")
		}
		return updateVerify(f, fs.Arg(0), stdout)
	case "apply":
		if fs.NArg() != 1 {
			return errors.New("update apply: FILE required")
		}
		return updateApply(ctx, f, fs.Arg(0), stdout)
	case "status":
		return updateStatus(f, stdout)
	case "fetch":
		return updateFetch(ctx, f, stdout)
	case "boot-check":
		return updateBootCheck(ctx, f, stdout)
	case "autoboot":
		if f.committed < 1 || f.try < 1 {
			return errors.New("update autoboot: --committed N and --try N required")
		}
		_, err := stdout.Write(update.RenderAutoboot(f.committed, f.try))
		return err
	}
	fmt.Fprint(stderr, updateUsage)
	return errUsage
}

func (f updateFlags) firmware() piFirmware {
	return piFirmware{dt: f.dt, reboot: strings.Fields(f.reboot)}
}

func updateBuild(f updateFlags, stdout io.Writer) error {
	if f.key == "" || f.version == "" || f.serial == 0 || f.root == "" || f.bootA == "" || f.bootB == "" || f.out == "" {
		return errors.New("update build: --key, --version, --serial, --root, --boot-a, --boot-b and --out are required")
	}
	key, err := update.LoadPrivateKey(f.key)
	if err != nil {
		return err
	}
	tmp := f.out + ".tmp"
	out, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	m, err := update.Build(out, update.Spec{Version: f.version, Serial: f.serial, Root: f.root, BootA: f.bootA, BootB: f.bootB, Raw: f.raw, Created: time.Now()}, key)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, f.out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: version %s serial %d board %s, signed by release key %s\n", f.out, m.Version, m.Serial, m.Board, update.KeyID(key.Public().(ed25519.PublicKey)))
	return nil
}

func updateVerify(f updateFlags, path string, stdout io.Writer) error {
	keys, err := update.LoadPublicKeys(f.keys)
	if err != nil {
		return err
	}
	file, err := os.Open(path)
	if err != nil {
		return err
	}
	defer file.Close()
	m, err := update.Verify(file, update.Policy{Keys: keys, MinSerial: runningSerial(f.release, f.state)})
	if err != nil {
		return refusalLine(err)
	}
	fmt.Fprintf(stdout, "OK: %s version %s serial %d for %s; every payload's size and SHA-256 checked\n", path, m.Version, m.Serial, m.Board)
	return nil
}

// refusalLine puts the screen's sentences beside a refusal's reason.
func refusalLine(err error) error {
	r := update.ReasonOf(err)
	if r == "" {
		return err
	}
	ja, en := r.Words()
	return fmt.Errorf("%w\n  %s\n  %s", err, ja, en)
}

// runningSerial is the higher of the running release's SERIAL and the last
// committed one: no downgrade, no replay of an older signed bundle.
func runningSerial(releaseFile, stateDir string) uint64 {
	var n uint64
	if b, err := os.ReadFile(releaseFile); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "SERIAL="); ok {
				n, _ = strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			}
		}
	}
	if st, err := (update.StateStore{Dir: stateDir}).Load(); err == nil {
		n = max(n, st.Committed.Serial)
	}
	return n
}

func loadLayout(path string) (update.Layout, error) {
	var l update.Layout
	b, err := os.ReadFile(path)
	if err != nil {
		return l, fmt.Errorf("update layout: %w (this image has no A/B slots)", err)
	}
	if err := json.Unmarshal(b, &l); err != nil {
		return l, fmt.Errorf("update layout %s: %w", path, err)
	}
	return l, nil
}

// installer is the kiosk's updater: its release keys, its slots, this Pi's firmware.
func (f updateFlags) installer() (*update.Installer, error) {
	keys, err := update.LoadPublicKeys(f.keys)
	if err != nil {
		return nil, err
	}
	layout, err := loadLayout(f.layout)
	if err != nil {
		return nil, err
	}
	fw := f.firmware()
	return &update.Installer{Layout: layout, Storage: update.OSStorage{}, Firmware: fw, State: update.StateStore{Dir: f.state},
		Keys: keys, RunningSerial: runningSerial(f.release, f.state), Preflight: fw.trybootReady}, nil
}

func updateApply(ctx context.Context, f updateFlags, path string, stdout io.Writer) error {
	in, err := f.installer()
	if err != nil {
		return err
	}
	if _, err := applyWithScreen(ctx, f, in, func() (io.ReadCloser, error) { return os.Open(path) }, "kioskctl", stdout); err != nil {
		return refusalLine(err)
	}
	return nil
}

// writtenBy is what the line before the trial reboot says was done.
func writtenBy(source string) string {
	if source == "collector" {
		return "fetched from the collector, written and read back"
	}
	return "written to the inactive slot and read back"
}

// progressPrinter prints a line (Japanese and English) at each step and
// every 10 %: whole lines, because the journal and the serial console show
// nothing of a line until it ends.
func progressPrinter(w io.Writer) func(update.Progress) {
	words := map[string]string{"verify": "確認中 verifying", "write": "書き込み中 writing", "readback": "読み返し中 reading back", "reboot": "再起動 restarting"}
	last := ""
	return func(p update.Progress) {
		pct := 100
		if p.Total > 0 {
			pct = int(p.Done * 100 / p.Total)
		}
		line := fmt.Sprintf("更新 update: %s %3d%%", words[p.Step], pct/10*10)
		if line != last {
			fmt.Fprintln(w, line)
			last = line
		}
	}
}

func updateStatus(f updateFlags, stdout io.Writer) error {
	st, err := update.StateStore{Dir: f.state}.Load()
	if err != nil {
		return err
	}
	boot, berr := f.firmware().Boot()
	if f.json {
		return json.NewEncoder(stdout).Encode(struct {
			Boot  *update.BootInfo `json:"boot,omitempty"`
			State update.State     `json:"state"`
		}{ptrIf(boot, berr == nil), st})
	}
	if berr == nil {
		fmt.Fprintf(stdout, "running: partition %d (trial boot: %v)\n", boot.Partition, boot.Tryboot)
	} else {
		fmt.Fprintf(stdout, "running: unknown (%v)\n", berr)
	}
	fmt.Fprintf(stdout, "committed by an update: %s\n", orDash(st.Committed.Version))
	fmt.Fprintf(stdout, "last update: %s %s", orDash(string(st.Phase)), st.Target.Version)
	if st.Reason != "" {
		fmt.Fprintf(stdout, " (%s: %s)", st.Reason, st.Detail)
	}
	fmt.Fprintln(stdout)
	return nil
}

func ptrIf[T any](v T, ok bool) *T {
	if !ok {
		return nil
	}
	return &v
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
