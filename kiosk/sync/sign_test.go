package sync_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	ksync "github.com/villagehall/kiosk/kiosk/sync"
	"github.com/villagehall/kiosk/kiosk/sync/pki"
)

// TestSignVerifyEveryKeyType: each key type the PKI issues signs heads,
// and a changed head, another key, another purpose or a relabelled
// algorithm does not verify.
func TestSignVerifyEveryKeyType(t *testing.T) {
	head := ksync.Head{Purpose: ksync.PurposeBatch, KioskID: "K01", JournalID: "7Q3FZ0B1C2D3E4F5G6H7J8K9MN",
		FirstSeq: 1, LastSeq: 9, PrevHash: strings.Repeat("0", 64), HeadHash: strings.Repeat("9", 64), Count: 9}
	for _, kt := range pki.KeyTypes {
		t.Run(string(kt), func(t *testing.T) {
			ca, err := pki.NewCA("CA", kt)
			if err != nil {
				t.Fatal(err)
			}
			k1, _ := ca.Client("K01")
			k2, _ := ca.Client("K02")
			sig, err := ksync.SignHead(k1.Key, head)
			if err != nil {
				t.Fatal(err)
			}
			if err := ksync.VerifyHead(k1.Cert, head, &sig); err != nil {
				t.Fatalf("own signature: %v", err)
			}
			changed := []func(h *ksync.Head){
				func(h *ksync.Head) { h.HeadHash = strings.Repeat("8", 64) },
				func(h *ksync.Head) { h.LastSeq++ },
				func(h *ksync.Head) { h.Count-- },
				func(h *ksync.Head) { h.JournalID = "00000000000000000000000000" },
				func(h *ksync.Head) { h.Purpose = ksync.PurposeExport },
				func(h *ksync.Head) { h.PrevHash = "" },
			}
			for i, ch := range changed {
				h := head
				ch(&h)
				if err := ksync.VerifyHead(k1.Cert, h, &sig); !errors.Is(err, ksync.ErrBadSignature) {
					t.Errorf("change %d verified: %v", i, err)
				}
			}
			if err := ksync.VerifyHead(k2.Cert, head, &sig); !errors.Is(err, ksync.ErrBadSignature) {
				t.Errorf("another kiosk's certificate verified: %v", err)
			}
			relabelled := sig
			relabelled.Alg = map[string]string{ksync.AlgEd25519: ksync.AlgECDSASHA256}[sig.Alg]
			if err := ksync.VerifyHead(k1.Cert, head, &relabelled); err == nil {
				t.Error("a relabelled algorithm verified")
			}
			if err := ksync.VerifyHead(k1.Cert, head, nil); !errors.Is(err, ksync.ErrUnsigned) {
				t.Errorf("no signature: %v", err)
			}
		})
	}
}

func TestDecodeOne(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" = ok
	}{
		{`{"a":1}`, ""},
		{"{\"a\":1}\n \t\n", ""},
		{`{"a":1}{"a":2}`, "more than one JSON value"},
		{`{"a":1} x`, "unreadable data after"},
		{`{"a":1`, "unexpected EOF"},
		{``, "EOF"},
		{`[1,2]`, "cannot unmarshal"},
	}
	for _, tc := range tests {
		var v struct{ A int }
		err := ksync.DecodeOne(bytes.NewReader([]byte(tc.in)), &v)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("DecodeOne(%q) = %v, want %q", tc.in, err, tc.want)
		}
	}
}
