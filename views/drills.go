package views

// Drills is the failure drills page: start one, watch the current one, read
// past reports.
type Drills struct {
	Meta
	Enabled    bool // drills run inside this payops (not with PAYOPS_DRILL_SANDBOX_URL)
	Scenarios  []DrillScenario
	Scenario   string // selected in the form
	Market     string // selected in the form
	Markets    []string
	Payouts    string
	MaxPayouts int
	// The first drill's advice, which the form starts with: "happy", 50.
	FirstScenario string
	FirstPayouts  string
	Error         string
	Current       *DrillRun
	Past          []DrillRun
}

// DrillScenario is one choice of the form.
type DrillScenario struct {
	Name, Description string
}

// DrillRun is one drill: its progress and, when finished, its report.
type DrillRun struct {
	ID           string
	Href         string
	PayoutsHref  string // the payouts list filtered to the drill's payouts
	Scenario     string
	Market       string // the market its payouts went to, whose launch checklist a pass counts for
	Payouts      int
	State        string // running, passed, failed, interrupted
	StateLabel   string
	Phase        string // creating, converging
	Step         string // the phase for people: "Creating payouts (1 of 2)"
	Done, Total  int    // the bar is Done of Total, exactly
	Waiting      *DrillWaiting
	StartedBy    string
	StartedAt    string
	Duration     string
	Converged    string // time to converge, from the report; "—" without one
	NotConverged string // payouts not converged, from the report; "—" without one
	Error        string
	Report       *DrillReport
}

// DrillWaiting is what a converging drill waits for: its payouts that do
// not agree with the provider yet, by why.
type DrillWaiting struct {
	Total       int
	Reasons     []DrillReason // the non-zero ones
	Settling    bool          // the provider has not settled every payout yet
	NextRecheck string        // "in 9 s", "due now"; "" when the drill does not run it
}

// DrillReason is one reason payouts wait, and how many.
type DrillReason struct {
	Key   string // not-sent, at-provider, unheard, other
	Count int
	Label string
}

// DrillReport is a finished drill's figures.
type DrillReport struct {
	MustBeZero []DrillFigure
	Sandbox    []DrillFigure
	Examples   []string
}

// DrillFigure is one labelled number; Bad when a must-be-zero one is not.
type DrillFigure struct {
	Label string
	Value int64
	Bad   bool
}

// DrillPage is one drill's page.
type DrillPage struct {
	Meta
	Run DrillRun
}
