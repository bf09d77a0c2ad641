package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/villagehall/kiosk/kiosk/journal"
	"github.com/villagehall/kiosk/kiosk/update"
)

// piFirmware is the Raspberry Pi 4's side: the bootloader writes which
// partition it booted and whether this is a trial into the device tree; the
// kiosk-tryboot module turns reboot "0 tryboot" into the firmware's one-shot
// flag (Debian's kernel has no such call of its own).
type piFirmware struct {
	dt     string
	reboot []string // the reboot command; "0 tryboot" is appended for a trial
	// dtRoot and modules: /proc/device-tree and /sys/module (trybootReady).
	dtRoot, modules string
}

// trybootReady: on a Pi (the device tree has the firmware's node) the
// kiosk-tryboot module must be loaded, or `reboot "0 tryboot"` is a plain
// reboot and the trial never happens. Elsewhere (qemu's virt machine under
// the firmware stand-in, which reads the kernel's reboot line) nothing to check.
func (f piFirmware) trybootReady() error {
	root, mods := f.dtRoot, f.modules
	if root == "" {
		root = "/proc/device-tree"
	}
	if mods == "" {
		mods = "/sys/module"
	}
	if !piFirmwareNode(root) {
		return nil
	}
	if _, err := os.Stat(filepath.Join(mods, "kiosk_tryboot")); err != nil {
		return fmt.Errorf("the kiosk-tryboot module is not loaded, so the firmware would not try the new slot (check: lsmod | grep kiosk_tryboot; dmesg | grep kiosk-tryboot)")
	}
	return nil
}

// piFirmwareNode: a node compatible with raspberrypi,bcm2835-firmware
// (/soc/firmware on a Pi 4's device tree).
func piFirmwareNode(root string) bool {
	for _, pattern := range []string{"firmware/compatible", "*/firmware/compatible"} {
		files, _ := filepath.Glob(filepath.Join(root, pattern))
		for _, c := range files {
			if b, err := os.ReadFile(c); err == nil && bytes.Contains(b, []byte("raspberrypi,bcm2835-firmware")) {
				return true
			}
		}
	}
	return false
}

func (f piFirmware) Boot() (update.BootInfo, error) {
	p, err := readBE32(filepath.Join(f.dt, "partition"))
	if err != nil {
		return update.BootInfo{}, fmt.Errorf("firmware: which partition booted: %w", err)
	}
	t, err := readBE32(filepath.Join(f.dt, "tryboot"))
	if err != nil {
		return update.BootInfo{}, fmt.Errorf("firmware: tryboot: %w", err)
	}
	return update.BootInfo{Partition: int(p), Tryboot: t == 1}, nil
}

func readBE32(path string) (uint32, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	if len(b) != 4 {
		return 0, fmt.Errorf("%s: %d bytes, want a big-endian u32", path, len(b))
	}
	return binary.BigEndian.Uint32(b), nil
}

func (f piFirmware) RebootTryboot() error { return f.run("0 tryboot") }
func (f piFirmware) Reboot() error        { return f.run() }

