package store

import (
	"context"
	"fmt"
	"time"

	"payops/payout"
)

// Report returns the settlement report the version was made from, if known.
func (r ReconRun) Report() *ReportFile {
	if r.ReportName == nil || r.ReportSHA256 == nil || r.ReportBytes == nil {
		return nil
	}
	return &ReportFile{Name: *r.ReportName, SHA256: *r.ReportSHA256, Bytes: *r.ReportBytes}
}

// ReportFile is an uploaded settlement report as a file: its name as the
// browser gave it, its SHA-256 in hex and its size.
type ReportFile struct {
	Name   string
	SHA256 string
	Bytes  int64
}

// LatestUpload returns the provider's records of the latest version of a
// day reconciled from an uploaded settlement report, with the report's file
// when known, or ErrNotFound.
func (s *Store) LatestUpload(ctx context.Context, provider string, date time.Time) ([]payout.ProviderRecord, *ReportFile, error) {
	var run struct {
		ReconRun
		Records []byte `db:"records"`
	}
	err := s.db.GetContext(ctx, &run, `SELECT records, report_name, report_sha256, report_bytes FROM recon_runs
		WHERE provider = $1 AND business_date = $2::date AND source = 'upload' ORDER BY version DESC LIMIT 1`, provider, date)
	if err != nil {
		return nil, nil, fmt.Errorf("store: settlement report of %s %s: %w", provider, date.Format("2006-01-02"), mapErr(err))
	}
	records, err := unpackRecords(run.Records)
	if err != nil {
		return nil, nil, fmt.Errorf("store: settlement report of %s %s: %w", provider, date.Format("2006-01-02"), err)
	}
	return records, run.Report(), nil
}

// ReconRecords returns the provider's records version runID compared, in
// the order they came (the list's, or the report's rows).
func (s *Store) ReconRecords(ctx context.Context, runID int64) ([]payout.ProviderRecord, error) {
	var data []byte
	if err := s.db.GetContext(ctx, &data, `SELECT records FROM recon_runs WHERE id = $1`, runID); err != nil {
		return nil, fmt.Errorf("store: records of reconciliation %d: %w", runID, mapErr(err))
	}
	records, err := unpackRecords(data)
	if err != nil {
		return nil, fmt.Errorf("store: records of reconciliation %d: %w", runID, err)
	}
	return records, nil
}
