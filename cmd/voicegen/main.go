// Command voicegen renders every prompt of the kiosk's catalogue to a WAV
// at build time (make voice) and gates each one: the synthesiser's reading
// equals the kana checked into kiosk/readings.tsv, the duration, loudness
// and peak are within bounds. Japanese is Open JTalk with the NIT ATR503
// M001 voice; English is flite. The kiosk itself has no synthesiser.
//
//	voicegen -out build/voice [-voice FILE.htsvoice] [-dic DIR]
//	voicegen -readings kiosk/readings.tsv   # write readings from the trace, for review
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/villagehall/kiosk/drivers/speaker"
	"github.com/villagehall/kiosk/kiosk"
)

type options struct {
	out, voice, dic, readings string
}

func main() {
	var o options
	flag.StringVar(&o.out, "out", "build/voice", "output directory: <out>/ja, <out>/en, manifest.tsv")
	flag.StringVar(&o.voice, "voice", "/usr/share/hts-voice/nitech-jp-atr503-m001/nitech_jp_atr503_m001.htsvoice", "the Open JTalk voice")
	flag.StringVar(&o.dic, "dic", "/var/lib/mecab/dic/open-jtalk/naist-jdic", "the Open JTalk dictionary")
	flag.StringVar(&o.readings, "readings", "", "write the synthesiser's readings of every Japanese prompt to this file (for a person to check) instead of rendering")
	flag.Parse()
	var err error
	if o.readings != "" {
		err = writeReadings(o)
	} else {
		err = render(o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "voicegen:", err)
		os.Exit(1)
	}
}

// Gates for every rendered prompt, on the synthesiser's own output.
const (
	minSeconds = 0.3
	// The longest prompts are the last-try warnings: three sentences (what
	// locks, where it is reset, do not guess), about 24 s. Longer than 30 s
	// means a sentence that belongs on its own prompt.
	maxSeconds = 30
	minRMSdB   = -45 // speech here is about -26 dB, silence -96
	maxPeakdB  = -1  // above: clipped or about to be
	// Every prompt is brought to this peak after the gates, so Japanese
	// and English and every sentence play at one loudness.
	targetPeakdB = -3
)

