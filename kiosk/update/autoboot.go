package update

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// autoboot.txt on the small FAT partition p1 picks the slot, as the Pi 4
// firmware documents (raspberrypi/documentation config_txt/autoboot.adoc):
// [all] names the committed slot's boot partition, [tryboot] the other, and
// tryboot_a_b=1 makes the tried partition read its own config.txt. The file is
// always exactly one 512-byte sector of the same text with the two digits
// swapped, so a commit is one sector write in place: no FAT metadata changes,
// and a write torn inside the sector still leaves both lines naming a slot.
const AutobootSize = 512

// RenderAutoboot is the file for a committed partition and the one a trial
// boot tries.
func RenderAutoboot(committed, try int) []byte {
	s := fmt.Sprintf("# Written by the kiosk's updater: [all] is the committed slot.\n[all]\ntryboot_a_b=1\nboot_partition=%d\n[tryboot]\nboot_partition=%d\n", committed, try)
	b := bytes.Repeat([]byte{'\n'}, AutobootSize)
	copy(b, s)
	return b
}

// Autoboot is what the firmware reads from autoboot.txt.
type Autoboot struct {
	Committed int // boot_partition under [all]
	Try       int // boot_partition under [tryboot]
	AB        bool
}

// ParseAutoboot reads autoboot.txt the way the firmware does: sections
// [all], [none] and [tryboot]; a property set again later wins.
func ParseAutoboot(b []byte) (Autoboot, error) {
	var a Autoboot
	if len(b) > AutobootSize {
		return a, fmt.Errorf("autoboot.txt: %d bytes, the firmware reads at most %d", len(b), AutobootSize)
	}
	section := "all"
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section = line[1 : len(line)-1]
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return a, fmt.Errorf("autoboot.txt: garbled line %q", line)
		}
		if section == "none" {
			continue
		}
		switch k {
		case "boot_partition":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 63 {
				return a, fmt.Errorf("autoboot.txt: boot_partition=%q", v)
			}
			if section == "tryboot" {
				a.Try = n
			} else if section == "all" {
				a.Committed = n
			}
		case "tryboot_a_b":
			a.AB = v == "1"
		default:
			return a, fmt.Errorf("autoboot.txt: unknown property %q", k)
		}
	}
	if a.Committed == 0 {
		return a, fmt.Errorf("autoboot.txt: no boot_partition under [all]")
	}
	if a.Try == 0 {
		a.Try = a.Committed
	}
	return a, nil
}

// BootChoice is the firmware stand-in: the partition the Pi 4 bootloader
// boots given autoboot.txt and the one-shot tryboot flag. A garbled or
// missing file is what PARTITION_WALK (EEPROM 2025-08-13 and later) handles
// by booting the first partition that holds a boot, here walkFirst;
// older EEPROMs may not boot at all, which only a real Pi shows.
func BootChoice(autoboot []byte, tryboot bool, walkFirst int) (partition int, how string) {
	a, err := ParseAutoboot(autoboot)
	if err != nil {
		return walkFirst, "partition walk: " + err.Error()
	}
	if tryboot && a.AB {
		return a.Try, "tryboot"
	}
	return a.Committed, "committed"
}