func (f piFirmware) run(arg ...string) error {
	cmd := append(f.reboot[:len(f.reboot):len(f.reboot)], arg...)
	systemd := len(f.reboot) == 0 || strings.Join(f.reboot, " ") == "systemctl reboot"
	if systemd {
		// --no-block: do not wait for the job; --no-wall: no message to
		// logins the kiosk does not have. The argument as an option:
		// systemd 252 calls the positional form deprecated.
		cmd = []string{"systemctl", "--no-block", "--no-wall", "reboot"}
		if len(arg) > 0 {
			cmd = append(cmd, "--reboot-argument="+strings.Join(arg, " "))
		}
	}
	out, err := exec.Command(cmd[0], cmd[1:]...).CombinedOutput()
	var exit *exec.ExitError
	if systemd && errors.As(err, &exit) {
		// The reboot stops the service this runs in (kiosk-update-usb@,
		// kiosk-update-fetch, kiosk-update) and systemctl with it: killed
		// by SIGTERM, the reboot it asked for is under way (update-test
		// saw this in every trial).
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGTERM {
			return nil
		}
	}
	if err != nil {
		return fmt.Errorf("%s: %w: %s", strings.Join(cmd, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// updateBootCheck runs at every boot: it records how the last trial ended,
// and during a trial watches the kiosk until it commits or falls back.
func updateBootCheck(ctx context.Context, f updateFlags, stdout io.Writer) error {
	layout, err := loadLayout(f.layout)
	if err != nil {
		return err
	}
	c := &update.Committer{Layout: layout, Storage: update.OSStorage{}, Firmware: f.firmware(), State: update.StateStore{Dir: f.state}}
	st, inTrial, err := c.AtBoot()
	if err != nil {
		return err
	}
	if boot, err := c.Firmware.Boot(); err == nil {
		fmt.Fprintf(stdout, "KIOSK-UPDATE running partition=%d tryboot=%v release=%s\n", boot.Partition, boot.Tryboot, releaseVersion(f.release))
	}
	if !inTrial {
		fmt.Fprintf(stdout, "KIOSK-UPDATE phase=%s version=%s reason=%s\n", orDash(string(st.Phase)), orDash(st.Target.Version), orDash(st.Reason))
		return nil
	}
	rules := bootRules(f)
	pause := cmdlineDuration(f.cmdline, "kiosk.update_commit_pause")
	c.AfterAutoboot = func(p int) {
		fmt.Fprintf(stdout, "KIOSK-UPDATE autoboot.txt now boots partition=%d\n", p)
		if pause > 0 { // a test bench cuts the power here (update-test cut-commit)
			fmt.Fprintf(stdout, "KIOSK-UPDATE holding the commit %s (kiosk.update_commit_pause)\n", pause)
			select {
			case <-ctx.Done():
			case <-time.After(pause):
			}
		}
	}
	fmt.Fprintf(stdout, "KIOSK-UPDATE trial version=%s: committing once healthy (soak %s, limit %s)\n", st.Target.Version, rules.Soak, rules.Limit)
	st, err = c.Watch(ctx, st, systemHealth, rules, 5*time.Second)
	fmt.Fprintf(stdout, "KIOSK-UPDATE phase=%s version=%s reason=%s\n", st.Phase, st.Target.Version, orDash(st.Reason))
	return err
}

// systemHealth asks systemd, pcscd and the kiosk's journal.
func systemHealth(ctx context.Context) (update.Health, error) {
	var h update.Health
	props, err := unitProps(ctx, "kiosk.service")
	if err != nil {
		return h, err
	}
	h.Ready = props["ActiveState"] == "active"
	h.Restarts, _ = strconv.Atoi(props["NRestarts"])
	if since, err := strconv.ParseInt(props["ActiveEnterTimestampMonotonic"], 10, 64); err == nil && since > 0 && h.Ready {
		if now, ok := monotonicNow(); ok {
			h.ActiveFor = now - time.Duration(since)*time.Microsecond
		}
	}
	h.ReaderSeen = readerSeen()
	// Through the kiosk's control socket: it answers only once the kiosk has
	// opened the journal, and Verify checks the chain.
	if r, err := journal.Dial(defaultJournalDB); err == nil {
		brk, verr := r.Verify()
		h.JournalVerified = verr == nil && brk == nil
		r.Close()
	}
	return h, nil
}

func unitProps(ctx context.Context, unit string) (map[string]string, error) {
	out, err := exec.CommandContext(ctx, "systemctl", "show", unit, "-p", "ActiveState,NRestarts,ActiveEnterTimestampMonotonic").Output()
	if err != nil {
		return nil, fmt.Errorf("systemctl show %s: %w", unit, err)
	}
	props := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			props[k] = v
		}
	}
	return props, nil
}

// bootRules are the commit thresholds: flags, else the kernel command line
// (kiosk.update_soak=, kiosk.update_limit=: for a test bench or a slow
// site), else the defaults.
func bootRules(f updateFlags) update.Rules {
	r := update.DefaultRules
	if d := cmdlineDuration(f.cmdline, "kiosk.update_soak"); d > 0 {
		r.Soak = d
	}
	if d := cmdlineDuration(f.cmdline, "kiosk.update_limit"); d > 0 {
		r.Limit = d
	}
	if f.soak > 0 {
		r.Soak = f.soak
	}
	if f.limit > 0 {
		r.Limit = f.limit
	}
	return r
}

// cmdlineDuration is the kernel argument key=DURATION in the file (the
// last one wins, as the kernel's own parameters do); 0 when absent or bad.
func cmdlineDuration(path, key string) time.Duration {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	var d time.Duration
	for _, a := range strings.Fields(string(b)) {
		k, v, _ := strings.Cut(a, "=")
		if x, err := time.ParseDuration(v); k == key && err == nil && x >= 0 {
			d = x
		}
	}
	return d
}

// releaseVersion is the running release's VERSION (for the console line).
func releaseVersion(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "?"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VERSION="); ok {
			return v
		}
	}
	return "?"
}
