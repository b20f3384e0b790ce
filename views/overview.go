package views

// Overview is the landing page: stuck payouts by provider and age, holds and
// reconciliation to work, payouts by state, and the last 7 days' volume per
// currency and success rate per provider.
type Overview struct {
	Meta
	Threshold  string // "10m"
	TotalStuck int    // paused ones included
	// StuckPaused are the stuck payouts payops holds back unsent because
	// their provider is paused: the tile counts them apart.
	StuckPaused int
	OpenHolds   int
	OpenCases   int // open exception cases
	CasesLate   int // of which past their SLA
	Overdue     int // holds past their SLA or escalated
	OpenDiffs   int // reconciliation differences open in the last two weeks
	ToSignOff   int // days with nothing open, not signed off
	Buckets     []string
	Providers   []ProviderStuck
	Statuses    []StatusCount
	Zone        string   // the business time zone the days are in
	Days        []string // the 7 business days' labels, oldest first; the last is today
	Volumes     []CurrencyVolume
	Rates       []ProviderRate
}

// Figure is a number on the overview and the payouts behind it.
type Figure struct {
	Text string // "1,204", "12,34,567.00 INR", "97.3%"
	Href string // the payouts list filtered to exactly those payouts
}

// CurrencyVolume is one currency's payouts created today and in the last
// 7 days, with a bar a day.
type CurrencyVolume struct {
	Currency                string
	TodayCount, TodayAmount Figure
	WeekCount, WeekAmount   Figure
	Trend                   Spark
}

// ProviderRate is one provider's success rate today and over the last 7
// days, with a bar a day.
type ProviderRate struct {
	Provider    string
	Today, Week RateFigure
	Trend       Spark
}

// RateFigure is a success rate with its two counts, each a link.
type RateFigure struct {
	Rate      Figure // "97.3%", linking to the settled payouts; "—" when none settled
	Succeeded Figure
	Settled   Figure
}

// Spark is a small inline SVG bar chart, one bar a day, each bar a link to
// its day's payouts; sizes in pixels.
type Spark struct {
	W, H  int
	Label string // for screen readers
	Bars  []SparkBar
}

// SparkBar is one day's bar. An Empty day has no figure (nothing settled):
// a dash at the baseline instead of a bar.
type SparkBar struct {
	X, Y, W, H int
	Href       string
	Title      string // the day and its figures, shown on hover
	Empty      bool
}

// ProviderStuck is one provider's row on the overview.
type ProviderStuck struct {
	Provider string
	Href     string // the stuck list, for re-checking
	ListHref string // the payouts list filtered to them
	Counts   []int  // per bucket
	Total    int
	Paused   int    // of Total, unsent because payops paused the provider
	Oldest   string // age of the oldest
}

// StatusCount is a tile: payouts in one state.
type StatusCount struct {
	Status string
	Count  int
	Href   string // the payouts list in that state
}

// payoutsWord is the word after a count of payouts: " payout" after "1".
func payoutsWord(count string) string {
	if count == "1" {
		return " payout"
	}
	return " payouts"
}
