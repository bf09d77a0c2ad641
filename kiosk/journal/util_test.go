package journal

import (
	"encoding/json"

	"github.com/villagehall/kiosk/kiosk"
)

func jsonUnmarshal(b []byte, v any) error  { return json.Unmarshal(b, v) }
func jsonMarshalErr(v any) ([]byte, error) { return json.Marshal(v) }

// acksOf acknowledges exactly recs, as a collector holding them would.
func acksOf(recs []kiosk.Record) []Ack {
	out := make([]Ack, len(recs))
	for i, r := range recs {
		out[i] = Ack{Seq: r.Seq, Hash: r.Hash}
	}
	return out
}

// ackUpTo acknowledges every pending record with Seq <= upTo.
func ackUpTo(j *Journal, upTo uint64) (int, error) {
	p, err := j.Pending(0)
	if err != nil {
		return 0, err
	}
	var acks []Ack
	for _, r := range p {
		if r.Seq <= upTo {
			acks = append(acks, Ack{Seq: r.Seq, Hash: r.Hash})
		}
	}
	return j.Release(j.JournalID(), acks)
}
