package migrate

import (
	"bytes"
	"context"
	"testing"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
	"github.com/villagehall/kiosk/cmd/collector/internal/store/pgstore"
	"github.com/villagehall/kiosk/cmd/collector/internal/store/storetest"
	"github.com/villagehall/kiosk/kiosk"
	ksync "github.com/villagehall/kiosk/kiosk/sync"
)

// TestMigrateHeartbeatBefore: the last heartbeat of the journal a kiosk
// left (what it left unsent there) is in PostgreSQL after the migration,
// so a journal's end is still told to staff as the bbolt store would.
func TestMigrateHeartbeatBefore(t *testing.T) {
	ctx := context.Background()
	src, j1 := source(t)
	j9 := kiosk.NewJournalID()
	for _, hb := range []ksync.Heartbeat{
		{KioskID: "K01", JournalID: j1, Version: "v1", Sync: ksync.SyncHealth{HeadSeq: 12003, Unsent: 3}},
		{KioskID: "K01", JournalID: j9, Version: "v1"}, // the kiosk moved to a new journal
	} {
		if err := src.SaveHeartbeat(ctx, store.Heartbeat{HB: hb, ReceivedAt: storetest.T0}); err != nil {
			t.Fatal(err)
		}
	}
	want, err := src.HeartbeatBefore(ctx, "K01")
	if err != nil || want == nil || want.HB.JournalID != j1 {
		t.Fatalf("bbolt's heartbeat before: %+v %v", want, err)
	}
	dst, err := pgstore.Open(ctx, pg.NewSchema(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	var log bytes.Buffer
	if _, err := Run(ctx, src, dst, &log); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	got, err := dst.HeartbeatBefore(ctx, "K01")
	if err != nil || got == nil || got.HB.JournalID != j1 || got.HB.Sync.Unsent != 3 || got.HB.Sync.HeadSeq != 12003 {
		t.Errorf("PostgreSQL's heartbeat before after the migration: %+v %v", got, err)
	}
	if none, err := dst.HeartbeatBefore(ctx, "K02"); err != nil || none != nil {
		t.Errorf("K02 never changed journals: %+v %v", none, err)
	}
}
