package escpostest

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// PTY is a pseudo-terminal standing in for a printer node: Path (the
// slave) is the "device" handed to the kiosk, and the test holds the
// master, so it decides whether the "printer" takes data. A pty is a real
// character device, pollable like /dev/usb/lp0, and a write to it blocks
// once the master's buffer is full and nobody reads.
type PTY struct {
	Master *os.File
	Path   string
	filler int // the fd Fill writes through (raw: os.File.Fd would make it blocking); 0 = none
}

// NewPTY opens a new pseudo-terminal pair.
func NewPTY() (*PTY, error) {
	fd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("escpostest: open /dev/ptmx: %w", err)
	}
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("escpostest: unlock pty: %w", err)
	}
	n, err := unix.IoctlGetUint32(fd, unix.TIOCGPTN)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("escpostest: pty number: %w", err)
	}
	return &PTY{Master: os.NewFile(uintptr(fd), "/dev/ptmx"), Path: fmt.Sprintf("/dev/pts/%d", n)}, nil
}

// Fill writes into the slave until the kernel will take no more, so the
// next write to Path blocks: a printer that stopped taking data. It
// returns how many bytes the buffer took.
func (p *PTY) Fill() (int, error) {
	if p.filler == 0 {
		fd, err := unix.Open(p.Path, unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if err != nil {
			return 0, fmt.Errorf("escpostest: open %s: %w", p.Path, err)
		}
		p.filler = fd
	}
	// Raw mode: no newline translation, so the count is the bytes held.
	if t, err := unix.IoctlGetTermios(p.filler, unix.TCGETS); err == nil {
		t.Oflag &^= unix.OPOST
		t.Lflag &^= unix.ICANON | unix.ECHO
		_ = unix.IoctlSetTermios(p.filler, unix.TCSETS, t)
	}
	// The kernel moves data from the pty's flip buffer to the line
	// discipline behind the writer's back, freeing room again: keep
	// writing until the slave stays unwritable for a while.
	chunk := make([]byte, 4096)
	total := 0
	for {
		n, err := unix.Write(p.filler, chunk)
		if n > 0 {
			total += n
		}
		switch {
		case errors.Is(err, unix.EAGAIN):
			fds := []unix.PollFd{{Fd: int32(p.filler), Events: unix.POLLOUT}}
			if ready, err := unix.Poll(fds, 200); err == nil && ready == 0 {
				return total, nil
			}
		case err != nil:
			return total, fmt.Errorf("escpostest: fill %s: %w", p.Path, err)
		}
	}
}

// Close closes both ends.
func (p *PTY) Close() error {
	var errs []error
	if p.filler != 0 {
		errs = append(errs, unix.Close(p.filler))
	}
	return errors.Join(append(errs, p.Master.Close())...)
}
