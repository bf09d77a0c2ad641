package pcsc

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ebfe/scard"

	"github.com/villagehall/kiosk/kiosk"
)

func TestMapErr(t *testing.T) {
	tests := []struct {
		in         error
		connecting bool
		want       error // nil: no kiosk error
	}{
		{scard.ErrRemovedCard, false, kiosk.ErrCardRemoved},
		{scard.ErrRemovedCard, true, kiosk.ErrNoCard},
		{scard.ErrNoSmartcard, false, kiosk.ErrCardRemoved},
		{scard.ErrNoSmartcard, true, kiosk.ErrNoCard},
		{scard.ErrResetCard, false, kiosk.ErrCardRemoved},
		{scard.ErrReaderUnavailable, false, kiosk.ErrReaderGone},
		{scard.ErrUnknownReader, true, kiosk.ErrReaderGone},
		{scard.ErrNoReadersAvailable, false, kiosk.ErrReaderGone},
		{scard.ErrNoService, false, kiosk.ErrServiceDown},
		{scard.ErrServiceStopped, true, kiosk.ErrServiceDown},
		{scard.ErrCommError, false, kiosk.ErrServiceDown},
		{scard.ErrNotTransacted, false, nil}, // decided by Card.classify
		{scard.ErrSharingViolation, true, nil},
		{fmt.Errorf("wrapped: %w", scard.ErrRemovedCard), false, kiosk.ErrCardRemoved},
		{errors.New("not scard"), false, nil},
	}
	kioskErrs := []error{kiosk.ErrCardRemoved, kiosk.ErrNoCard, kiosk.ErrReaderGone, kiosk.ErrServiceDown}
	for _, tt := range tests {
		t.Run(tt.in.Error(), func(t *testing.T) {
			got := mapErr("op", tt.in, tt.connecting)
			if !errors.Is(got, tt.in) {
				t.Errorf("%v does not keep the original error", got)
			}
			for _, k := range kioskErrs {
				if errors.Is(got, k) != (k == tt.want) {
					t.Errorf("errors.Is(%v, %v) = %v", got, k, !(k == tt.want))
				}
			}
		})
	}
	if mapErr("op", nil, false) != nil {
		t.Error("mapErr(nil) != nil")
	}
}

func TestSplitMultiString(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"\x00", nil},
		{"A\x00\x00", []string{"A"}},
		{"Virtual PCD 00 00\x00Virtual PCD 00 01\x00\x00", []string{"Virtual PCD 00 00", "Virtual PCD 00 01"}},
	}
	for _, tt := range tests {
		got := splitMultiString([]byte(tt.in))
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("splitMultiString(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
