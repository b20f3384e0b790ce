package views

// PayoutList is the payouts list: its filters, how many match, one page.
type PayoutList struct {
	Meta
	Query string
	// OtherMode says a search that found nothing here names a payout in the
	// other mode (test or live); Archived, that the webhook history an event
	// id is looked up in is archived before a month. Both only on an empty
	// search.
	OtherMode, Archived string
	Statuses            []Choice
	Providers           []Choice
	Currencies          []Choice
	Sorts               []Choice
	Market              string
	CreatedFrom         string
	CreatedTo           string
	UpdatedFrom         string
	UpdatedTo           string
	SentFrom            string // sent-day filters: shown only when given (the reconciliation's link to a day's payouts)
	SentTo              string
	AmountMin           string
	AmountMax           string
	OpenHold            bool
	Stuck               bool
	StuckAfter          string            // "10m", for the stuck filter's label
	DatesZone           string            // the business time zone the date filters' days are in
	Errors              map[string]string // per parameter, for a refused filter
	Count               string            // "1,234 payouts", "about 120,000 payouts"
	Rows                []PayoutListRow
	Filtered            bool   // any filter is set
	NextHref            string // the next page, "" on the last
	FirstHref           string // the first page, "" when on it
	CSVHref             string
	ClearHref           string
}

// Choice is one option of a select or one checkbox, and whether it is on.
type Choice struct {
	Value string
	Label string
	On    bool
}

// PayoutListRow is one payout in the list.
type PayoutListRow struct {
	Ref         string
	Href        string
	Created     string
	Provider    string
	Amount      string
	Beneficiary string
	Status      string
	UTR         string
	Updated     string
}
