package main

import (
	"bufio"
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeQMP answers like qemu's monitor: a greeting, then {"return":{}} to
// every command (with an event thrown in first, as qemu does), and keeps
// what it was sent.
func fakeQMP(t *testing.T) (path string, sent <-chan string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "qmp.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	ch := make(chan string, 16)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.Write([]byte(`{"QMP": {"version": {}, "capabilities": []}}` + "\n"))
		sc := bufio.NewScanner(c)
		for sc.Scan() {
			ch <- sc.Text()
			c.Write([]byte(`{"event": "RESUME", "timestamp": {}}` + "\n" + `{"return": {}}` + "\n"))
		}
	}()
	return path, ch
}

func TestTapPressesThenReleasesAtTheSpot(t *testing.T) {
	path, sent := fakeQMP(t)
	q, err := dialQMP(path)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if err := q.tap(0.5, 0.25, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	var got []string
	for len(got) < 3 {
		select {
		case s := <-sent:
			got = append(got, s)
		case <-time.After(5 * time.Second):
			t.Fatalf("commands so far: %v", got)
		}
	}
	var press, release struct {
		Execute   string
		Arguments struct {
			Events []struct {
				Type string
				Data map[string]any
			}
		}
	}
	if !strings.Contains(got[0], "qmp_capabilities") {
		t.Errorf("first command %s, want qmp_capabilities", got[0])
	}
	if err := json.Unmarshal([]byte(got[1]), &press); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(got[2]), &release); err != nil {
		t.Fatal(err)
	}
	pe := press.Arguments.Events
	if press.Execute != "input-send-event" || len(pe) != 3 ||
		pe[0].Data["axis"] != "x" || pe[0].Data["value"] != float64(16383) ||
		pe[1].Data["axis"] != "y" || pe[1].Data["value"] != float64(8191) ||
		pe[2].Type != "btn" || pe[2].Data["down"] != true || pe[2].Data["button"] != "left" {
		t.Errorf("press: %s", got[1])
	}
	re := release.Arguments.Events
	if release.Execute != "input-send-event" || len(re) != 1 || re[0].Type != "btn" || re[0].Data["down"] != false {
		t.Errorf("release: %s", got[2])
	}
}

func TestTapRefusesOffTheScreen(t *testing.T) {
	q := &qmp{} // never reached: the check comes first
	for _, p := range [][2]float64{{-0.1, 0.5}, {0.5, 1.01}} {
		if err := q.tap(p[0], p[1], 0); err == nil {
			t.Errorf("tap(%v) accepted", p)
		}
	}
}
