package store

import (
	"hash/maphash"
	"math/bits"

	"payops/payout"
)

// ppidIndex finds the first record naming a provider payout id: the one
// that can match it. It is an open-addressing table of a 64-bit hash of each
// id and its record's index, twice as many slots as records: a lookup reads
// one slot (one cache miss, where a Go map of a million keys took two or
// more), and a batch of lookups can be made one after another, so that the
// processor has many of those misses in flight at once (reconMatcher.take).
// A hit is checked against the record's own id; an id whose hash another id
// had first (as good as never) is kept by name in clash.
type ppidIndex struct {
	records []payout.ProviderRecord
	seed    maphash.Seed
	slots   []ppidSlot // len a power of two
	mask    uint64
	clash   map[string]int
}

// ppidSlot is one slot of the table: the hash of an id and its first record
// plus one (0: the slot is empty).
type ppidSlot struct {
	hash uint64
	rec  uint32
}

func newPPIDIndex(records []payout.ProviderRecord) ppidIndex {
	n := uint64(1) << bits.Len64(uint64(2*len(records)+1))
	x := ppidIndex{records: records, seed: maphash.MakeSeed(), slots: make([]ppidSlot, n), mask: n - 1}
	for i, r := range records {
		id := r.ProviderPayoutID
		if id == "" {
			continue
		}
		h := maphash.String(x.seed, id)
		k := x.slotOf(h)
		switch s := x.slots[k]; {
		case s.rec == 0:
			x.slots[k] = ppidSlot{hash: h, rec: uint32(i) + 1}
		case records[s.rec-1].ProviderPayoutID == id: // a later record of the same id
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
	return x.confirm(x.candidate(maphash.String(x.seed, id)), id)
}

// hashOf is the hash of an id read from the stream, for candidate.
func (x ppidIndex) hashOf(id []byte) uint64 { return maphash.Bytes(x.seed, id) }

// candidate is the record whose id hashed to h first, plus one, or 0.
func (x ppidIndex) candidate(h uint64) uint32 { return x.slots[x.slotOf(h)].rec }

// slotOf is the slot holding hash h, or the empty one where it would go:
// the one slot h leads to, and the next ones when slots were taken before
// it (the table is never full, so an empty slot ends the walk).
func (x ppidIndex) slotOf(h uint64) uint64 {
	k := h & x.mask
	for x.slots[k].rec != 0 && x.slots[k].hash != h {
		k = (k + 1) & x.mask
	}
	return k
}

// confirm checks candidate c against id: the record it names if that is
// id's, else the record kept by name for an id whose hash clashed.
func (x ppidIndex) confirm(c uint32, id string) (int, bool) {
	if c == 0 {
		return -1, false
	}
	if i := int(c - 1); x.records[i].ProviderPayoutID == id {
		return i, true
	}
	i, ok := x.clash[id]
	return i, ok
}
