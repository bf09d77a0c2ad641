// Package vscard puts a virtual card into qemu's emulated smart-card reader
// (usb-ccid with ccid-card-passthru), which takes its card over a chardev
// socket in the VSCard protocol. Inside the guest the reader is a plain
// USB CCID reader: libccid → pcscd → the kiosk, as on the board.
//
// The protocol, from qemu's hw/usb/ccid-card-passthru.c and libcacard's
// vscard_common.h (protocol version 0.0.2):
//
//   - Every message is a 12-byte header — type, reader id, payload length,
//     each a big-endian uint32 — then the payload.
//   - Init, both ways: magic "VSCD" (four raw bytes), version, capability
//     words (none are defined). qemu answers ours with its own.
//   - ReaderAdd (card side → qemu), payload the reader's name: qemu answers
//     Error{Success} carrying the reader id (0). ReaderRemove detaches the
//     whole USB reader from the guest, so this package never sends it.
//   - ATR: the card is inserted. qemu checks the ATR (TS 3B or 3F, the
//     length T0 announces, at most 40 bytes) and answers Error{Success} or
//     Error{GeneralError}.
//   - APDU: a command from qemu, answered by exactly one APDU response.
//   - CardRemove: answered by Error{Success}.
//   - Error: a 4-byte code. Flush asks for FlushComplete once every APDU is
//     answered.
//
// qemu keeps at most 64 KiB of unprocessed input and drops the connection
// past it. It does not notice a closed connection (the guest goes on seeing
// the card, and half a message stays in its buffer for the next client), so
// messages go out in one write each and Close sends CardRemove first. qemu
// sends the card no power-on or reset: the card's volatile state is reset
// at each insertion.
package vscard

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Type is a message type.
type Type uint32

// Message types (VSCMsgType).
const (
	TypeInit          Type = 1
	TypeError         Type = 2
	TypeReaderAdd     Type = 3
	TypeReaderRemove  Type = 4
	TypeATR           Type = 5
	TypeCardRemove    Type = 6
	TypeAPDU          Type = 7
	TypeFlush         Type = 8
	TypeFlushComplete Type = 9
)

func (t Type) String() string {
	names := [...]string{"", "Init", "Error", "ReaderAdd", "ReaderRemove", "ATR", "CardRemove", "APDU", "Flush", "FlushComplete"}
	if t > 0 && int(t) < len(names) {
		return names[t]
	}
	return fmt.Sprintf("Type(%d)", uint32(t))
}

// Code is the payload of an Error message (VSCErrorCode).
type Code uint32

// Error codes. Success is also how qemu acknowledges a request.
const (
	Success              Code = 0
	GeneralError         Code = 1
	CannotAddMoreReaders Code = 2
	CardAlreadyInserted  Code = 3
)

func (c Code) String() string {
	switch c {
	case Success:
		return "success"
	case GeneralError:
		return "general error"
	case CannotAddMoreReaders:
		return "cannot add more readers"
	case CardAlreadyInserted:
		return "card already inserted"
	}
	return fmt.Sprintf("code %d", uint32(c))
}

const (
	// HeaderLen is the size of a message header.
	HeaderLen = 12
	// MaxMessage is qemu's input buffer (VSCARD_IN_SIZE): a longer message
	// makes it drop the connection, so none is sent or accepted.
	MaxMessage = 64 << 10
	// MaxPayload is the longest payload that fits MaxMessage.
	MaxPayload = MaxMessage - HeaderLen
	// Version is the protocol version spoken (MAKE_VERSION(0, 0, 2)).
	Version uint32 = 2
	// UndefinedReader is the reader id of messages about no reader.
	UndefinedReader uint32 = 0xFFFFFFFF
	// maxATR is ISO 7816-3's limit, which qemu enforces.
	maxATR = 40
)

// Magic opens every Init payload. qemu compares it in memory order, not
// byte-swapped: on the wire it is these four bytes.
const Magic = "VSCD"

// ErrTooLong is a message longer than qemu's buffer.
var ErrTooLong = errors.New("vscard: message longer than 64 KiB")

// Message is one protocol message.
type Message struct {
	Type    Type
	Reader  uint32
	Payload []byte
}

// Append appends m's wire form to b.
func (m Message) Append(b []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(m.Type))
	b = binary.BigEndian.AppendUint32(b, m.Reader)
	b = binary.BigEndian.AppendUint32(b, uint32(len(m.Payload)))
	return append(b, m.Payload...)
}

