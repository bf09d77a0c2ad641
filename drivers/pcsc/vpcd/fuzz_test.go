package vpcd

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"testing"
)

// frame encodes one vpcd frame.
func frame(payload ...byte) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(len(payload))), payload...)
}

// FuzzFrames: whatever bytes vpcd sends, the slot answers exactly the
// frames the protocol says to (an ATR for get-ATR, one reply per command
// APDU, nothing for power codes, unknown codes and empty frames), resets
// the card on each power code, logs each APDU once, and stops with EOF at
// a frame boundary or unexpected EOF inside one. The expected answers
// come from a second, plain reading of the stream.
func FuzzFrames(f *testing.F) {
	selectAP := []byte{0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01}
	session := append(append(append(append(frame(ctrlPowerOn), frame(ctrlGetATR)...), frame(selectAP...)...), frame(0x00, 0xB0, 0x00, 0x00, 0x2B)...), frame(ctrlPowerOff)...)
	f.Add(session)
	f.Add(frame(ctrlGetATR))
	f.Add(append(frame(), frame(0x07)...)) // empty frame, unknown control code
	f.Add([]byte{0x00, 0x05, 0x00, 0xA4})  // promises 5 bytes, sends 2
	f.Add([]byte{0x00})                    // half a length
	f.Fuzz(func(t *testing.T, stream []byte) {
		atr := []byte{0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14}
		card := &testCard{atr: atr}
		var log, out bytes.Buffer
		s := &Slot{card: card, cfg: config{logger: slog.New(slog.DiscardHandler), apduLog: &log}}
		err := s.serveFrames(bytes.NewReader(stream), &out)

		var want, wantLog bytes.Buffer
		resets, rest := 0, stream
		clean := true
		for len(rest) > 0 {
			if len(rest) < 2 || len(rest)-2 < int(binary.BigEndian.Uint16(rest)) {
				clean = false
				break
			}
			n := int(binary.BigEndian.Uint16(rest))
			msg := rest[2 : 2+n]
			rest = rest[2+n:]
			switch {
			case n == 0:
			case n == 1 && msg[0] <= ctrlReset:
				resets++
			case n == 1 && msg[0] == ctrlGetATR:
				want.Write(frame(atr...))
			case n == 1:
			default:
				rsp := append(append([]byte{}, msg...), 0x90, 0x00)
				want.Write(frame(rsp...))
				wantLog.WriteString(LogLine(msg, rsp))
			}
		}
		if clean && !errors.Is(err, io.EOF) || !clean && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("err = %v (stream ends %s)", err, map[bool]string{true: "at a frame boundary", false: "inside a frame"}[clean])
		}
		if !bytes.Equal(out.Bytes(), want.Bytes()) {
			t.Fatalf("answers\n% X\nwant\n% X", out.Bytes(), want.Bytes())
		}
		if log.String() != wantLog.String() {
			t.Fatalf("APDU log %q, want %q", log.String(), wantLog.String())
		}
		if card.resetCount() != resets {
			t.Fatalf("%d resets, want %d", card.resetCount(), resets)
		}
	})
}
