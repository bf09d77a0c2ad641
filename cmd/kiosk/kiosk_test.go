package main

// Whole-program tests: the kiosk binary runs in tmux against the real
// PC/SC stack (pcscd + vpcd in this package's namespace) while the test
// plugs virtual cards in and out and reads the screen as a resident would.

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mattn/go-runewidth"

	"github.com/villagehall/kiosk/drivers/jpki"
	"github.com/villagehall/kiosk/drivers/jpki/virtualcard"
	"github.com/villagehall/kiosk/drivers/pcsc/pcsctest"
	"github.com/villagehall/kiosk/drivers/pcsc/vpcd"
)

var kioskBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kiosk-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	kioskBin = filepath.Join(dir, "kiosk")
	if out, err := exec.Command("go", "build", "-o", kioskBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build kiosk: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// screen is the kiosk running in a private tmux server.
type screen struct {
	t      *testing.T
	sock   string
	dir    string
	frames []string
}

// kit is the keypad, touchscreen and printer a test kiosk has.
type kit struct {
	layout  []string // the keypad's printed layout (nil: 4×3)
	noTouch bool
	printer string // a real printer node (empty: the sim printer in dir/slips)
	speaker bool   // the sim speaker in dir/voice (its speech.log)
}

func startKiosk(t *testing.T, d kit) *screen {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux missing (apt-get install tmux): make test installs it")
	}
	dir := t.TempDir()
	writeConfig(t, dir, d)
	s := &screen{t: t, sock: filepath.Join(dir, "tmux.sock"), dir: dir}
	cmd := fmt.Sprintf("%s --config %s --log %s; echo KIOSK-EXITED $?; sleep 60", kioskBin,
		filepath.Join(dir, "kiosk.toml"), filepath.Join(dir, "kiosk.log"))
	s.tmux("new-session", "-d", "-x", "100", "-y", "30", "-e", "TERM=xterm-256color", cmd)
	t.Cleanup(func() {
		// SIGTERM is how systemd stops the kiosk: it must exit cleanly.
		exec.Command("pkill", "-TERM", "-f", "^"+kioskBin+" ").Run()
		s.waitFor("KIOSK-EXITED 0", 10*time.Second)
		s.tmux("kill-server")
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "kiosk.log"))
			t.Logf("kiosk log:\n%s", b)
		}
	})
	s.waitFor(waitingText, 10*time.Second)
	return s
}

