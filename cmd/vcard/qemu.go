package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/villagehall/kiosk/drivers/jpki/virtualcard"
	"github.com/villagehall/kiosk/drivers/pcsc/vscard"
)

// qemuATR is the JPKI contact ATR (3B E0 00 FF 81 31 FE 45 14) with T=0
// offered first: TD1 80 (T=0, TD2 follows) instead of 81, TCK recomputed.
// qemu 7.2's emulated reader announces T=0 only, and pcscd refuses a card
// whose ATR offers nothing but T=1 in it ("Protocol T=1 not supported by
// reader"). The kiosk never looks at the ATR (it knows a My Number Card by
// its token label), so this changes nothing it decides.
const qemuATR = "3BE000FF8031FE4515"

// dialWait is how long vcard retries reaching qemu's socket: the harness
// may start it a moment before qemu has made its chardev.
const dialWait = 15 * time.Second

// serveQEMU inserts card into qemu's emulated reader and then follows the
// commands on stdin until "quit", ctx's end or qemu's.
func serveQEMU(ctx context.Context, log *slog.Logger, addr string, card vscard.Card, name string, atr []byte, stdin io.Reader, opts []vscard.Option) error {
	r, err := dialQEMU(ctx, log, addr, opts)
	if err != nil {
		return err
	}
	defer func() {
		if err := r.Close(); err != nil {
			log.Warn("closing the qemu connection", "err", err)
		}
		log.Info("card removed", "profile", name, "qemu", addr)
	}()
	if err := insert(ctx, r, card); err != nil {
		return err
	}
	log.Info("card inserted", "profile", name, "qemu", addr)

	// The reader of stdin cannot be interrupted; it ends with the process
	// (stdin closed or the command "quit").
	cmds := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdin)
		for sc.Scan() {
			select {
			case cmds <- strings.TrimSpace(sc.Text()):
			case <-ctx.Done():
				return
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-r.Done():
			return fmt.Errorf("qemu closed the connection: %v", r.Err())
		case line := <-cmds:
			verb, arg, _ := strings.Cut(line, " ")
			switch verb {
			case "":
			case "quit":
				return nil
			case "remove":
				if err := remove(ctx, r); err != nil {
					log.Error("remove", "err", err)
					continue
				}
				log.Info("card removed", "profile", name, "qemu", addr)
			case "insert":
				if arg = strings.TrimSpace(arg); arg != "" {
					p, err := virtualcard.LoadProfile(arg, time.Now())
					if err != nil {
						log.Error("insert", "err", err)
						continue
					}
					card, name = withATR(virtualcard.New(p), atr), p.Name
				}
				if err := insert(ctx, r, card); err != nil {
					log.Error("insert", "err", err)
					continue
				}
				log.Info("card inserted", "profile", name, "qemu", addr)
			default:
				log.Warn("unknown command (remove, insert [PROFILE], quit)", "command", line)
			}
		}
	}
}

func dialQEMU(ctx context.Context, log *slog.Logger, addr string, opts []vscard.Option) (*vscard.Reader, error) {
	deadline := time.Now().Add(dialWait)
	for {
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		r, err := vscard.Dial(dctx, addr, opts...)
		cancel()
		if err == nil {
			return r, nil
		}
		if ctx.Err() != nil || time.Now().After(deadline) || errors.Is(err, context.DeadlineExceeded) {
			return nil, err
		}
		log.Debug("qemu not reachable yet", "err", err)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// Under TCG a loaded machine runs qemu slowly: generous bounds.
func insert(ctx context.Context, r *vscard.Reader, c vscard.Card) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return r.Insert(ctx, c)
}

func remove(ctx context.Context, r *vscard.Reader) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return r.Remove(ctx)
}
