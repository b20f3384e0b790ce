package store

import (
	"hash/maphash"
	"math/bits"

	"payops/payout"
)

// ppidIndex finds the first record naming a provider payout id: the one
// that can match it. It is an open-addressing table of the ids' hashes,
// twice as many slots as records, each slot 8 bytes: the high half of the
// hash and the record's index. A lookup reads one slot (one cache miss,
// where a Go map of a million keys took two or more), and a batch of
// lookups can be made one after another, so that the processor has many of
// those misses in flight at once (reconMatcher.takeBatch). A hit is checked
// against the record's own id; an id whose slot another id with the same
// high half had first (as good as never) is kept by name in clash.
type ppidIndex struct {
	records []payout.ProviderRecord
	seed    maphash.Seed
	slots   []ppidSlot // len a power of two
	mask    uint64
	clash   map[string]int
}

// ppidSlot is one slot of the table: the high half of an id's hash (the
// low bits chose the slot) and its first record plus one (0: the slot is
// empty).
type ppidSlot struct {
	tag uint32
	rec uint32
}

// ppidBuildBatch is how many records' ids are hashed before their slots
// are filled, so that the slots' cache misses overlap.
const ppidBuildBatch = 256

func newPPIDIndex(records []payout.ProviderRecord) ppidIndex {
	n := uint64(1) << bits.Len64(uint64(2*len(records)+1))
	x := ppidIndex{records: records, seed: maphash.MakeSeed(), slots: make([]ppidSlot, n), mask: n - 1}
	var hashes [ppidBuildBatch]uint64
	for start := 0; start < len(records); start += ppidBuildBatch {
		batch := records[start:min(start+ppidBuildBatch, len(records))]
		for j := range batch {
			hashes[j] = x.hashOf(batch[j].ProviderPayoutID)
		}
		for j := range batch {
			if id := batch[j].ProviderPayoutID; id != "" {
				x.add(hashes[j], id, start+j)
			}
		}
	}
	return x
}

// add puts record i, naming id of hash h, in the table: in the slot h
// leads to if that id has none yet; as a clash if another id's hash has
// that slot's tag.
func (x *ppidIndex) add(h uint64, id string, i int) {
	k := x.slotOf(h)
	switch s := x.slots[k]; {
	case s.rec == 0:
		x.slots[k] = ppidSlot{tag: uint32(h >> 32), rec: uint32(i) + 1}
	case x.records[s.rec-1].ProviderPayoutID == id: // a later record of the same id
	default:
		if x.clash == nil {
			x.clash = map[string]int{}
		}
		if _, ok := x.clash[id]; !ok {
			x.clash[id] = i
		}
	}
}

// orNone is i when ok, else -1.
func orNone(i int, ok bool) int {
	if !ok {
		return -1
	}
	return i
}

// first is the first record naming id. The stream takes the same three
// steps a batch at a time (reconMatcher.takeBatch).
func (x ppidIndex) first(id string) (int, bool) {
	return x.confirm(x.candidate(x.hashOf(id)), id)
}

// hashOf is the hash of an id, for candidate.
func (x ppidIndex) hashOf(id string) uint64 { return maphash.String(x.seed, id) }

// candidate is the record whose id hashed to h first, plus one, or 0.
func (x ppidIndex) candidate(h uint64) uint32 { return x.slots[x.slotOf(h)].rec }

// slotOf is the slot holding hash h's tag, or the empty one where it would
// go: the one slot h's low bits lead to, and the next ones when slots were
// taken before it (the table is never full, so an empty slot ends the
// walk).
func (x ppidIndex) slotOf(h uint64) uint64 {
	k, tag := h&x.mask, uint32(h>>32)
	for x.slots[k].rec != 0 && x.slots[k].tag != tag {
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
