package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/villagehall/kiosk/kiosk"
	"github.com/villagehall/kiosk/kiosk/journal"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// TestWholeProgramF7FollowUp: the kiosk binary with its simulated card F7
// (a card in date without a signing certificate) prints a slip sending
// the resident to the counter; the record syncs to the collector binary
// carrying that condition, and the staff console shows the follow-up in
// the words printed on the slip.
func TestWholeProgramF7FollowUp(t *testing.T) {
	dir := t.TempDir()
	th := startTownHall(t, dir, []string{"T01"}, "--metrics-listen", "off")
	base, pem, townHall := th.base, th.pem, th.staff

	kdir := filepath.Join(dir, "kiosk")
	slips := filepath.Join(kdir, "slips")
	db := filepath.Join(kdir, "journal.db")
	cfg := filepath.Join(kdir, "kiosk.toml")
	os.MkdirAll(kdir, 0o755)
	devices := "[devices.reader]\nmode = \"sim\"\n[devices.keypad]\nmode = \"sim\"\n[devices.touch]\nmode = \"sim\"\n" +
		fmt.Sprintf("[devices.printer]\nmode = \"sim\"\npath = %q\nwidth_mm = 58\nkanji = true\n", slips)
	os.WriteFile(cfg, []byte(fmt.Sprintf("kiosk_id = \"T01\"\n[municipality]\nname = \"〇〇村\"\noffice = \"住民福祉課\"\nphone = \"0000-00-0000\"\nhours = \"平日 8:30〜17:15\"\n[journal]\npath = %q\n"+
		"[sync]\ncollector_url = %q\nca = %q\ncert = %q\nkey = %q\ninterval = \"10s\"\n", db, base, pem("ca"), pem("client-T01"), pem("client-T01-key"))+devices), 0o644)
	k := &kioskProc{t: t, sock: filepath.Join(dir, "tmux.sock"), pidFile: filepath.Join(dir, "kiosk.pid"), cfg: cfg, dir: kdir}
	defer func() {
		k.stop()
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(kdir, "kiosk.log"))
			c, _ := os.ReadFile(th.coll.log.Name())
			t.Logf("kiosk log:\n%s\ncollector log:\n%s", b, c)
		}
	}()
	k.start()
	status := func() journal.Status {
		t.Helper()
		r, err := journal.Dial(db)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		st, err := r.Status()
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	jid := status().JournalID
	k.keys("F7")
	waitFor(t, "the F7 visit's record", 10*time.Second, func() bool { return status().HeadSeq >= 2 })
	k.keys("F12")
	waitFor(t, "the record at the collector", 40*time.Second, func() bool { return townHall.journalRecords("T01", jid) == 2 })

	// What the slip says (printed once the record is durable), and what
	// the collector holds.
	var files []string
	waitFor(t, "the F7 slip", 10*time.Second, func() bool {
		files, _ = filepath.Glob(filepath.Join(slips, "*.txt"))
		return len(files) > 0
	})
	time.Sleep(200 * time.Millisecond) // a second slip would be a fault
	if files, _ = filepath.Glob(filepath.Join(slips, "*.txt")); len(files) != 1 {
		t.Fatalf("%d slips printed, want 1", len(files))
	}
	slip, _ := os.ReadFile(files[0])
	flat := strings.Join(strings.Fields(string(slip)), "")
	headline := "このカードには署名用電子証明書が入っていません"
	if !strings.Contains(flat, headline) {
		t.Fatalf("the F7 slip does not say %q:\n%s", headline, slip)
	}
	ref := string(refRe.Find(slip))
	resp, err := townHall.c.Get(base + ksync.PathLookup + "?ref=" + url.QueryEscape(ref))
	if err != nil {
		t.Fatal(err)
	}
	var found []struct {
		Record kiosk.Record `json:"record"`
	}
	json.NewDecoder(resp.Body).Decode(&found)
	resp.Body.Close()
	if len(found) != 1 || found[0].Record.Status != string(kiosk.CodeValid) || fmt.Sprint(found[0].Record.Office) != "[no_sign_cert]" {
		t.Fatalf("the collector holds %+v for %s, want status valid with the office condition no_sign_cert", found, ref)
	}
	resp, err = townHall.c.Get(base + "/console/find?ref=" + url.QueryEscape(ref))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode == http.StatusSeeOther && strings.HasPrefix(loc, "/console/record/") {
		if resp, err = townHall.c.Get(base + loc); err != nil { // the record the reference names
			t.Fatal(err)
		}
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), `id="followup"`) || !strings.Contains(string(page), headline) {
		t.Errorf("the console's record for %s (%s) lacks the follow-up in the slip's words", ref, resp.Status)
	}
}
