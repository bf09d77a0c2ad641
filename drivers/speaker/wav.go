package speaker

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// WAV is 16-bit PCM audio, mono or interleaved.
type WAV struct {
	Rate     int
	Channels int
	Samples  []int16
}

// ErrNotWAV: the bytes are not a 16-bit PCM WAV.
var ErrNotWAV = errors.New("not a 16-bit PCM WAV")

// maxWAVBytes bounds what ReadWAV takes: the longest prompt is 20 s.
const maxWAVBytes = 64 << 20

// ReadWAV reads a RIFF WAV of 16-bit PCM; other chunks are skipped.
func ReadWAV(r io.Reader) (WAV, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxWAVBytes+1))
	if err != nil {
		return WAV{}, fmt.Errorf("read wav: %w", err)
	}
	if len(b) > maxWAVBytes {
		return WAV{}, fmt.Errorf("%w: over %d bytes", ErrNotWAV, maxWAVBytes)
	}
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return WAV{}, fmt.Errorf("%w: no RIFF/WAVE header", ErrNotWAV)
	}
	var w WAV
	fmtSeen := false
	for p := 12; p+8 <= len(b); {
		id, n := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:p+8]))
		body := b[p+8:]
		if n < 0 || n > len(body) {
			if id != "data" {
				return WAV{}, fmt.Errorf("%w: chunk %q runs past the end", ErrNotWAV, id)
			}
			n = len(body) &^ 1 // a streamed WAV (aplay's file sink) may not say its length
		}
		body = body[:n]
		switch id {
		case "fmt ":
			if n < 16 {
				return WAV{}, fmt.Errorf("%w: short fmt chunk", ErrNotWAV)
			}
			format := binary.LittleEndian.Uint16(body[0:2])
			w.Channels = int(binary.LittleEndian.Uint16(body[2:4]))
			w.Rate = int(binary.LittleEndian.Uint32(body[4:8]))
			bits := binary.LittleEndian.Uint16(body[14:16])
			if (format != 1 && format != 0xFFFE) || bits != 16 || w.Channels < 1 || w.Rate < 1 {
				return WAV{}, fmt.Errorf("%w: format %d, %d bits, %d channels", ErrNotWAV, format, bits, w.Channels)
			}
			fmtSeen = true
		case "data":
			if !fmtSeen {
				return WAV{}, fmt.Errorf("%w: data before fmt", ErrNotWAV)
			}
			w.Samples = make([]int16, n/2)
			for i := range w.Samples {
				w.Samples[i] = int16(binary.LittleEndian.Uint16(body[2*i:]))
			}
			return w, nil
		}
		p += 8 + n + n&1
	}
	return WAV{}, fmt.Errorf("%w: no data chunk", ErrNotWAV)
}

// Bytes is w as a WAV file.
func (w WAV) Bytes() []byte {
	var b bytes.Buffer
	n := 2 * len(w.Samples)
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, uint32(36+n))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(w.Channels), uint32(w.Rate),
		uint32(w.Rate * w.Channels * 2), uint16(w.Channels * 2), uint16(16)} {
		binary.Write(&b, binary.LittleEndian, v)
	}
	b.WriteString("data")
	binary.Write(&b, binary.LittleEndian, uint32(n))
	binary.Write(&b, binary.LittleEndian, w.Samples)
	return b.Bytes()
}

// Seconds is how long w plays.
func (w WAV) Seconds() float64 {
	if w.Rate == 0 || w.Channels == 0 {
		return 0
	}
	return float64(len(w.Samples)) / float64(w.Rate*w.Channels)
}

// Stats are a recording's length and levels (dB relative to full scale).
type Stats struct {
	Seconds float64
	RMSdB   float64
	PeakdB  float64
}

// Stats measures w as sox stats does (RMS and peak against full scale).
func (w WAV) Stats() Stats {
	var sum float64
	peak := 0
	for _, s := range w.Samples {
		v := int(s)
		if v < 0 {
			v = -v
		}
		peak = max(peak, v)
		sum += float64(s) * float64(s)
	}
	st := Stats{Seconds: w.Seconds(), RMSdB: -200, PeakdB: -200}
	if len(w.Samples) > 0 && sum > 0 {
		st.RMSdB = 20 * math.Log10(math.Sqrt(sum/float64(len(w.Samples)))/32768)
	}
	if peak > 0 {
		st.PeakdB = 20 * math.Log10(float64(peak)/32768)
	}
	return st
}

// gains are the volume steps: -12, -6 and 0 dB.
var gains = [...]float64{1: 0.2512, 2: 0.5012, 3: 1}

// Scaled is w at volume step v (1-3); other steps play at the middle one.
func (w WAV) Scaled(v int) WAV {
	g := gains[2]
	if v >= 1 && v <= 3 {
		g = gains[v]
	}
	out := WAV{Rate: w.Rate, Channels: w.Channels, Samples: make([]int16, len(w.Samples))}
	for i, s := range w.Samples {
		out.Samples[i] = int16(math.Round(float64(s) * g))
	}
	return out
}

// Concat joins whole prompts, each followed by gap seconds of silence.
// They must share a format: voicegen renders every prompt alike.
func Concat(gap float64, ws ...WAV) (WAV, error) {
	if len(ws) == 0 {
		return WAV{}, errors.New("nothing to play")
	}
	out := WAV{Rate: ws[0].Rate, Channels: ws[0].Channels}
	pause := make([]int16, int(gap*float64(out.Rate))*out.Channels)
	for i, w := range ws {
		if w.Rate != out.Rate || w.Channels != out.Channels {
			return WAV{}, fmt.Errorf("prompt %d is %d Hz × %d, the first %d Hz × %d", i, w.Rate, w.Channels, out.Rate, out.Channels)
		}
		out.Samples = append(out.Samples, w.Samples...)
		if i < len(ws)-1 {
			out.Samples = append(out.Samples, pause...)
		}
	}
	return out, nil
}

// Click is the one key click: 12 ms of a 2 kHz tone with a soft edge. It
// is made here, the same for every key, so no key can sound like another.
func Click(rate int) WAV {
	n := rate * 12 / 1000
	w := WAV{Rate: rate, Channels: 1, Samples: make([]int16, n)}
	for i := range w.Samples {
		env := math.Sin(math.Pi * float64(i) / float64(n))
		w.Samples[i] = int16(12000 * env * math.Sin(2*math.Pi*2000*float64(i)/float64(rate)))
	}
	return w
}