// writeConfig writes dir/kiosk.toml: the real PC/SC reader, every other
// device simulated (the terminal's keyboard as the keypad d has), the
// journal and slips in dir.
func writeConfig(t testing.TB, dir string, d kit) {
	t.Helper()
	layout := d.layout
	if layout == nil {
		layout = []string{"123", "456", "789", "*0#"}
	}
	touch := "sim"
	if d.noTouch {
		touch = "none"
	}
	printer, printerPath := "sim", filepath.Join(dir, "slips")
	if d.printer != "" {
		printer, printerPath = "real", d.printer
	}
	cfg := fmt.Sprintf(`kiosk_id = "T01"
[municipality]
name = "〇〇村"
name_en = "Sample Village"
office = "住民福祉課"
counter = "1番窓口"
phone = "0000-00-0000"
hours = "平日 8:30〜17:15"
[journal]
path = %q
[devices.reader]
mode = "real"
name_prefix = "Virtual PCD 00 00"
[devices.keypad]
mode = "sim"
layout = ["%s"]
[devices.printer]
mode = %q
path = %q
width_mm = 58
kanji = true
[devices.touch]
mode = %q
`, filepath.Join(dir, "journal.db"), strings.Join(layout, `", "`), printer, printerPath, touch)
	if d.speaker {
		// No rendered prompts: the sim speaker keeps the IDs it was asked for.
		cfg += fmt.Sprintf("[devices.speaker]\nmode = \"sim\"\npath = %q\nprompts = %q\n",
			filepath.Join(dir, "voice"), filepath.Join(dir, "no-prompts"))
	}
	if err := os.WriteFile(filepath.Join(dir, "kiosk.toml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (s *screen) tmux(args ...string) string {
	s.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", s.sock}, args...)...).CombinedOutput()
	if err != nil && args[0] != "kill-server" && args[0] != "send-keys" {
		s.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (s *screen) capture() string {
	frame := s.tmux("capture-pane", "-p")
	s.frames = append(s.frames, frame)
	return frame
}

// waitFor polls the screen (the only way to read a terminal) until want shows.
func (s *screen) waitFor(want string, within time.Duration) string {
	s.t.Helper()
	return s.waitUntil(fmt.Sprintf("%q", want), within, func(f string) bool { return says(f, want) })
}

// says reports whether the screen shows want, wherever its lines broke:
// spaces and line ends are ignored on both sides.
func says(frame, want string) bool {
	flat := strings.NewReplacer(" ", "", "\n", "")
	return strings.Contains(flat.Replace(frame), flat.Replace(want))
}

// waitWaiting waits for the waiting screen with gone no longer on it
// (other screens also ask to insert a card).
func (s *screen) waitWaiting(gone string, within time.Duration) string {
	s.t.Helper()
	return s.waitUntil("the waiting screen", within, func(f string) bool {
		return strings.Contains(f, waitingText) && !strings.Contains(f, gone)
	})
}

const waitingText = "顔写真のある面を上にして"

type pinStep int

const (
	stepCurrent pinStep = iota
	stepNew
	stepConfirm
)

// waitStep waits for a PIN entry screen of that step with its entry still
// empty: keys typed before the screen changes would land in the old entry,
// which the new screen wipes.
func (s *screen) waitStep(step pinStep) string {
	s.t.Helper()
	return s.waitUntil(fmt.Sprintf("PIN step %d", step), 5*time.Second, func(f string) bool {
		if strings.Contains(f, "●") {
			return false
		}
		switch step {
		case stepCurrent:
			return strings.Contains(f, "いまの") || strings.Contains(f, "確かめるため") || strings.Contains(f, "Enter your current") || strings.Contains(f, "To check the signing")
		case stepNew:
			return strings.Contains(f, "新しい") && !strings.Contains(f, "確認のため")
		}
		return strings.Contains(f, "確認のため")
	})
}

func (s *screen) waitUntil(what string, within time.Duration, ok func(string) bool) string {
	s.t.Helper()
	deadline := time.Now().Add(within)
	for {
		frame := s.capture()
		if ok(frame) {
			return frame
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("screen never showed %s; last screen:\n%s", what, frame)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *screen) keys(keys ...string) { s.tmux(append([]string{"send-keys"}, keys...)...) }

// The signing PIN's on-screen alphabet, as the screen shows it: a resident
// moves the lit key with 8 (down) and 4/6 (left/right) and types it with 5;
// the last cell ("<" here) is 1字けす.
var signRows = []string{"ABCDEFGHIJKLM", "NOPQRSTUVWXYZ", "1234567890<"}

// signKeys are the keypad keys that type pin from a fresh entry (the
// highlight starts on A).
func signKeys(t testing.TB, pin string) []string {
	r, c := 0, 0
	var keys []string
	for _, ch := range strings.ToUpper(pin) {
		tr, tc := -1, -1
		for i, row := range signRows {
			if k := strings.IndexRune(row, ch); k >= 0 {
				tr, tc = i, k
			}
		}
		if tr < 0 {
			t.Fatalf("%q is not on the alphabet", ch)
		}
		for r != tr {
			r = (r + 1) % len(signRows)
			c = min(c, len(signRows[r])-1)
			keys = append(keys, "8")
		}
		for ; c < tc; c++ {
			keys = append(keys, "6")
		}
		for ; c > tc; c-- {
			keys = append(keys, "4")
		}
		keys = append(keys, "5")
	}
	return keys
}

// typeSign types a signing PIN with the keypad ("<": 1字けす, taking
// back the character before) and waits for its dots.
func (s *screen) typeSign(pin string) {
	s.t.Helper()
	s.keys(signKeys(s.t, pin)...)
	n := len(pin) - 2*strings.Count(pin, "<")
	dots := strings.Repeat("● ", n)
	s.waitUntil(fmt.Sprintf("%d dots", n), 10*time.Second, func(f string) bool {
		return strings.Contains(f, dots) && !strings.Contains(f, dots+"●")
	})
}

func card(t testing.TB, name string) *virtualcard.Card {
	t.Helper()
	p, err := virtualcard.LoadProfile(filepath.Join("..", "..", "testdata", "cards", name+".json"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return virtualcard.New(p)
}

func TestWholeProgramStatusEveryProfile(t *testing.T) {
	pcsctest.StartPCSCD(t)
	s := startKiosk(t, kit{})
	tests := []struct {
		profile string
		want    []string
	}{
		{"fresh", []string{"利用者証明用電子証明書は、有効期限内です", "あと3回まちがえるとロックされます", "（署名用）: あと5回", "入っています"}},
		{"renewal", []string{"有効期限が近づいています", "更新の手続き"}},
		{"expired", []string{"有効期限が切れています"}},
		{"auth-last-try", []string{"電子証明書は、有効期限内です", "あと1回まちがえるとロックされます"}},
		{"auth-locked", []string{"4けたの暗証番号（利用者証明用）がロックされています"}},
		{"sign-locked", []string{"英数字6〜16けたの暗証番号（署名用）がロックされています"}},
		{"no-sign", []string{"電子証明書は、有効期限内です", "入っていません"}},
		{"juki", []string{"住基カード）です"}},
		{"not-jpki", []string{"マイナンバーカードとして読み取れませんでした"}},
		{"garbage", []string{"カードを読み取れませんでした"}}, // answers one byte from its 3rd APDU on
	}
	for _, tt := range tests {
		t.Run(tt.profile, func(t *testing.T) {
			slot := pcsctest.Insert(t, card(t, tt.profile))
			frame := s.waitFor(tt.want[0], 5*time.Second)
			for _, w := range tt.want[1:] {
				if !says(frame, w) {
					t.Errorf("status screen lacks %q:\n%s", w, frame)
				}
			}
			pcsctest.Remove(t, slot)
			frame = s.waitWaiting(tt.want[0], 5*time.Second)
			// The screen forgot the visit: no status, dates or counters.
			for _, trace := range []string{tt.want[0], "年", "入っています", "回まちがえるとロックされます"} {
				if strings.Contains(frame, trace) {
					t.Errorf("after removal the screen still shows %q:\n%s", trace, frame)
				}
			}
		})
	}
}

func TestWholeProgramChangePINsWithCanary(t *testing.T) {
	const newAuth, newSign = "7391", "QZ7XK9CANARY"
	pcsctest.StartPCSCD(t)
	s := startKiosk(t, kit{})
	vc := card(t, "fresh")
	var apdus vpcd.Log
	slot := pcsctest.Insert(t, vc, vpcd.WithAPDULog(&apdus))
	s.waitFor("電子証明書は、有効期限内です", 5*time.Second)
	s.keys("#")
	s.waitFor("なにをしますか", 5*time.Second)

	// Authentication PIN: a mismatch first (nothing reaches the card), then the change.
	s.keys("2")
	s.waitFor("あと3回まちがえると", 5*time.Second)
	s.waitStep(stepCurrent)
	s.keys("1", "2", "3", "4", "#")
	s.waitStep(stepNew)
	s.keys("7", "3", "9", "1", "#")
	s.waitStep(stepConfirm)
	s.keys("7", "3", "9", "2", "#")
	s.waitUntil("the mismatch notice", 5*time.Second, func(f string) bool {
		return strings.Contains(f, "入力が合いませんでした") && !strings.Contains(f, "確認のため") && !strings.Contains(f, "●")
	})
	if bytes.Contains(apdus.Bytes(), []byte("00240180")) {
		t.Fatal("a CHANGE was sent on a mismatch")
	}
	s.keys("7", "3", "9", "1", "#")
	s.waitStep(stepConfirm)
	s.keys("7", "3", "9", "1", "#")
	frame := s.waitFor("を変更しました", 5*time.Second)
	if !says(frame, "用紙をお取りください") {
		t.Errorf("the printed slip is not mentioned:\n%s", frame)
	}
	if !vc.PINMatches(jpki.EFAuthPIN, []byte(newAuth)) {
		t.Fatal("the card does not hold the new auth PIN")
	}
	s.keys("#")
	s.waitFor("なにをしますか", 5*time.Second)

	// Signing PIN, letters and digits picked on the on-screen alphabet.
	s.keys("3")
	s.waitFor("あと5回まちがえると", 5*time.Second)
	s.waitStep(stepCurrent)
	s.typeSign("ABC123")
	s.keys("#")
	s.waitStep(stepNew)
	s.typeSign(newSign)
	s.keys("#")
	s.waitStep(stepConfirm)
	s.typeSign(newSign)
	s.keys("#")
	s.waitFor("を変更しました", 5*time.Second)
	if !vc.PINMatches(jpki.EFSignPIN, []byte(newSign)) {
		t.Fatal("the card does not hold the new signing PIN")
	}
	pcsctest.Remove(t, slot)
	s.waitWaiting("を変更しました", 5*time.Second)
	s.canaries(newAuth, newSign)
}

// canaries searches every byte the kiosk wrote, and every screen, for the PINs.
func (s *screen) canaries(newAuth, newSign string) {
	t := s.t
	t.Helper()
	var written bytes.Buffer
	filepath.WalkDir(s.dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasSuffix(p, ".sock") {
			b, _ := os.ReadFile(p)
			written.Write(b)
		}
		return nil
	})
	if written.Len() < 10000 {
		t.Fatalf("only %d bytes written: nothing to search", written.Len())
	}
	if bytes.Contains(bytes.ToUpper(written.Bytes()), []byte(strings.ToUpper(newSign))) {
		t.Fatal("the signing PIN canary was found in the kiosk's files")
	}
	// Four digits occur by chance inside a hash or a timestamp's
	// nanoseconds; a PIN that leaked stands on its own: search the log
	// for the canary with no digit or letter either side.
	alone := regexp.MustCompile(`(^|[^0-9A-Za-z])` + regexp.QuoteMeta(newAuth) + `($|[^0-9A-Za-z])`)
	if b, _ := os.ReadFile(filepath.Join(s.dir, "kiosk.log")); newAuth != "" && alone.Match(b) {
		t.Fatal("the auth PIN canary is in kiosk.log")
	}
	slips, _ := filepath.Glob(filepath.Join(s.dir, "slips", "*.txt"))
	if len(slips) == 0 {
		t.Fatal("no slip printed")
	}
	for _, p := range slips {
		b, _ := os.ReadFile(p)
		if newAuth != "" && bytes.Contains(b, []byte(newAuth)) || bytes.Contains(b, []byte("1234")) {
			t.Fatalf("a PIN on slip %s", p)
		}
	}
	for _, f := range s.frames {
		if newAuth != "" && strings.Contains(f, newAuth) || strings.Contains(strings.ToUpper(f), newSign) {
			t.Fatalf("a PIN appeared on the screen:\n%s", f)
		}
	}
}

// TestWholeProgramLastTryLockAndSignCheck: through the real stack, the
// last-try warning, a lock with its slip and the status refreshed, and the
// signing-certificate check with a wrong and then the right PIN.
func TestWholeProgramLastTryLockAndSignCheck(t *testing.T) {
	pcsctest.StartPCSCD(t)
	s := startKiosk(t, kit{})
	vc := card(t, "auth-last-try")
	slot := pcsctest.Insert(t, vc)
	s.waitFor("あと1回まちがえると", 5*time.Second)
	s.keys("#") // the last try's own page: where to go, and its slip
	s.waitFor("入力しないでください", 5*time.Second)
	s.keys("#")
	s.waitFor("なにをしますか", 5*time.Second)

	// Signing certificate: a wrong PIN costs one try and says so; the right one shows the validity.
	s.keys("4")
	s.waitStep(stepCurrent)
	s.typeSign("ZZZ999")
	s.keys("#")
	s.waitFor("がちがいます", 5*time.Second)
	s.waitFor("あと4回まちがえるとロックされます", 5*time.Second)
	if vc.Tries(jpki.EFSignPIN) != 4 {
		t.Fatalf("sign tries %d, want 4", vc.Tries(jpki.EFSignPIN))
	}
	s.keys("#")
	s.waitFor("なにをしますか", 5*time.Second)
	s.keys("4")
	s.waitFor("あと4回まちがえると", 5*time.Second)
	s.waitStep(stepCurrent)
	s.typeSign("ABC123")
	s.keys("#")
	frame := s.waitFor("署名用電子証明書は、有効期限内です", 5*time.Second)
	if !says(frame, "署名用電子証明書の有効期限") {
		t.Fatalf("no validity on the signing result:\n%s", frame)
	}
	for _, personal := range []string{virtualcard.FakeName, virtualcard.FakeAddress, "1980"} {
		if strings.Contains(frame, personal) {
			t.Fatalf("personal data %q on screen", personal)
		}
	}
	s.keys("#")
	s.waitFor("なにをしますか", 5*time.Second)

	// One auth try left: a separate warning before entry; then a wrong PIN locks it.
	s.keys("2")
	s.waitFor("初期化してもらうまで使えません", 5*time.Second)
	if vc.Tries(jpki.EFAuthPIN) != 1 {
		t.Fatal("the warning spent a try")
	}
	s.keys("#") // 入力する
	s.waitStep(stepCurrent)
	s.keys("9", "9", "9", "9", "#")
	s.waitStep(stepNew)
	s.keys("1", "1", "1", "1", "#")
	s.waitStep(stepConfirm)
	s.keys("1", "1", "1", "1", "#")
	frame = s.waitFor("がロックされています", 5*time.Second)
	if !says(frame, "の窓口でしかできません") {
		t.Fatalf("no office guidance with the lock:\n%s", frame)
	}
	if vc.Tries(jpki.EFAuthPIN) != 0 {
		t.Fatal("the card is not locked")
	}
	s.waitFor("用紙をお取りください", 5*time.Second)
	// The status after the lock leads with it.
	s.keys("#")
	s.waitFor("なにをしますか", 5*time.Second)
	s.keys("1")
	frame = s.waitFor("4けたの暗証番号（利用者証明用）がロックされています", 5*time.Second)
	if says(frame, "変更や署名用電子証明書の確認") {
		t.Fatalf("the status after a lock still invites a change:\n%s", frame)
	}
	slips, _ := filepath.Glob(filepath.Join(s.dir, "slips", "*.txt"))
	found := false
	for _, p := range slips {
		b, _ := os.ReadFile(p)
		found = found || bytes.Contains(b, []byte("ロックされています"))
	}
	if !found {
		t.Fatalf("no slip about the lock among %d slips", len(slips))
	}
	pcsctest.Remove(t, slot)
	s.waitWaiting("ロックされています", 5*time.Second)
}

// TestWholeProgramSimMouseTapsOnce: in the simulator the terminal's mouse
// is the touchscreen: a click (xterm SGR press and release, as a terminal
// sends it) on English [0] acts once, and a second click switches back.
// (On the kiosk the terminal's clicks are not taps: image-test shows that
// through qemu's tablet.)
func TestWholeProgramSimMouseTapsOnce(t *testing.T) {
	pcsctest.StartPCSCD(t)
	s := startKiosk(t, kit{})
	pcsctest.Insert(t, card(t, "fresh"))
	frame := s.waitFor("電子証明書は、有効期限内です", 5*time.Second)
	row, col := -1, -1
	for y, line := range strings.Split(frame, "\n") {
		if i := strings.Index(line, "English [0]"); i >= 0 {
			row, col = y+1, runewidth.StringWidth(line[:i])+4 // 1-based cells, inside the button
			break
		}
	}
	if row < 0 {
		t.Fatalf("no English button:\n%s", frame)
	}
	click := func() {
		s.tmux("send-keys", "-l", fmt.Sprintf("\x1b[<0;%d;%dM", col, row))
		s.tmux("send-keys", "-l", fmt.Sprintf("\x1b[<0;%d;%dm", col, row))
	}
	click()
	s.waitFor("Your user-authentication certificate is within its dates", 5*time.Second)
	click()
	s.waitFor("利用者証明用電子証明書は、有効期限内です", 5*time.Second)
}

// TestWholeProgramKeypadOnly: a kiosk with a matrix keypad and no
// touchscreen, 4×3 and 4×4. With keypad keys only, a resident changes the
// signing PIN (letters included), checks the signing certificate with the
// new PIN, switches to English and back, and finishes.
func TestWholeProgramKeypadOnly(t *testing.T) {
	pcsctest.StartPCSCD(t)
	tests := []struct {
		name            string
		layout          []string
		english, cancel string
		newSign         string
	}{
		{"4x3", []string{"123", "456", "789", "*0#"}, "0", "*", "KEYPAD7ONLY"},
		{"4x4", []string{"123A", "456B", "789C", "*0#D"}, "D", "A", "MATRIX44Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startKiosk(t, kit{layout: tt.layout, noTouch: true})
			frame := s.capture()
			if strings.Contains(frame, "さわ") || strings.Contains(frame, "タッチ") {
				t.Fatalf("a kiosk without touch asks for a touch:\n%s", frame)
			}
			vc := card(t, "fresh")
			slot := pcsctest.Insert(t, vc)
			s.waitFor("電子証明書は、有効期限内です", 5*time.Second)
			s.keys("#")
			frame = s.waitFor("なにをしますか", 5*time.Second)
			if !strings.Contains(frame, "English ["+tt.english+"]") {
				t.Fatalf("the English key is not shown:\n%s", frame)
			}
			s.keys(tt.english)
			s.waitFor("What would you like to do?", 5*time.Second)
			s.keys(tt.english)
			s.waitFor("なにをしますか", 5*time.Second)

			// The signing PIN: current, new, again, all from the alphabet.
			s.keys("3")
			s.waitStep(stepCurrent)
			s.typeSign("ABC123")
			s.keys("#")
			s.waitStep(stepNew)
			s.typeSign(tt.newSign + "Q<") // a slip of the highlight, taken back
			s.keys("#")
			s.waitStep(stepConfirm)
			s.typeSign(tt.newSign)
			s.keys("#")
			s.waitFor("を変更しました", 5*time.Second)
			if !vc.PINMatches(jpki.EFSignPIN, []byte(tt.newSign)) {
				t.Fatal("the card does not hold the new signing PIN")
			}
			s.keys("#")
			s.waitFor("なにをしますか", 5*time.Second)

			// The signing certificate, read with the new PIN.
			s.keys("4")
			s.waitStep(stepCurrent)
			s.typeSign(tt.newSign)
			s.keys("#")
			s.waitFor("署名用電子証明書は、有効期限内です", 5*time.Second)

			// Finish from the result with the Cancel key: take the card.
			s.keys(tt.cancel)
			frame = s.waitFor("カードをお取りください", 5*time.Second)
			if !says(frame, "用紙も忘れずに") {
				t.Errorf("the slip of the change is not mentioned:\n%s", frame)
			}
			pcsctest.Remove(t, slot)
			s.waitWaiting("カードをお取りください", 5*time.Second)
			s.canaries("", tt.newSign)
		})
	}
}
