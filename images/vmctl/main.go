// Command vmctl is image-test's eye on the qemu machine: screendumps
// through QMP, and the checks of what the screen shows. A host tool for
// images/image-test.sh, never part of the image.
//
//	vmctl dump QMP FILE.png
//	vmctl wait QMP FILE.png [flags]        poll screendumps until the kiosk shows a screen
//	vmctl check FILE.png [--golden G.png [--other O.png]...]
//	vmctl tap QMP X Y                      one touch at X,Y (fractions of the screen) through virtio-tablet
//	vmctl plug QMP DRIVE                   plugs the -drive id=DRIVE in as a USB stick (usb-storage), as a technician does
//
// wait polls every half second until the screen is one the kiosk drew (not
// blank, not the Linux console, in the kiosk's colours, several regions),
// differs from every --not picture, matches --like if given, and (unless
// --first) is the same on two polls in a row; it then saves the picture
// and prints "after N.N s" counted from --since (Unix ms), or from its own
// start. check exits 1 when the structure is wrong or the picture is not
// closest to its own golden.
package main

import (
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "vmctl:", err)
		os.Exit(1)
	}
}

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func run(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: vmctl dump|wait|check|tap|plug ...")
	}
	switch args[0] {
	case "dump":
		if len(args) != 3 {
			return errors.New("usage: vmctl dump QMP FILE.png")
		}
		q, err := dialQMP(args[1])
		if err != nil {
			return err
		}
		defer q.Close()
		return dump(q, args[2])
	case "wait":
		return waitCmd(args[1:])
	case "tap":
		if len(args) != 4 {
			return errors.New("usage: vmctl tap QMP X Y (fractions of the screen, 0..1)")
		}
		x, errx := strconv.ParseFloat(args[2], 64)
		y, erry := strconv.ParseFloat(args[3], 64)
		if errx != nil || erry != nil {
			return fmt.Errorf("tap: %q %q are not numbers", args[2], args[3])
		}
		q, err := dialQMP(args[1])
		if err != nil {
			return err
		}
		defer q.Close()
		return q.tap(x, y, 150*time.Millisecond)
	case "plug":
		if len(args) != 3 {
			return errors.New("usage: vmctl plug QMP DRIVE")
		}
		q, err := dialQMP(args[1])
		if err != nil {
			return err
		}
		defer q.Close()
		_, err = q.do("device_add", map[string]string{"driver": "usb-storage", "drive": args[2], "id": "usb-" + args[2]})
		return err
	case "check":
		fs := flag.NewFlagSet("check", flag.ContinueOnError)
		golden := fs.String("golden", "", "the golden picture of this screen")
		var others multi
		fs.Var(&others, "other", "the golden of another screen, which this one must be further from (repeatable)")
		if len(args) < 2 {
			return errors.New("usage: vmctl check FILE.png [--golden G.png [--other O.png]...]")
		}
		if err := fs.Parse(args[2:]); err != nil {
			return err
		}
		f, fails, err := check(args[1], *golden, others)
		if err != nil {
			return err
		}
		fmt.Println(f)
		if len(fails) > 0 {
			return errors.New(strings.Join(fails, "; "))
		}
		return nil
	}
	return fmt.Errorf("unknown command %q", args[0])
}

// dump writes a screendump through a temporary name in the same directory,
// so a reader never sees half a file. qemu writes the file itself, with
// its own working directory: the path is made absolute.
func dump(q *qmp, file string) error {
	img, err := grab(q, file+".ppm")
	if err != nil {
		return err
	}
	defer os.Remove(file + ".ppm")
	return savePNG(file, img)
}

// grab nudges the pointer, takes a PPM screendump into tmp and decodes it.
// qemu writes the file itself, from its own working directory: the path
// is made absolute.
func grab(q *qmp, tmp string) (image.Image, error) {
	abs, err := filepath.Abs(tmp)
	if err != nil {
		return nil, err
	}
	q.nudges++
	if err := q.nudge(q.nudges); err != nil {
		return nil, err
	}
	time.Sleep(300 * time.Millisecond) // the frame the nudge lets out
	if err := q.screendump(abs, "ppm"); err != nil {
		return nil, err
	}
	return loadPPM(abs)
}

// savePNG writes img through a temporary name in the same directory, so a
// reader never sees half a file.
func savePNG(file string, img image.Image) error {
	tmp := file + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, file)
}

func waitCmd(args []string) error {
	fs := flag.NewFlagSet("wait", flag.ContinueOnError)
	timeout := fs.Duration("timeout", 2*time.Minute, "give up after this long")
	since := fs.Int64("since", 0, "count the time from this Unix time in ms (power-on)")
	first := fs.Bool("first", false, "take the first kiosk screen, without waiting for it to settle")
	like := fs.String("like", "", "the screen must match this picture")
	var not multi
	fs.Var(&not, "not", "the screen must differ from this picture (repeatable)")
	if len(args) < 2 {
		return errors.New("usage: vmctl wait QMP FILE.png [--timeout D] [--since MS] [--first] [--like P] [--not P]...")
	}
	sock, out := args[0], args[1]
	if err := fs.Parse(args[2:]); err != nil {
		return err
	}
	start := time.Now()
	if *since > 0 {
		start = time.UnixMilli(*since)
	}
	load1 := func(p string) (image.Image, error) {
		if p == "" {
			return nil, nil
		}
		return load(p)
	}
	likeImg, err := load1(*like)
	if err != nil {
		return err
	}
	var notImgs []image.Image
	for _, p := range not {
		img, err := load(p)
		if err != nil {
			return err
		}
		notImgs = append(notImgs, img)
	}
	q, err := dialQMP(sock)
	if err != nil {
		return err
	}
	defer q.Close()
	deadline := time.Now().Add(*timeout)
	poll := out + ".poll.ppm"
	defer os.Remove(poll)
	var prev image.Image
	last := "no screendump yet"
	for time.Now().Before(deadline) {
		at := time.Now()
		img, err := grab(q, poll)
		if err != nil {
			return err
		}
		why := analyse(img).kioskScreen()
		for i, n := range notImgs {
			if why != "" {
				break
			}
			if d, err := differing(img, n); err == nil && d <= maxDiffering {
				why = "still the same as " + not[i]
			}
		}
		if why == "" && likeImg != nil {
			if d, err := differing(img, likeImg); err != nil || d > maxDiffering {
				why = fmt.Sprintf("not yet like %s (%.0f%% differs)", *like, 100*d)
			}
		}
		if why == "" && !*first {
			if prev == nil {
				why = "settling"
			} else if d, _ := differing(img, prev); d > 0 {
				why = "still changing"
			}
		}
		if why == "" {
			if err := savePNG(out, img); err != nil {
				return err
			}
			fmt.Printf("after %.1f s\n", at.Sub(start).Seconds())
			return nil
		}
		last, prev = why, img
		time.Sleep(200 * time.Millisecond)
	}
	if prev != nil { // what the screen showed instead, for the person reading the log
		_ = savePNG(out, prev)
	}
	return fmt.Errorf("no such screen within %s (last: %s; picture in %s)", *timeout, last, out)
}
