package journal

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/villagehall/kiosk/kiosk"
)

// Genesis is the PrevHash of the first record of a chain.
var Genesis = strings.Repeat("0", 64)

// AlgSHA256 names the records' hash, stored in the journal and in export
// manifests so that another algorithm can be told apart, should there
// ever be one.
const AlgSHA256 = "sha256"

// The tags version the encoding: any change to Canonical must add a tag, or
// every stored chain stops verifying. v2 adds the journal ID; records from
// before journal IDs (JournalID "") keep v1 and so still verify.
const (
	canonicalTagV1 = "kiosk-record-v1"
	canonicalTagV2 = "kiosk-record-v2"
)

// Canonical is the byte string a record's Hash covers: every field except
// Hash, in a fixed order, each length-prefixed so no two records encode the
// same. It deliberately does not depend on encoding/json's choices (time
// zone, field order, omitempty).
func Canonical(r kiosk.Record) []byte {
	b := make([]byte, 0, 256)
	field := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	optInt := func(p *int) {
		if p == nil {
			field("-") // distinct from any decimal number
			return
		}
		field(strconv.Itoa(*p))
	}
	if r.JournalID == "" {
		field(canonicalTagV1)
	} else {
		field(canonicalTagV2)
	}
	field(strconv.FormatUint(r.Seq, 10))
	field(r.Time.UTC().Format(time.RFC3339Nano))
	field(strconv.FormatBool(r.ClockTrusted))
	field(r.KioskID)
	if r.JournalID != "" {
		field(r.JournalID)
	}
	field(string(r.Kind))
	field(string(r.Outcome))
	field(string(r.Card))
	field(r.Status)
	field(r.CertRef)
	optInt(r.AuthTries)
	optInt(r.SignTries)
	field(r.Reference)
	field(r.Detail)
	field(r.PrevHash)
	return b
}

// HashRecord returns the hex SHA-256 of r's canonical form. Anyone can
// recompute it: what stops an edited record is the kiosk's signature over
// batch and export heads.
func HashRecord(r kiosk.Record) string {
	r.Hash = ""
	s := sha256.Sum256(Canonical(r))
	return hex.EncodeToString(s[:])
}

// Break is the first place a chain does not hold.
type Break struct {
	Seq    uint64 // the record at fault (0 when the chain's end is at fault)
	Index  int    // position in the walked slice, -1 when not applicable
	Reason string
}

func (b *Break) Error() string {
	return fmt.Sprintf("chain broken at seq %d: %s", b.Seq, b.Reason)
}

// VerifyChain checks that recs is a contiguous, correctly linked, untampered
// run whose first record follows prevHash (and prevSeq when prevSeq > 0).
// It returns the first break, or nil.
func VerifyChain(recs []kiosk.Record, prevSeq uint64, prevHash string) *Break {
	for i, r := range recs {
		if got := HashRecord(r); got != r.Hash {
			return &Break{Seq: r.Seq, Index: i, Reason: "record content does not match its hash (edited)"}
		}
		if prevSeq > 0 && r.Seq != prevSeq+1 {
			if r.Seq <= prevSeq {
				return &Break{Seq: r.Seq, Index: i, Reason: fmt.Sprintf("out of order: seq %d after %d", r.Seq, prevSeq)}
			}
			return &Break{Seq: r.Seq, Index: i, Reason: fmt.Sprintf("missing records %d..%d", prevSeq+1, r.Seq-1)}
		}
		if prevHash != "" && r.PrevHash != prevHash {
			return &Break{Seq: r.Seq, Index: i, Reason: "prev_hash does not match the previous record (missing, reordered or replaced record)"}
		}
		prevSeq, prevHash = r.Seq, r.Hash
	}
	return nil
}
