package payout

// HoldHands is everyone who has had a hand in a hold, by user id: who
// placed it (nil when a gate or a job did) and who added any of its
// evidence, notes, links and tax-artifact changes alike, and who gave an
// earlier approval of it.
type HoldHands struct {
	PlacedBy   *int64
	EvidenceBy []int64
	ApprovedBy []int64 // who gave an earlier approval under an approval rule
}

// FourEyes returns why user may not release a hold, or "" when they may.
// Nobody who placed the hold or added anything to its evidence releases
// it: the decision to send held money is always a second person's. The
// store enforces this; the pages use it to explain why Release is missing.
func FourEyes(user int64, hands HoldHands) string {
	if hands.PlacedBy != nil && *hands.PlacedBy == user {
		return "you placed this hold"
	}
	for _, id := range hands.EvidenceBy {
		if id == user {
			return "you added evidence to this hold"
		}
	}
	for _, id := range hands.ApprovedBy {
		if id == user {
			return "you gave this hold's earlier approval"
		}
	}
	return ""
}
