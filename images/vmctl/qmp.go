package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"time"
)

// qmp is a connection to qemu's machine protocol (-qmp unix:PATH,server=on,wait=off).
type qmp struct {
	conn   net.Conn
	rd     *bufio.Reader
	nudges int
}

func dialQMP(path string) (*qmp, error) {
	c, err := net.DialTimeout("unix", path, 5*time.Second)
	if err != nil {
		return nil, fmt.Errorf("qmp: %w", err)
	}
	q := &qmp{conn: c, rd: bufio.NewReader(c)}
	if _, err := q.read(); err != nil { // the greeting
		c.Close()
		return nil, err
	}
	if _, err := q.do("qmp_capabilities", nil); err != nil {
		c.Close()
		return nil, err
	}
	return q, nil
}

func (q *qmp) Close() error { return q.conn.Close() }

func (q *qmp) read() (map[string]json.RawMessage, error) {
	_ = q.conn.SetReadDeadline(time.Now().Add(60 * time.Second))
	line, err := q.rd.ReadBytes('\n')
	if err != nil {
		return nil, fmt.Errorf("qmp: read: %w", err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(line, &m); err != nil {
		return nil, fmt.Errorf("qmp: %q: %w", line, err)
	}
	return m, nil
}

// do runs one command and returns its "return" value; events that come
// meanwhile are skipped.
func (q *qmp) do(cmd string, args any) (json.RawMessage, error) {
	req := map[string]any{"execute": cmd}
	if args != nil {
		req["arguments"] = args
	}
	b, _ := json.Marshal(req)
	if _, err := q.conn.Write(append(b, '\n')); err != nil {
		return nil, fmt.Errorf("qmp: %s: %w", cmd, err)
	}
	for {
		m, err := q.read()
		if err != nil {
			return nil, err
		}
		if _, ok := m["event"]; ok {
			continue
		}
		if e, ok := m["error"]; ok {
			return nil, fmt.Errorf("qmp: %s: %s", cmd, e)
		}
		if r, ok := m["return"]; ok {
			return r, nil
		}
		return nil, errors.New("qmp: answer with neither return nor error")
	}
}

// screendump writes the screen to file, as PPM (cheap: polling must not
// take the CPU the guest boots on; PNG compression in qemu's main loop
// does) or PNG.
func (q *qmp) screendump(file, format string) error {
	_, err := q.do("screendump", map[string]any{"filename": file, "format": format})
	return err
}

// nudge moves qemu's tablet pointer by one step in the screen's far corner.
// Under qemu (virtio-gpu, wlroots 0.15, software cursor) cage presents a new
// frame only when the pointer moves: without a nudge the screen stays on
// whatever frame came last, though the kiosk has drawn a new one. The
// cursor theme of the image is invisible, so the nudge leaves no trace.
func (q *qmp) nudge(n int) error {
	v := 32767 - n%2
	_, err := q.do("input-send-event", map[string]any{"events": []map[string]any{
		{"type": "abs", "data": map[string]any{"axis": "x", "value": v}},
		{"type": "abs", "data": map[string]any{"axis": "y", "value": v}},
	}})
	return err
}

// tap presses and releases the tablet's left button at (fx, fy), fractions
// of the screen's width and height: one touch on a kiosk whose touchscreen
// is qemu's virtio-tablet (an absolute pointer that reports BTN_LEFT, as
// USB touch panels that pose as a mouse do). Each command ends with its
// own SYN_REPORT, so the guest sees a move with the press, then a release.
func (q *qmp) tap(fx, fy float64, hold time.Duration) error {
	if fx < 0 || fx > 1 || fy < 0 || fy > 1 {
		return fmt.Errorf("tap: %.3f,%.3f is off the screen (fractions 0..1)", fx, fy)
	}
	btn := func(down bool) map[string]any {
		return map[string]any{"type": "btn", "data": map[string]any{"button": "left", "down": down}}
	}
	if _, err := q.do("input-send-event", map[string]any{"events": []map[string]any{
		{"type": "abs", "data": map[string]any{"axis": "x", "value": int(fx * 32767)}},
		{"type": "abs", "data": map[string]any{"axis": "y", "value": int(fy * 32767)}},
		btn(true),
	}}); err != nil {
		return err
	}
	time.Sleep(hold)
	_, err := q.do("input-send-event", map[string]any{"events": []map[string]any{btn(false)}})
	return err
}
