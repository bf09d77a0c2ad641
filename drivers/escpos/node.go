//go:build unix

// The printer device and its node checks are Unix character devices; the
// encoder, decoder and slip layout build everywhere (kioskctl receipt preview).

package escpos

import (
	"errors"
	"fmt"

	"os"

	"golang.org/x/sys/unix"
)

// NodeKind is what a printer path turned out to be.
type NodeKind int

const (
	NodeMissing    NodeKind = iota
	NodeRegular             // a plain file: bytes would pile up on the SD card
	NodeDir                 // a directory
	NodeFIFO                // a named pipe: whoever reads it, it is not a printer
	NodeSocket              // a Unix socket
	NodeBlock               // a block device (a disk!)
	NodeMemory              // /dev/null, /dev/zero, /dev/full, …: swallows or refuses everything
	NodeUSBPrinter          // usblp: /dev/usb/lpN, the printer class this kiosk expects
	NodeParallel            // lp: a parallel-port printer
	NodeSerial              // a serial port (ttyS, ttyUSB, ttyACM, ttyAMA): needs the printer's baud rate set
	NodePTY                 // a pseudo-terminal: a test stand-in, never a real printer
	NodeConsole             // a virtual console or /dev/tty: the screen, not a printer
	NodeChar                // some other character device
)

// Node describes a printer path for the log and for a technician.
type Node struct {
	Path         string
	Kind         NodeKind
	Major, Minor uint32 // character devices only
}

// Linux character-device majors (Documentation/admin-guide/devices.txt).
const (
	majorMemory    = 1
	majorTTY       = 4 // minors 0..63 are virtual consoles, 64.. are ttyS serial ports
	majorConsole   = 5 // /dev/tty, /dev/console, /dev/ptmx
	majorParallel  = 6
	majorPTYFirst  = 136 // Unix98 pty slaves: 136..143
	majorPTYLast   = 143
	majorACM       = 166
	majorUSB       = 180 // usblp: minors 0..15
	majorUSBSerial = 188
	majorAMA       = 204
)

// CanPrint reports whether bytes written to the node could reach a printer.
// Regular files, FIFOs, /dev/null and the like never can: a slip "printed"
// there would be reported as done and lost.
func (n Node) CanPrint() bool {
	switch n.Kind {
	case NodeUSBPrinter, NodeParallel, NodeSerial, NodePTY, NodeChar:
		return true
	}
	return false
}

// String says what the node is, in words a technician can act on.
func (n Node) String() string {
	dev := fmt.Sprintf("char %d:%d", n.Major, n.Minor)
	switch n.Kind {
	case NodeMissing:
		return n.Path + ": no such device (is the printer plugged in and switched on?)"
	case NodeRegular:
		return n.Path + ": a regular file, not a character device"
	case NodeDir:
		return n.Path + ": a directory, not a character device"
	case NodeFIFO:
		return n.Path + ": a FIFO (named pipe), not a character device"
	case NodeSocket:
		return n.Path + ": a socket, not a character device"
	case NodeBlock:
		return n.Path + ": a block device (a disk), not a printer"
	case NodeMemory:
		return n.Path + ": a memory device (" + dev + ", like /dev/null), not a printer"
	case NodeUSBPrinter:
		return n.Path + ": USB printer-class device (usblp, " + dev + ")"
	case NodeParallel:
		return n.Path + ": parallel-port printer (lp, " + dev + ")"
	case NodeSerial:
		return n.Path + ": serial port (" + dev + "); the port's baud rate must match the printer's"
	case NodePTY:
		return n.Path + ": a pseudo-terminal (" + dev + "), a test stand-in, not a printer"
	case NodeConsole:
		return n.Path + ": a console (" + dev + "), the screen, not a printer"
	}
	return n.Path + ": character device " + dev + " (not a known printer driver)"
}

// Inspect says what path is without opening it, so a FIFO nobody reads
// cannot block the caller.
func Inspect(path string) (Node, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) {
			return Node{Path: path, Kind: NodeMissing}, nil
		}
		return Node{Path: path}, fmt.Errorf("escpos: stat %s: %w", path, err)
	}
	return classify(path, &st), nil
}

func inspectFile(f *os.File) (Node, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return Node{Path: f.Name()}, fmt.Errorf("escpos: fstat %s: %w", f.Name(), err)
	}
	return classify(f.Name(), &st), nil
}

func classify(path string, st *unix.Stat_t) Node {
	n := Node{Path: path}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		n.Kind = NodeRegular
	case unix.S_IFDIR:
		n.Kind = NodeDir
	case unix.S_IFIFO:
		n.Kind = NodeFIFO
	case unix.S_IFSOCK:
		n.Kind = NodeSocket
	case unix.S_IFBLK:
		n.Kind = NodeBlock
	case unix.S_IFCHR:
		n.Major, n.Minor = unix.Major(uint64(st.Rdev)), unix.Minor(uint64(st.Rdev))
		switch m := n.Major; {
		case m == majorMemory:
			n.Kind = NodeMemory
		case m == majorUSB && n.Minor < 16:
			n.Kind = NodeUSBPrinter
		case m == majorParallel:
			n.Kind = NodeParallel
		case m == majorTTY && n.Minor < 64, m == majorConsole:
			n.Kind = NodeConsole
		case m == majorTTY || m == majorACM || m == majorUSBSerial || m == majorAMA:
			n.Kind = NodeSerial
		case m >= majorPTYFirst && m <= majorPTYLast:
			n.Kind = NodePTY
		default:
			n.Kind = NodeChar
		}
	default:
		n.Kind = NodeChar
	}
	return n
}
