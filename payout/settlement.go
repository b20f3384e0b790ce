package payout

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// ProviderRecord is one payout as a provider reports it for a day: from its
// List API or a settlement report.
type ProviderRecord struct {
	ProviderPayoutID string
	ReferenceID      string
	Amount           Money
	Fee              *int64 // minor units of Amount's currency; nil when not reported
	Status           Status
	SettledAt        *time.Time
}

// SettlementColumns are a settlement report's columns, in order, as its
// header row names them.
var SettlementColumns = []string{"provider_payout_id", "reference_id", "amount", "currency", "status", "fee", "settled_at"}

// MaxSettlementMinor bounds a settlement row's amount and fee in minor units
// (10,000,000,000.00 INR; 1,000,000,000,000 IDR): two million such rows
// still sum within the database's 64-bit totals.
const MaxSettlementMinor = 1_000_000_000_000

// statusWords maps the words settlement reports use to canonical states.
var statusWords = map[string]Status{
	"SUCCEEDED": Succeeded, "SUCCESS": Succeeded, "COMPLETED": Succeeded, "PROCESSED": Succeeded, "SETTLED": Succeeded,
	// REJECTED is RazorpayX's payout rejected before it was processed (its
	// adapter's CANCELLED); REFUNDED is Paywize's reversal.
	"FAILED": Failed, "FAILURE": Failed, "REJECTED": Cancelled,
	"REVERSED": Reversed, "RETURNED": Reversed, "REFUNDED": Reversed,
	"CANCELLED": Cancelled, "CANCELED": Cancelled,
	"PROCESSING": Processing, "PENDING": Processing, "QUEUED": Queued,
	// The providers' own words for a payout not settled yet, as their
	// adapters map them: Xendit's ACCEPTED, REQUESTED and compliance
	// statuses, NxtBanking's and Paywize's INITIATED.
	"ACCEPTED": Queued, "PENDING_COMPLIANCE_ASSESSMENT": Queued, "INITIATED": Queued, "REQUESTED": Processing,
	"COMPLIANCE_REJECTED": Cancelled,
}

// ParseSettlement reads a settlement report CSV: a header row naming
// SettlementColumns, then one payout per row, amounts and fees as decimal
// strings in the row's currency. Any bad row refuses the whole file with its
// line number and the reason, so nothing is half-imported.
func ParseSettlement(r io.Reader, maxRows int) ([]ProviderRecord, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = len(SettlementColumns)
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("the file is empty: it needs a header row naming " + strings.Join(SettlementColumns, ", "))
	}
	if err != nil {
		return nil, csvError(err, header)
	}
	for i, want := range SettlementColumns {
		if got := strings.ToLower(strings.TrimSpace(strings.TrimPrefix(header[i], "\ufeff"))); got != want {
			return nil, fmt.Errorf("line 1: column %d is %q, want %q (columns: %s)", i+1, header[i], want, strings.Join(SettlementColumns, ", "))
		}
	}
	var out []ProviderRecord
	for {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(err, row)
		}
		line, _ := cr.FieldPos(0)
		if len(out) == maxRows {
			return nil, fmt.Errorf("line %d: the file has more than %d rows", line, maxRows)
		}
		rec, err := settlementRow(row)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		out = append(out, rec)
	}
	return out, nil
}

// csvError says where a report is not the CSV payops reads; row is what
// was read of the line, for a line of the wrong number of fields (another
// format's export, another separator, a column added).
func csvError(err error, row []string) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return err
	}
	if errors.Is(pe.Err, csv.ErrFieldCount) {
		return fmt.Errorf("line %d: wrong number of fields: %d, want %d, separated by commas: %s", pe.Line, len(row),
			len(SettlementColumns), strings.Join(SettlementColumns, ","))
	}
	return fmt.Errorf("line %d: %v", pe.Line, pe.Err)
}

