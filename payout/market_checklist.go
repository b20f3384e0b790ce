package payout

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// DrillProof is a passed failure drill, as launch evidence.
type DrillProof struct {
	RunID    int64
	Scenario string
	Provider string
	PassedAt time.Time
}

// SignOffProof is a reconciled day finance signed off, as launch evidence.
type SignOffProof struct {
	RunID       int64
	Provider    string
	Day         time.Time
	SignedOffAt time.Time
}

// LaunchEvidence is what payops has recorded that a market's checklist
// looks at: the providers that pay into the market, the passed drills and
// the signed-off days.
type LaunchEvidence struct {
	Now       time.Time
	Providers []string
	Drills    []DrillProof
	SignOffs  []SignOffProof
}

// DrillFreshness is how recent a passed drill must be to count.
const DrillFreshness = 30 * 24 * time.Hour

// ConvergenceDrills are the drill scenarios that disrupt the provider's
// callbacks (lost, repeated, reordered, forged or replayed webhooks): seed
// 004's "simulate callback disruptions and confirm the status flow still
// converges". Only these count for the checklist's fourth step; a drill of a
// well-behaved provider, an outage or an underpayment shows nothing about
// webhooks and polling. The drill package's tests keep this list equal to
// its scenarios' callback chaos.
var ConvergenceDrills = []string{"all-of-them", "duplicate-storm", "forged", "lost-webhooks", "out-of-order"}

// Checkpoint is one of the six launch checkpoints and what showed it.
type Checkpoint struct {
	Step     int
	Name     string
	Passed   bool
	Evidence string // what passed it, or what is missing
	DrillID  int64  // the drill that passed step 4, for a link
	ReconID  int64  // the signed-off run that passed step 5
	// ReconProvider and ReconDay are that run's day, for a link to it.
	ReconProvider string
	ReconDay      time.Time
}

// Checklist returns the six launch checkpoints (seed 004) of a document,
// each passed or not by the document itself or by ev.
func Checklist(d LaunchDoc, ev LaunchEvidence) []Checkpoint {
	out := []Checkpoint{ownersNamed(d), gatesListed(d), {
		Step: 3, Name: "Request and provider references tracked", Passed: true,
		Evidence: "automatic: every payout keeps its reference id, provider reference and audit trail together",
	}, drillConverged(ev), reconProven(ev), settlementPublished(d)}
	return out
}

// Ready counts the passed checkpoints.
func Ready(cps []Checkpoint) int {
	n := 0
	for _, c := range cps {
		if c.Passed {
			n++
		}
	}
	return n
}

func ownersNamed(d LaunchDoc) Checkpoint {
	c := Checkpoint{Step: 1, Name: "Owners named"}
	var missing []string
	for _, f := range d.Owners.fields() {
		if *f.value == "" {
			missing = append(missing, "owners."+f.name)
		}
	}
	if len(missing) > 0 {
		c.Evidence = "missing: " + strings.Join(missing, ", ")
		return c
	}
	o := d.Owners
	c.Passed = true
	c.Evidence = fmt.Sprintf("payout support %s, user recovery %s, blocked payouts %s, incident response %s",
		o.PayoutSupport, o.UserRecovery, o.BlockedPayouts, o.IncidentResponse)
	return c
}

func gatesListed(d LaunchDoc) Checkpoint {
	c := Checkpoint{Step: 2, Name: "Gates and artifacts listed"}
	if d.TaxArtifactsRequired == nil {
		c.Evidence = "missing: tax_artifacts_required"
		return c
	}
	gates := "every release gate"
	if len(d.Gates) > 0 {
		names := make([]string, len(d.Gates))
		for i, g := range d.Gates {
			names[i] = string(g)
		}
		gates = strings.Join(names, ", ")
	}
	tax := "tax artifacts not required"
	if *d.TaxArtifactsRequired {
		tax = "tax artifacts required"
	}
	c.Passed = true
	reasons := fmt.Sprintf("%d hold reasons", len(d.HoldReasons))
	if len(d.HoldReasons) == 1 {
		reasons = "1 hold reason"
	}
	c.Evidence = fmt.Sprintf("gates: %s; %s; %s with unblock evidence", gates, tax, reasons)
	return c
}

