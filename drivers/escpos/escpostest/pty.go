package escpostest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

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

// StalledPTY is a pty whose buffer is already full and whose far end
// never reads: a printer node that takes no more data. Closed at cleanup.
func StalledPTY(t testing.TB) *PTY {
	t.Helper()
	p, err := NewPTY()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	if n, err := p.Fill(); err != nil || n == 0 {
		t.Fatalf("fill %s: %d bytes, %v", p.Path, n, err)
	}
	return p
}

// NonPrinter is a path that must never be taken for a printer, and the
// words that should say what it is.
type NonPrinter struct{ Path, Says string }

// NonPrinters makes, in a fresh directory, a regular file, a FIFO nobody
// reads and a missing path, and adds the directory and /dev/null.
func NonPrinters(t testing.TB) []NonPrinter {
	t.Helper()
	dir := t.TempDir()
	regular := filepath.Join(dir, "lp0")
	if err := os.WriteFile(regular, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	return []NonPrinter{
		{regular, "a regular file, not a character device"},
		{dir, "a directory, not a character device"},
		{fifo, "a FIFO (named pipe), not a character device"},
		{"/dev/null", "a memory device (char 1:3, like /dev/null), not a printer"},
		{filepath.Join(dir, "lp9"), "no such device"},
	}
}

// ReadUntil makes the "printer" read again: it reads the master until
// marker has come (or the pty closes) and then delivers all it read.
func (p *PTY) ReadUntil(marker []byte) <-chan []byte {
	got := make(chan []byte, 1)
	go func() {
		var all []byte
		buf := make([]byte, 1<<16)
		for {
			n, err := p.Master.Read(buf)
			all = append(all, buf[:n]...)
			if err != nil || bytes.Contains(all, marker) {
				got <- all
				return
			}
		}
	}()
	return got
}
