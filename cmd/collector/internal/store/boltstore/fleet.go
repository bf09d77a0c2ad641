package boltstore

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/villagehall/kiosk/cmd/collector/internal/store"
)

// The fleet (store.Fleet):
//
//	installed/<kiosk>                  store.Installed
//	alerts/<key>                       store.Alert
//	alertorder/<queued><key>           <key>: every alert by when it was queued
//	alertpending/<queued><key>         <key>: the unsent ones, removed once sent
var (
	bInstalled    = []byte("installed")
	bAlerts       = []byte("alerts")
	bAlertOrder   = []byte("alertorder")
	bAlertPending = []byte("alertpending")
)

func orderKey(a store.Alert) []byte {
	return append(binary.BigEndian.AppendUint64(nil, uint64(a.Queued.UnixNano())), a.Key...)
}

// Install implements store.Fleet.
func (s *Store) Install(ctx context.Context, k store.Installed) error {
	if err := k.Check(); err != nil {
		return fmt.Errorf("install: %w", err)
	}
	return s.update(ctx, "install", func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bInstalled)
		if err != nil {
			return err
		}
		return putJSON(b, []byte(k.KioskID), k)
	})
}

// Uninstall implements store.Fleet.
func (s *Store) Uninstall(ctx context.Context, kioskID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bInstalled)
		if b == nil || b.Get([]byte(kioskID)) == nil {
			return fmt.Errorf("uninstall %s: %w", kioskID, store.ErrNotFound)
		}
		return b.Delete([]byte(kioskID))
	})
}

// Installed implements store.Fleet.
func (s *Store) Installed(ctx context.Context) ([]store.Installed, error) {
	var out []store.Installed
	err := s.view(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bInstalled)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, _ []byte) error {
			var in store.Installed
			_, err := getJSON(b, k, &in)
			out = append(out, in)
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("installed kiosks: %w", err)
	}
	return out, nil
}

// QueueAlert implements store.Fleet.
func (s *Store) QueueAlert(ctx context.Context, a store.Alert) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	var added bool
	err := s.db.Update(func(tx *bolt.Tx) error {
		added = false
		b, err := tx.CreateBucketIfNotExists(bAlerts)
		if err != nil {
			return err
		}
		if b.Get([]byte(a.Key)) != nil {
			return nil
		}
		for _, n := range [][]byte{bAlertOrder, bAlertPending} {
			ib, err := tx.CreateBucketIfNotExists(n)
			if err != nil {
				return err
			}
			if err := ib.Put(orderKey(a), []byte(a.Key)); err != nil {
				return err
			}
		}
		added = true
		return putJSON(b, []byte(a.Key), a)
	})
	if err != nil {
		return false, fmt.Errorf("queue alert: %w", err)
	}
	return added, nil
}

// DueAlerts implements store.Fleet.
func (s *Store) DueAlerts(ctx context.Context, now time.Time, limit int) ([]store.Alert, error) {
	var out []store.Alert
	err := s.view(ctx, func(tx *bolt.Tx) error {
		pb, ab := tx.Bucket(bAlertPending), tx.Bucket(bAlerts)
		if pb == nil {
			return nil
		}
		c := pb.Cursor()
		for k, key := c.First(); k != nil && (limit <= 0 || len(out) < limit); k, key = c.Next() {
			var a store.Alert
			if _, err := getJSON(ab, key, &a); err != nil {
				return err
			}
			if !a.NextTry.After(now) {
				out = append(out, a)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("due alerts: %w", err)
	}
	return out, nil
}

// Alerts implements store.Fleet.
func (s *Store) Alerts(ctx context.Context, limit int) ([]store.Alert, error) {
	var out []store.Alert
	err := s.view(ctx, func(tx *bolt.Tx) error {
		ob, ab := tx.Bucket(bAlertOrder), tx.Bucket(bAlerts)
		if ob == nil {
			return nil
		}
		c := ob.Cursor()
		for k, key := c.Last(); k != nil && (limit <= 0 || len(out) < limit); k, key = c.Prev() {
			var a store.Alert
			if _, err := getJSON(ab, key, &a); err != nil {
				return err
			}
			out = append(out, a)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	return out, nil
}

// AlertDone implements store.Fleet.
func (s *Store) AlertDone(ctx context.Context, key string, try store.AlertTry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		ab := tx.Bucket(bAlerts)
		var a store.Alert
		if found, err := getJSON(ab, []byte(key), &a); err != nil || !found {
			if err == nil {
				err = store.ErrNotFound
			}
			return fmt.Errorf("alert %q: %w", key, err)
		}
		if !a.Sent.IsZero() {
			return nil // sent already: a late second outcome changes nothing
		}
		a = a.Apply(try)
		if !a.Sent.IsZero() {
			if err := tx.Bucket(bAlertPending).Delete(orderKey(a)); err != nil {
				return err
			}
		}
		return putJSON(ab, []byte(key), a)
	})
}
