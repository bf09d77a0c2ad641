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
	"strings"
	"testing"
	"time"

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

func startKiosk(t *testing.T) *screen {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux missing (apt-get install tmux): make test installs it")
	}
	dir := t.TempDir()
	writeConfig(t, dir)
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
// device simulated, the journal and slips in dir.
func writeConfig(t testing.TB, dir string) {
	t.Helper()
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
[devices.printer]
mode = "sim"
path = %q
width_mm = 58
kanji = true
[devices.touch]
mode = "sim"
`, filepath.Join(dir, "journal.db"), filepath.Join(dir, "slips"))
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
	return s.waitUntil(fmt.Sprintf("%q", want), within, func(f string) bool { return strings.Contains(f, want) })
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
			return strings.Contains(f, "いまの")
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
	s := startKiosk(t)
	tests := []struct {
		profile string
		want    []string
	}{
		{"fresh", []string{"有効です", "あと 3 回", "署名用: あと 5 回", "入っています"}},
		{"renewal", []string{"更新できます", "更新の受付"}},
		{"expired", []string{"期限切れです"}},
		{"auth-last-try", []string{"有効です", "あと 1 回"}},
		{"auth-locked", []string{"ロック中です（4けたの暗証番号）"}},
		{"sign-locked", []string{"ロック中です（署名用の暗証番号）"}},
		{"no-sign", []string{"有効です", "入っていません"}},
		{"juki", []string{"住基カードです"}},
		{"not-jpki", []string{"マイナンバーカードではないようです"}},
		{"garbage", []string{"カードを読み取れませんでした"}}, // answers one byte from its 3rd APDU on
	}
	for _, tt := range tests {
		t.Run(tt.profile, func(t *testing.T) {
			slot := pcsctest.Insert(t, card(t, tt.profile))
			frame := s.waitFor(tt.want[0], 5*time.Second)
			for _, w := range tt.want[1:] {
				if !strings.Contains(frame, w) {
					t.Errorf("status screen lacks %q:\n%s", w, frame)
				}
			}
			pcsctest.Remove(t, slot)
			frame = s.waitWaiting(tt.want[0], 5*time.Second)
			// The screen forgot the visit: no status, dates or counters.
			for _, trace := range []string{tt.want[0], "あと", "年", "入っています"} {
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
	s := startKiosk(t)
	vc := card(t, "fresh")
	var apdus bytes.Buffer
	slot := pcsctest.Insert(t, vc, vpcd.WithAPDULog(vpcd.SyncWriter(&apdus)))
	s.waitFor("有効です", 5*time.Second)
	s.keys("Enter")
	s.waitFor("なにをしますか", 5*time.Second)

	// Authentication PIN: a mismatch first (nothing reaches the card), then the change.
	s.keys("2")
	s.waitFor("あと 3 回", 5*time.Second)
	s.keys("1", "2", "3", "4", "Enter")
	s.waitStep(stepNew)
	s.keys("7", "3", "9", "1", "Enter")
	s.waitStep(stepConfirm)
	s.keys("7", "3", "9", "2", "Enter")
	s.waitUntil("the mismatch notice", 5*time.Second, func(f string) bool {
		return strings.Contains(f, "ちがっていました") && !strings.Contains(f, "確認のため") && !strings.Contains(f, "●")
	})
	if bytes.Contains(apdus.Bytes(), []byte("00240180")) {
		t.Fatal("a CHANGE was sent on a mismatch")
	}
	s.keys("7", "3", "9", "1", "Enter")
	s.waitStep(stepConfirm)
	s.keys("7", "3", "9", "1", "Enter")
	s.waitFor("暗証番号を変えました", 5*time.Second)
	if !vc.PINMatches(jpki.EFAuthPIN, []byte(newAuth)) {
		t.Fatal("the card does not hold the new auth PIN")
	}
	s.keys("Enter")
	s.waitFor("なにをしますか", 5*time.Second)

	// Signing PIN, typed in lowercase on the keyboard: sent upper-case.
	s.keys("3")
	s.waitFor("あと 5 回", 5*time.Second)
	s.keys("a", "b", "c", "1", "2", "3", "Enter")
	s.waitStep(stepNew)
	s.keys(strings.Split(strings.ToLower(newSign), "")...)
	s.keys("Enter")
	s.waitStep(stepConfirm)
	s.keys(strings.Split(newSign, "")...)
	s.keys("Enter")
	s.waitFor("暗証番号を変えました", 5*time.Second)
	if !vc.PINMatches(jpki.EFSignPIN, []byte(newSign)) {
		t.Fatal("the card does not hold the new signing PIN in upper case")
	}
	pcsctest.Remove(t, slot)
	s.waitWaiting("暗証番号を変えました", 5*time.Second)

	// The canary search: every byte the kiosk wrote, and every screen.
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
	if bytes.Contains(written.Bytes(), []byte(newSign)) || bytes.Contains(bytes.ToUpper(written.Bytes()), []byte(strings.ToUpper(newSign))) {
		t.Fatal("the signing PIN canary was found in the kiosk's files")
	}
	// The 4-digit PIN could occur by chance in a hash; search the text the kiosk wrote.
	for _, name := range []string{"kiosk.log"} {
		b, _ := os.ReadFile(filepath.Join(s.dir, name))
		if bytes.Contains(b, []byte(newAuth)) {
			t.Fatalf("the auth PIN canary is in %s", name)
		}
	}
	slips, _ := filepath.Glob(filepath.Join(s.dir, "slips", "*.txt"))
	if len(slips) == 0 {
		t.Fatal("no slip printed for the PIN changes")
	}
	for _, p := range slips {
		b, _ := os.ReadFile(p)
		if bytes.Contains(b, []byte(newAuth)) || bytes.Contains(b, []byte("1234")) {
			t.Fatalf("a PIN on slip %s", p)
		}
	}
	for _, f := range s.frames {
		if strings.Contains(f, newAuth) || strings.Contains(strings.ToUpper(f), newSign) {
			t.Fatalf("a PIN appeared on the screen:\n%s", f)
		}
	}
}

// TestWholeProgramLastTryLockAndSignCheck: through the real stack, the
// last-try warning, a lock with its slip, and the signing-certificate
// check with a wrong and then the right PIN.
func TestWholeProgramLastTryLockAndSignCheck(t *testing.T) {
	pcsctest.StartPCSCD(t)
	s := startKiosk(t)
	vc := card(t, "auth-last-try")
	slot := pcsctest.Insert(t, vc)
	s.waitFor("あと 1 回", 5*time.Second)
	s.keys("Enter")
	s.waitFor("なにをしますか", 5*time.Second)

	// Signing certificate: a wrong PIN costs one try and says so; the right one shows the validity.
	s.keys("4")
	s.waitFor("あと 5 回", 5*time.Second)
	s.keys("Z", "Z", "Z", "9", "9", "9", "Enter")
	s.waitFor("暗証番号がちがいました", 5*time.Second)
	if vc.Tries(jpki.EFSignPIN) != 4 {
		t.Fatalf("sign tries %d, want 4", vc.Tries(jpki.EFSignPIN))
	}
	s.keys("Enter")
	s.waitFor("なにをしますか", 5*time.Second)
	s.keys("4")
	s.waitFor("あと 4 回", 5*time.Second)
	s.keys("A", "B", "C", "1", "2", "3", "Enter")
	frame := s.waitFor("署名用電子証明書: 有効です", 5*time.Second)
	if !strings.Contains(frame, "有効期限（署名用）") {
		t.Fatalf("no validity on the signing result:\n%s", frame)
	}
	for _, personal := range []string{virtualcard.FakeName, virtualcard.FakeAddress, "1980"} {
		if strings.Contains(frame, personal) {
			t.Fatalf("personal data %q on screen", personal)
		}
	}
	s.keys("Enter")
	s.waitFor("なにをしますか", 5*time.Second)

	// One auth try left: a separate warning before entry; then a wrong PIN locks it.
	s.keys("2")
	s.waitFor("のこり 1 回です", 5*time.Second)
	if vc.Tries(jpki.EFAuthPIN) != 1 {
		t.Fatal("the warning spent a try")
	}
	s.keys("Enter") // 入力する
	s.waitStep(stepCurrent)
	s.keys("9", "9", "9", "9", "Enter")
	s.waitStep(stepNew)
	s.keys("1", "1", "1", "1", "Enter")
	s.waitStep(stepConfirm)
	s.keys("1", "1", "1", "1", "Enter")
	frame = s.waitFor("暗証番号がロックされました", 5*time.Second)
	if !strings.Contains(frame, "窓口") {
		t.Fatalf("no office guidance with the lock:\n%s", frame)
	}
	if vc.Tries(jpki.EFAuthPIN) != 0 {
		t.Fatal("the card is not locked")
	}
	slips, _ := filepath.Glob(filepath.Join(s.dir, "slips", "*.txt"))
	found := false
	for _, p := range slips {
		b, _ := os.ReadFile(p)
		found = found || bytes.Contains(b, []byte("ロック"))
	}
	if !found {
		t.Fatalf("no slip about the lock among %d slips", len(slips))
	}
	pcsctest.Remove(t, slot)
	s.waitWaiting("ロック", 5*time.Second)
}
