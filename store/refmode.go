package store

// RefMode says which payout a reference means. A reference is unique in
// each mode, live and test (migration 00056: a test token's references
// and the live ones are two spaces), so a lookup by reference names its
// mode: exactly, where the caller knows it (the API the token's, a job the
// payout's it read), or first, where a person
// may not (a bare /payouts/{ref} the live payout first, the stuck list its
// view's mode first: the other when the reference has no payout in it).
type RefMode struct {
	Live  bool // live payouts (true) or test payouts
	First bool // the other mode's payout when this one has none
}

// Exactly is the mode of a caller that knows it: live or test.
func Exactly(live bool) RefMode { return RefMode{Live: live} }

// First is the mode of a person who may not know it: live payouts (or
// test ones) first, the other mode's after.
func First(live bool) RefMode { return RefMode{Live: live, First: true} }

// byRef is the WHERE clause (and order) of a lookup of payouts p by
// reference $1 in mode $2 ($2 the live flag, $3 First), read with
// refArgs.
const byRef = ` WHERE p.reference_id = $1 AND (p.livemode = $2 OR $3) ORDER BY p.livemode = $2 DESC LIMIT 1`

// refArgs are byRef's arguments.
func refArgs(ref string, m RefMode) []any { return []any{ref, m.Live, m.First} }
