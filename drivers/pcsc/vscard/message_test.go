package vscard

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestMessageWireForm(t *testing.T) {
	// Bytes as qemu's ccid_card_vscard_send_msg writes them: htonl of
	// type, reader id and length, then the payload.
	m := Message{Type: TypeAPDU, Reader: 0, Payload: []byte{0x00, 0xA4, 0x04, 0x0C}}
	want, _ := hex.DecodeString("00000007" + "00000000" + "00000004" + "00A4040C")
	if got := m.Append(nil); !bytes.Equal(got, want) {
		t.Fatalf("wire form % X, want % X", got, want)
	}
	// qemu's own Init: magic in memory order, version htonl(2), one zero
	// capability word.
	in := Init{Version: Version}.Marshal()
	if want, _ := hex.DecodeString("56534344" + "00000002" + "00000000"); !bytes.Equal(in, want) {
		t.Fatalf("Init payload % X, want % X", in, want)
	}
	if got, want := ErrorPayload(CannotAddMoreReaders), []byte{0, 0, 0, 2}; !bytes.Equal(got, want) {
		t.Fatalf("Error payload % X, want % X", got, want)
	}
}

func TestReadMessage(t *testing.T) {
	apdu := Message{Type: TypeAPDU, Reader: 0, Payload: []byte{1, 2, 3}}.Append(nil)
	empty := Message{Type: TypeCardRemove, Reader: 5}.Append(nil)
	tooLong := []byte{0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0xFF, 0xF5} // MaxPayload + 1
	atMax := append([]byte{0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0xFF, 0xF4}, make([]byte, MaxPayload)...)
	for _, tc := range []struct {
		name    string
		in      []byte
		want    Message
		wantErr error
	}{
		{"APDU", apdu, Message{TypeAPDU, 0, []byte{1, 2, 3}}, nil},
		{"empty payload", empty, Message{TypeCardRemove, 5, []byte{}}, nil},
		{"exactly the largest payload", atMax, Message{TypeAPDU, 0, make([]byte, MaxPayload)}, nil},
		{"one byte too long", tooLong, Message{}, ErrTooLong},
		{"nothing", nil, Message{}, io.EOF},
		{"half a header", apdu[:7], Message{}, io.ErrUnexpectedEOF},
		{"payload cut short", apdu[:13], Message{}, io.ErrUnexpectedEOF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// One byte per Read, as a TCP stream may deliver it.
			got, err := ReadMessage(iotest.OneByteReader(bytes.NewReader(tc.in)))
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err %v, want %v", err, tc.wantErr)
			}
			if err == nil && (got.Type != tc.want.Type || got.Reader != tc.want.Reader || !bytes.Equal(got.Payload, tc.want.Payload)) {
				t.Fatalf("got %v %d % X", got.Type, got.Reader, got.Payload)
			}
		})
	}
}

func TestParseInitAndError(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		ok   bool
	}{
		{"qemu's", "56534344" + "00000002" + "00000000", true},
		{"two capability words", "56534344" + "00000002" + "00000000" + "00000001", true},
		{"no capability word (qemu would count 1 + huge)", "56534344" + "00000002", false},
		{"wrong magic", "44435356" + "00000002" + "00000000", false},
		{"ragged", "56534344" + "00000002" + "000000", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, _ := hex.DecodeString(tc.in)
			_, err := ParseInit(b)
			if (err == nil) != tc.ok {
				t.Fatalf("ParseInit: %v, want ok=%v", err, tc.ok)
			}
		})
	}
	if c, err := ParseError([]byte{0, 0, 0, 1}); err != nil || c != GeneralError {
		t.Fatalf("ParseError: %v %v", c, err)
	}
	if _, err := ParseError([]byte{0, 0, 1}); err == nil {
		t.Fatal("a 3-byte Error payload was accepted")
	}
}

func TestCheckATR(t *testing.T) {
	for _, tc := range []struct {
		atr string
		ok  bool
	}{
		{"3BE000FF8131FE4514", true},             // the JPKI contact ATR of our virtual card
		{"3BD518FF8091FE1FC38073C8211308", true}, // qemu's default (an Athena card)
		{"3B00", true},
		{"3F00", true},
		{"3B", false},
		{"3A00", false},
		{"3B0201", false},                          // two historical bytes announced, one there
		{"3BE000FF", false},                        // TD1 announced, missing
		{"3B00" + strings.Repeat("11", 39), false}, // 41 bytes: past ISO 7816-3's 40
	} {
		b, _ := hex.DecodeString(tc.atr)
		if err := CheckATR(b); (err == nil) != tc.ok {
			t.Errorf("CheckATR(%s): %v, want ok=%v", tc.atr, err, tc.ok)
		}
	}
}

// FuzzFraming: any byte stream either fails to frame or yields messages
// whose wire form is exactly the bytes consumed; parsers never panic and
// never allocate for a length they refuse.
func FuzzFraming(f *testing.F) {
	f.Add(Message{Type: TypeAPDU, Payload: []byte{0, 0xA4, 4, 0x0C}}.Append(nil))
	f.Add(Message{Type: TypeInit, Reader: UndefinedReader, Payload: Init{Version: Version}.Marshal()}.Append(nil))
	f.Add(Message{Type: TypeError, Payload: ErrorPayload(Success)}.Append(Message{Type: TypeATR, Payload: []byte{0x3B, 0}}.Append(nil)))
	f.Add([]byte{0, 0, 0, 7, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF})
	f.Fuzz(func(t *testing.T, in []byte) {
		r := bytes.NewReader(in)
		var consumed []byte
		for {
			before := len(in) - r.Len()
			m, err := ReadMessage(r)
			if err != nil {
				if errors.Is(err, ErrTooLong) && len(in)-before < HeaderLen {
					t.Fatal("ErrTooLong without a whole header")
				}
				break
			}
			if len(m.Payload) > MaxPayload {
				t.Fatalf("payload of %d bytes accepted", len(m.Payload))
			}
			consumed = m.Append(consumed)
			if !bytes.Equal(consumed, in[:len(in)-r.Len()]) {
				t.Fatalf("re-encoding differs from the bytes read")
			}
			switch m.Type {
			case TypeInit:
				if in, err := ParseInit(m.Payload); err == nil && !bytes.Equal(in.Marshal(), m.Payload) {
					t.Fatalf("Init does not round-trip")
				}
			case TypeError:
				_, _ = ParseError(m.Payload)
			case TypeATR:
				_ = CheckATR(m.Payload)
			}
		}
	})
}
