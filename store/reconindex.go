package store

import (
	"hash/maphash"

	"payops/payout"
)

// ppidIndex finds the first record naming a provider payout id: the one
// that can match it. It is keyed by a 64-bit hash of the id, not the id: a
// map of a million small keys is built and read faster than one of strings
// (make bench). A hit is checked against the record's own id; an id whose
// hash another id had first (as good as never) is kept by name in clash.
type ppidIndex struct {
	records []payout.ProviderRecord
	seed    maphash.Seed
	byHash  map[uint64]int
	clash   map[string]int
}

func newPPIDIndex(records []payout.ProviderRecord) ppidIndex {
	x := ppidIndex{records: records, seed: maphash.MakeSeed(), byHash: make(map[uint64]int, len(records))}
	for i, r := range records {
		id := r.ProviderPayoutID
		if id == "" {
			continue
		}
		h := maphash.String(x.seed, id)
		j, ok := x.byHash[h]
		switch {
		case !ok:
			x.byHash[h] = i
		case records[j].ProviderPayoutID == id: // a later record of the same id
		default:
			if x.clash == nil {
				x.clash = map[string]int{}
			}
			if _, ok := x.clash[id]; !ok {
				x.clash[id] = i
			}
		}
	}
	return x
}

// orNone is i when ok, else -1.
func orNone(i int, ok bool) int {
	if !ok {
		return -1
	}
	return i
}

// first is the first record naming id.
func (x ppidIndex) first(id string) (int, bool) {
	if i, ok := x.byHash[maphash.String(x.seed, id)]; ok && x.records[i].ProviderPayoutID == id {
		return i, true
	}
	i, ok := x.clash[id]
	return i, ok
}

// firstOf is first for an id read from the stream, without copying it.
func (x ppidIndex) firstOf(id []byte) (int, bool) {
	if i, ok := x.byHash[maphash.Bytes(x.seed, id)]; ok && x.records[i].ProviderPayoutID == string(id) {
		return i, true
	}
	i, ok := x.clash[string(id)]
	return i, ok
}
