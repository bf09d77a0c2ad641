package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
)

// fleet: the installed list is kept, replaced, removed and checked; an
// alert is queued once by its key (also when many queue it at once), is
// due until sent, waits out its backoff, and all of it survives a reopen.
func fleet(t *testing.T, s store.Store, again func() store.Store) {
	ctx := context.Background()
	k1 := store.Installed{KioskID: "K01", Place: "本庁舎1階ロビー", Since: T0, By: "staff-a"}
	k3 := store.Installed{KioskID: "K03", Place: "北分館", Note: "2026-11 設置", Since: T0, By: "collector pki"}
	for _, k := range []store.Installed{k3, k1} {
		if err := s.Install(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	k1.Place = "本庁舎2階"
	if err := s.Install(ctx, k1); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []store.Installed{{KioskID: ""}, {KioskID: "k01"}, {KioskID: "K01/x"}, {KioskID: "K01", Place: "a\nb"}} {
		if err := s.Install(ctx, bad); err == nil {
			t.Errorf("installed %+v", bad)
		}
	}
	if err := s.Uninstall(ctx, "K09"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("uninstall of an unknown kiosk: %v, want ErrNotFound", err)
	}

	due := T0.Add(time.Hour)
	a := store.Alert{Key: "silent/K03/1", Kind: store.AlertSilent, KioskID: "K03", Subject: "端末 K03 から連絡がありません", Body: "…", Queued: T0, NextTry: T0}
	b := store.Alert{Key: "paper_out/K01/2", Kind: store.AlertPaperOut, KioskID: "K01", Subject: "用紙切れ", Queued: T0.Add(time.Minute), NextTry: T0.Add(time.Minute)}
	var wg sync.WaitGroup
	added := make(chan bool, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.QueueAlert(ctx, a)
			if err != nil {
				t.Error(err)
			}
			added <- ok
		}()
	}
	wg.Wait()
	close(added)
	n := 0
	for ok := range added {
		if ok {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("the same alert queued %d times at once, want once", n)
	}
	if ok, err := s.QueueAlert(ctx, b); err != nil || !ok {
		t.Fatal(ok, err)
	}
	if err := s.AlertDone(ctx, a.Key, store.AlertTry{Error: "connection refused", Next: T0.Add(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := s.AlertDone(ctx, "nope", store.AlertTry{Sent: due}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an unknown alert's outcome: %v, want ErrNotFound", err)
	}

	s = again()
	ins, err := s.Installed(ctx)
	if err != nil || fmt.Sprint(ins) != fmt.Sprint([]store.Installed{k1, k3}) {
		t.Fatalf("installed after a reopen: %+v %v, want K01 (replaced) and K03", ins, err)
	}
	if err := s.Uninstall(ctx, "K03"); err != nil {
		t.Fatal(err)
	}
	if ins, _ := s.Installed(ctx); len(ins) != 1 || ins[0].KioskID != "K01" {
		t.Fatalf("installed after removing K03: %+v", ins)
	}
	// a waits out its backoff; b is due.
	if ds, err := s.DueAlerts(ctx, due, 0); err != nil || len(ds) != 1 || ds[0].Key != b.Key {
		t.Fatalf("due alerts during a's backoff: %+v %v, want b only", ds, err)
	}
	ds, err := s.DueAlerts(ctx, T0.Add(3*time.Hour), 0)
	if err != nil || len(ds) != 2 || ds[0].Key != a.Key || ds[0].Tries != 1 || ds[0].LastError != "connection refused" {
		t.Fatalf("due alerts after the backoff: %+v %v, want a (one try, its error) then b", ds, err)
	}
	if ds, _ := s.DueAlerts(ctx, T0.Add(3*time.Hour), 1); len(ds) != 1 {
		t.Fatalf("due alerts, limit 1: %d", len(ds))
	}
	if err := s.AlertDone(ctx, a.Key, store.AlertTry{Sent: due}); err != nil {
		t.Fatal(err)
	}
	// A late failure after the send changes nothing.
	if err := s.AlertDone(ctx, a.Key, store.AlertTry{Error: "late", Next: due}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.QueueAlert(ctx, a); ok {
		t.Error("a sent alert was queued again")
	}
	if ds, _ := s.DueAlerts(ctx, T0.Add(3*time.Hour), 0); len(ds) != 1 || ds[0].Key != b.Key {
		t.Fatalf("due after a was sent: %+v", ds)
	}
	s = again()
	all, err := s.Alerts(ctx, 0)
	if err != nil || len(all) != 2 || all[0].Key != b.Key || all[1].Key != a.Key || !all[1].Sent.Equal(due) || all[1].LastError != "" || all[1].Tries != 2 {
		t.Fatalf("alerts, newest first, after a reopen: %+v %v", all, err)
	}
}