func drillConverged(ev LaunchEvidence) Checkpoint {
	c := Checkpoint{Step: 4, Name: "Webhooks and polling converge"}
	var best *DrillProof
	for i, dr := range ev.Drills {
		// The drill provider stands in for every provider: a drill
		// exercises payops' own webhook and polling paths against it.
		if (dr.Provider != DrillProvider && !contains(ev.Providers, dr.Provider)) || ev.Now.Sub(dr.PassedAt) > DrillFreshness ||
			!contains(ConvergenceDrills, dr.Scenario) {
			continue
		}
		if best == nil || dr.PassedAt.After(best.PassedAt) {
			best = &ev.Drills[i]
		}
	}
	if best == nil {
		c.Evidence = "no drill disrupting webhooks (" + strings.Join(ConvergenceDrills, ", ") + ") passed in the last 30 days"
		return c
	}
	c.Passed, c.DrillID = true, best.RunID
	c.Evidence = fmt.Sprintf("drill #%d (%s) against %s passed %s", best.RunID, best.Scenario, best.Provider,
		best.PassedAt.Format("2006-01-02"))
	return c
}

func reconProven(ev LaunchEvidence) Checkpoint {
	c := Checkpoint{Step: 5, Name: "Reconciliation proven"}
	var best *SignOffProof
	for i, s := range ev.SignOffs {
		if !contains(ev.Providers, s.Provider) {
			continue
		}
		if best == nil || s.Day.After(best.Day) {
			best = &ev.SignOffs[i]
		}
	}
	if best == nil && len(ev.Providers) == 0 {
		c.Evidence = "no provider pays into this market yet: no reconciled day can count"
		return c
	}
	if best == nil {
		c.Evidence = "no reconciled day signed off for " + strings.Join(ev.Providers, " or ")
		return c
	}
	c.Passed, c.ReconID, c.ReconProvider, c.ReconDay = true, best.RunID, best.Provider, best.Day
	c.Evidence = fmt.Sprintf("%s %s signed off %s", best.Provider, best.Day.Format("2006-01-02"),
		best.SignedOffAt.Format("2006-01-02"))
	return c
}

func settlementPublished(d LaunchDoc) Checkpoint {
	c := Checkpoint{Step: 6, Name: "Settlement path published"}
	var missing []string
	for _, f := range d.Missing() {
		if strings.HasPrefix(f, "settlement.") {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		c.Evidence = "missing: " + strings.Join(missing, ", ")
		return c
	}
	s := d.Settlement
	c.Passed = true
	c.Evidence = fmt.Sprintf("%s; posting window %s; %s", s.Rail, s.PostingWindow, s.FeeTreatment)
	return c
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Change is one field that differs between two versions of a document.
type Change struct {
	Field string // "owners.blocked_payouts", "approvals[0].approvers"
	From  string // "" when the field was not there
	To    string // "" when it was removed
}

// DiffDocs returns the fields that differ from old to new, sorted by field.
func DiffDocs(old, new LaunchDoc) []Change {
	a, b := flatten(old), flatten(new)
	var out []Change
	for f, v := range a {
		if b[f] != v {
			out = append(out, Change{Field: f, From: v, To: b[f]})
		}
	}
	for f, v := range b {
		if _, ok := a[f]; !ok {
			out = append(out, Change{Field: f, To: v})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// flatten writes a document as field path -> value, leaving out empty
// values so a field left empty and one left out compare equal.
func flatten(d LaunchDoc) map[string]string {
	out := map[string]string{}
	b, err := json.Marshal(d)
	if err != nil {
		return out
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return out
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch t := v.(type) {
		case map[string]any:
			for k, x := range t {
				p := k
				if path != "" {
					p = path + "." + k
				}
				walk(p, x)
			}
		case []any:
			for i, x := range t {
				walk(fmt.Sprintf("%s[%d]", path, i), x)
			}
		case nil:
		case string:
			if t != "" {
				out[path] = t
			}
		default:
			out[path] = fmt.Sprint(t)
		}
	}
	walk("", v)
	return out
}

// ProposalFourEyes returns why user may not approve a proposal made by
// proposer, or "" when they may: a market goes live, or a live document
// changes, only with a second admin's approval.
func ProposalFourEyes(user, proposer int64) string {
	if user == proposer {
		return "you proposed this change; another admin must approve it"
	}
	return ""
}