func settlementRow(row []string) (ProviderRecord, error) {
	for i := range row {
		row[i] = strings.TrimSpace(row[i])
		if HasControl(row[i]) {
			return ProviderRecord{}, fmt.Errorf("%s contains control characters", SettlementColumns[i])
		}
		if !IsText(row[i]) {
			return ProviderRecord{}, fmt.Errorf("%s is not UTF-8 text", SettlementColumns[i])
		}
	}
	rec := ProviderRecord{ProviderPayoutID: row[0], ReferenceID: row[1]}
	if rec.ProviderPayoutID == "" && rec.ReferenceID == "" {
		return rec, errors.New("needs a provider_payout_id or a reference_id to match")
	}
	cur := strings.ToUpper(row[3])
	amount, err := ParseMoney(trimZeroDecimals(row[2], cur), cur)
	if err != nil {
		return rec, fmt.Errorf("amount: %w", err)
	}
	if amount.Minor == 0 {
		return rec, errors.New("amount is zero: a payout's amount is more than zero")
	}
	if amount.Minor > MaxSettlementMinor {
		return rec, fmt.Errorf("amount %s is more than a settlement report's row may hold", amount.Decimal())
	}
	rec.Amount = amount
	st, ok := statusWords[strings.ToUpper(row[4])]
	if !ok {
		return rec, fmt.Errorf("status %q is not one payops knows (SUCCEEDED, FAILED, REVERSED, CANCELLED, PROCESSING, QUEUED, "+
			"or a provider's own word for one of them)", row[4])
	}
	rec.Status = st
	if row[5] != "" {
		fee, err := ParseMoney(trimZeroDecimals(row[5], cur), cur)
		if err != nil {
			return rec, fmt.Errorf("fee: %w", err)
		}
		if fee.Minor > MaxSettlementMinor {
			return rec, fmt.Errorf("fee %s is more than a settlement report's row may hold", fee.Decimal())
		}
		rec.Fee = &fee.Minor
	}
	if row[6] != "" {
		at, err := parseSettledAt(row[6])
		if err != nil {
			return rec, err
		}
		rec.SettledAt = &at
	}
	return rec, nil
}

// trimZeroDecimals drops the zeros a report writes past its currency's
// decimals ("1419938.00" IDR, "12.500" INR), which change nothing; any
// other digit there is refused by ParseMoney.
func trimZeroDecimals(amount, currency string) string {
	exp, err := Exponent(currency)
	dot := strings.IndexByte(amount, '.')
	if err != nil || dot < 0 {
		return amount
	}
	keep := dot + 1 + exp
	if len(amount) <= keep || strings.Trim(amount[keep:], "0") != "" {
		return amount
	}
	if exp == 0 {
		keep = dot
	}
	return amount[:keep]
}

func parseSettledAt(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("settled_at %q is not a time like 2026-11-20T14:05:00Z", s)
}

// SettledOutsideDay refuses a settlement report uploaded to the business day
// [start, end) with a row settled where no payout of that day can be: before
// the day began (a payout sent that day settles after it was sent) or more
// than SettlementLag after it ended. Such a report is another day's: compared
// with this day it would show false differences, and its cross-day matches
// could close differences of the days around it. A date without a time is
// midnight UTC, so the day's start is eased by 14 hours, the widest zone
// offset. It names the first such row (counting data rows from 1).
func SettledOutsideDay(records []ProviderRecord, start, end time.Time) error {
	day := start.Format("2006-01-02")
	for i, r := range records {
		switch {
		case r.SettledAt == nil:
		case r.SettledAt.Before(start.Add(-14 * time.Hour)):
			return fmt.Errorf("row %d: settled_at %s is before the business day %s began: this is another day's "+
				"report; upload it to its own day", i+1, r.SettledAt.UTC().Format(time.RFC3339), day)
		case r.SettledAt.After(end.Add(SettlementLag)):
			return fmt.Errorf("row %d: settled_at %s is more than %d days after the business day %s: this is another "+
				"day's report; upload it to its own day", i+1, r.SettledAt.UTC().Format(time.RFC3339),
				int(SettlementLag.Hours()/24), day)
		}
	}
	return nil
}

// SettlementLag is how long after its business day a payout sent that day
// may settle and still be in that day's report.
const SettlementLag = 7 * 24 * time.Hour