// ReadMessage reads one message. A length past MaxPayload is ErrTooLong,
// found before anything of that size is allocated; a stream ending inside
// a message is io.ErrUnexpectedEOF.
func ReadMessage(r io.Reader) (Message, error) {
	var h [HeaderLen]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return Message{}, err
	}
	m := Message{Type: Type(binary.BigEndian.Uint32(h[0:])), Reader: binary.BigEndian.Uint32(h[4:])}
	n := binary.BigEndian.Uint32(h[8:])
	if n > MaxPayload {
		return Message{}, fmt.Errorf("%w: %s of %d bytes", ErrTooLong, m.Type, n)
	}
	m.Payload = make([]byte, n)
	if _, err := io.ReadFull(r, m.Payload); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return Message{}, fmt.Errorf("vscard: %s payload of %d bytes: %w", m.Type, n, err)
	}
	return m, nil
}

// Init is the payload of an Init message.
type Init struct {
	Version      uint32
	Capabilities []uint32
}

// Marshal encodes the payload. qemu counts the capability words as
// 1 + (length-12)/4 in unsigned arithmetic, so at least one word is always
// sent (zero: none).
func (in Init) Marshal() []byte {
	caps := in.Capabilities
	if len(caps) == 0 {
		caps = []uint32{0}
	}
	b := append([]byte{}, Magic...)
	b = binary.BigEndian.AppendUint32(b, in.Version)
	for _, c := range caps {
		b = binary.BigEndian.AppendUint32(b, c)
	}
	return b
}

// ParseInit decodes an Init payload: the magic, the version and at least
// one capability word.
func ParseInit(p []byte) (Init, error) {
	if len(p) < 12 || len(p)%4 != 0 {
		return Init{}, fmt.Errorf("vscard: Init of %d bytes (want 12 or more, a multiple of 4)", len(p))
	}
	if string(p[:4]) != Magic {
		return Init{}, fmt.Errorf("vscard: Init magic %q, want %q", p[:4], Magic)
	}
	in := Init{Version: binary.BigEndian.Uint32(p[4:])}
	for i := 8; i < len(p); i += 4 {
		in.Capabilities = append(in.Capabilities, binary.BigEndian.Uint32(p[i:]))
	}
	return in, nil
}

// ErrorPayload encodes an Error message's code.
func ErrorPayload(c Code) []byte { return binary.BigEndian.AppendUint32(nil, uint32(c)) }

// ParseError decodes an Error payload.
func ParseError(p []byte) (Code, error) {
	if len(p) != 4 {
		return 0, fmt.Errorf("vscard: Error of %d bytes, want 4", len(p))
	}
	return Code(binary.BigEndian.Uint32(p)), nil
}

// CheckATR applies qemu's check of an ATR (check_atr in
// ccid-card-passthru.c), quirks included: TS is 3B or 3F, and the ATR holds
// at least the interface bytes of the first two TDs and the historical
// bytes T0 announces; longer is accepted. qemu answers an ATR that fails with
// GeneralError and keeps no card.
func CheckATR(atr []byte) error {
	if len(atr) < 2 || len(atr) > maxATR {
		return fmt.Errorf("vscard: ATR of %d bytes (want 2 to %d)", len(atr), maxATR)
	}
	if atr[0] != 0x3B && atr[0] != 0x3F {
		return fmt.Errorf("vscard: ATR starts with %02X, want 3B or 3F", atr[0])
	}
	hist := int(atr[1] & 0x0F)
	opt := 0
	td := atr[1] >> 4
	for n := 0; td != 0 && n < 2 && opt+hist+2 < len(atr); n++ {
		for bit := byte(1); bit < 8; bit <<= 1 {
			if td&bit != 0 {
				opt++
			}
		}
		if td&8 == 0 {
			break
		}
		opt++
		// qemu reads the next TD one byte past where ISO 7816-3 puts it
		// (data[opt_bytes + 2]); mirrored, since qemu's answer is what counts.
		if opt+2 >= len(atr) {
			break
		}
		td = atr[opt+2] >> 4
	}
	if len(atr) < 2+hist+opt {
		return fmt.Errorf("vscard: ATR of %d bytes, its T0 announces %d", len(atr), 2+hist+opt)
	}
	return nil
}