func render(o options) error {
	readings, err := kiosk.Readings()
	if err != nil {
		return err
	}
	prompts := kiosk.Prompts()
	work, err := os.MkdirTemp("", "voicegen")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	var manifest []string
	var failed []string
	r := &renderer{o: o, work: work, readings: readings, done: map[string]string{}, last: lastManifest(o.out),
		checked: lastChecked(o.out)}
	for _, id := range kiosk.PromptIDs() {
		t := prompts[id]
		for _, l := range []kiosk.Lang{kiosk.Japanese, kiosk.English} {
			line, err := r.one(id, l, t.In(l), t.Spoken(l))
			if err != nil {
				failed = append(failed, fmt.Sprintf("%s %s: %v", l, id, err))
				continue
			}
			manifest = append(manifest, line)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d prompts failed the gates:\n  %s", len(failed), strings.Join(failed, "\n  "))
	}
	sort.Strings(manifest)
	var ok []string
	for k, kana := range r.checked {
		ok = append(ok, k+"\t"+kana)
	}
	sort.Strings(ok)
	if err := os.WriteFile(filepath.Join(o.out, "readings.ok"), []byte(strings.Join(ok, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	head := "# lang\tid\tseconds\trms_db\tpeak_db\tsha256(text+engine)\n"
	if err := os.WriteFile(filepath.Join(o.out, "manifest.tsv"), []byte(head+strings.Join(manifest, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	fmt.Printf("voicegen: %d prompts rendered and gated into %s\n", len(manifest), o.out)
	return nil
}

// renderer renders prompts once per distinct sentence: a prompt whose
// words another prompt already has (the same page line for both PINs) is
// a hard link to its file, and a prompt rendered by the last run from the
// same words and voice is kept as it is.
type renderer struct {
	o        options
	work     string
	readings map[kiosk.PromptID]kiosk.Reading
	done     map[string]string // cache key -> manifest line's tail, for links
	last     map[string]string // "lang id" -> manifest line of the last run
	// checked: readings the synthesiser gave last run, "id key" -> kana,
	// so an unchanged prompt is not read again (a dictionary load each).
	checked map[string]string
}

// lastManifest reads the last run's manifest (none: every prompt renders).
func lastManifest(out string) map[string]string {
	m := map[string]string{}
	b, _ := os.ReadFile(filepath.Join(out, "manifest.tsv"))
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Split(line, "\t"); len(f) == 6 && !strings.HasPrefix(line, "#") {
			m[f[0]+" "+f[1]] = line
		}
	}
	return m
}

// one renders (or links, or keeps) one prompt after its gates. It returns
// its manifest line.
func (r *renderer) one(id kiosk.PromptID, l kiosk.Lang, text, say string) (string, error) {
	o := r.o
	dir := filepath.Join(o.out, l.String())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	final := filepath.Join(dir, id.FileName())
	key := cacheKey(o, l, say)
	if err := r.checkReading(id, l, text, say); err != nil {
		return "", err
	}
	if first, ok := r.done[key]; ok {
		os.Remove(final)
		if err := os.Link(filepath.Join(dir, first), final); err != nil {
			return "", err
		}
		return r.line(l, id, key)
	}
	if line, ok := r.last[l.String()+" "+string(id)]; ok && strings.HasSuffix(line, "\t"+key) {
		if _, err := os.Stat(final); err == nil {
			r.done[key] = id.FileName()
			return line, nil // same words, same voice: rendered last time
		}
	}
	line, err := r.synth(id, l, say, final, key)
	if err == nil {
		r.done[key] = id.FileName()
		r.last[l.String()+" "+string(id)] = line
	}
	return line, err
}

// lastChecked reads the readings the synthesiser gave the last run.
func lastChecked(out string) map[string]string {
	m := map[string]string{}
	b, _ := os.ReadFile(filepath.Join(out, "readings.ok"))
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Split(line, "\t"); len(f) == 3 {
			m[f[0]+"\t"+f[1]] = f[2]
		}
	}
	return m
}

// line is the manifest line of a linked prompt: its first file's figures.
func (r *renderer) line(l kiosk.Lang, id kiosk.PromptID, key string) (string, error) {
	for _, line := range r.last {
		if f := strings.Split(line, "\t"); len(f) == 6 && f[0] == l.String() && f[5] == key {
			return strings.Join(append([]string{l.String(), string(id)}, f[2:]...), "\t"), nil
		}
	}
	return "", fmt.Errorf("%s: no figures for its twin", id)
}

// checkReading is the reading gate (Japanese): the synthesiser's reading
// of say equals the kana checked for this prompt against this text.
func (r *renderer) checkReading(id kiosk.PromptID, l kiosk.Lang, text, say string) error {
	if l != kiosk.Japanese {
		return nil
	}
	want, ok := r.readings[id]
	switch {
	case !ok:
		return errors.New("no reading in kiosk/readings.tsv (make voice-readings, check, commit)")
	case want.Text != text:
		return fmt.Errorf("kiosk/readings.tsv was checked against %q, the catalogue now says %q", want.Text, text)
	}
	ck := string(id) + "\t" + cacheKey(r.o, l, say)
	got, ok := r.checked[ck]
	if !ok {
		var err error
		if got, err = jaReading(r.o, say); err != nil {
			return err
		}
		r.checked[ck] = got
	}
	if got != want.Kana {
		return fmt.Errorf("the synthesiser reads %s, readings.tsv says %s", got, want.Kana)
	}
	return nil
}

// synth renders say, gates the synthesiser's output and writes final.
func (r *renderer) synth(id kiosk.PromptID, l kiosk.Lang, say, final, key string) (string, error) {
	o, work := r.o, r.work
	raw := filepath.Join(work, "raw.wav")
	var cmd *exec.Cmd
	if l == kiosk.Japanese {
		cmd = exec.Command("open_jtalk", "-x", o.dic, "-m", o.voice, "-ow", raw)
		cmd.Stdin = strings.NewReader(say)
	} else {
		cmd = exec.Command("flite", "-voice", "slt", "-t", say, "-o", raw)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%s: %v: %s", cmd.Path, err, out)
	}
	st, err := statsOf(raw)
	if err != nil {
		return "", err
	}
	switch {
	case st.Seconds < minSeconds || st.Seconds > maxSeconds:
		return "", fmt.Errorf("lasts %.2f s, outside %.1f-%.0f s", st.Seconds, float64(minSeconds), float64(maxSeconds))
	case st.RMSdB < minRMSdB:
		return "", fmt.Errorf("RMS %.1f dB, below %d dB: too quiet or silent", st.RMSdB, minRMSdB)
	case st.PeakdB > maxPeakdB:
		return "", fmt.Errorf("peak %.2f dBFS, above %d dBFS: clipped", st.PeakdB, maxPeakdB)
	}
	// 22.05 kHz mono 16-bit, one peak level for every prompt.
	// -D: no dither, so a render is the same bytes every time.
	if out, err := exec.Command("sox", "-D", raw, "-r", "22050", "-c", "1", "-b", "16", final,
		"gain", "-n", fmt.Sprint(targetPeakdB)).CombinedOutput(); err != nil {
		return "", fmt.Errorf("sox: %v: %s", err, out)
	}
	return fmt.Sprintf("%s\t%s\t%.2f\t%.1f\t%.1f\t%s", l, id, st.Seconds, st.RMSdB, st.PeakdB, key), nil
}

func cacheKey(o options, l kiosk.Lang, text string) string {
	h := sha256.Sum256([]byte(l.String() + "\x00" + text + "\x00" + o.voice))
	return hex.EncodeToString(h[:8])
}

func statsOf(path string) (speaker.Stats, error) {
	f, err := os.Open(path)
	if err != nil {
		return speaker.Stats{}, err
	}
	defer f.Close()
	w, err := speaker.ReadWAV(f)
	if err != nil {
		return speaker.Stats{}, fmt.Errorf("%s: %w", path, err)
	}
	return w.Stats(), nil
}

// jaReading is Open JTalk's reading of text: the pronunciation column of
// its text analysis (-ot), accent marks dropped, punctuation skipped.
func jaReading(o options, text string) (string, error) {
	trace, err := os.CreateTemp("", "voicegen-trace")
	if err != nil {
		return "", err
	}
	trace.Close()
	defer os.Remove(trace.Name())
	cmd := exec.Command("open_jtalk", "-x", o.dic, "-m", o.voice, "-ot", trace.Name(), "-ow", os.DevNull)
	cmd.Stdin = strings.NewReader(text)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("open_jtalk: %v: %s", err, out)
	}
	b, err := os.ReadFile(trace.Name())
	if err != nil {
		return "", err
	}
	return ParseTrace(string(b)), nil
}

// ParseTrace takes the reading out of an open_jtalk -ot trace.
func ParseTrace(trace string) string {
	var b strings.Builder
	in := false
	for _, line := range strings.Split(trace, "\n") {
		switch {
		case strings.HasPrefix(line, "[Text analysis result]"):
			in = true
			continue
		case strings.HasPrefix(line, "["):
			in = false
		}
		f := strings.Split(line, ",")
		if !in || len(f) < 10 || f[1] == "記号" {
			continue
		}
		b.WriteString(strings.ReplaceAll(f[9], "’", ""))
	}
	return b.String()
}

func writeReadings(o options) error {
	old, err := kiosk.Readings()
	if err != nil {
		old = map[kiosk.PromptID]kiosk.Reading{}
	}
	prompts := kiosk.Prompts()
	out := map[kiosk.PromptID]kiosk.Reading{}
	for _, id := range kiosk.PromptIDs() {
		text := prompts[id].JA
		got, err := jaReading(o, prompts[id].Spoken(kiosk.Japanese))
		if err != nil {
			return fmt.Errorf("%s: %w", id, err)
		}
		if r, ok := old[id]; ok && r.Text == text && r.Kana == got {
			out[id] = r
			continue
		}
		fmt.Printf("CHECK %s\t%s\t%s\n", id, text, got)
		out[id] = kiosk.Reading{Text: text, Kana: got}
	}
	return os.WriteFile(o.readings, []byte(kiosk.FormatReadings(kiosk.PromptIDs(), out)), 0o644)
}
