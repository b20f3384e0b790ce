package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// ReconOpenDay is a provider's business day whose latest version still has
// open differences.
type ReconOpenDay struct {
	Provider     string    `db:"provider"`
	BusinessDate time.Time `db:"business_date"`
	Open         int       `db:"open"`
}

// OpenDaysBefore returns the business days before date whose latest version
// still has open differences, of provider ("" for every provider), oldest
// first, with how many are open on each: the differences carried forward
// into date. Older versions' differences are not counted: a new version
// takes its day's place.
func (s *Store) OpenDaysBefore(ctx context.Context, provider string, date time.Time) ([]ReconOpenDay, error) {
	var out []ReconOpenDay
	err := s.db.SelectContext(ctx, &out, `
		SELECT r.provider, r.business_date, count(*) AS open
		FROM recon_runs r JOIN recon_diffs d ON d.run_id = r.id AND d.resolution = 'open'
		WHERE r.business_date < $1::date AND ($2 = '' OR r.provider = $2)
			AND r.version = (SELECT max(version) FROM recon_runs l
				WHERE l.provider = r.provider AND l.business_date = r.business_date)
		GROUP BY r.provider, r.business_date
		ORDER BY r.business_date, r.provider`, date, provider)
	if err != nil {
		return nil, fmt.Errorf("store: open differences before %s: %w", date.Format("2006-01-02"), err)
	}
	return out, nil
}

// RefusedUpload is a settlement report someone tried to upload for a day
// and payops refused, as the audit log keeps it.
type RefusedUpload struct {
	ID       int64
	At       time.Time
	Actor    string
	Provider string
	Date     time.Time
	File     string // the name the browser gave
	Reason   string // what was wrong: "line 3: …"
}

// RecordRefusedUpload writes a refused settlement report to the audit log
// (recon.upload_refused, on its day) and returns the entry's id, which the
// day's page is sent to after the refusal.
func (s *Store) RecordRefusedUpload(ctx context.Context, provider string, date time.Time, by Actor,
	file, reason string) (int64, error) {
	b, err := json.Marshal(map[string]string{"file": file, "reason": reason})
	if err != nil {
		return 0, fmt.Errorf("store: refused upload: %w", err)
	}
	var id int64
	err = s.db.GetContext(ctx, &id, `INSERT INTO audit_log (actor, action, entity_type, entity_id, details)
		VALUES ($1, 'recon.upload_refused', 'recon', $2, $3) RETURNING id`,
		by.Name, provider+"/"+date.Format("2006-01-02"), jsonArg(b))
	if err != nil {
		return 0, fmt.Errorf("store: refused upload of %s %s: %w", provider, date.Format("2006-01-02"), err)
	}
	return id, nil
}

// RefusedUploadByID returns the refused upload audit entry id records;
// ErrNotFound when that entry is not one.
func (s *Store) RefusedUploadByID(ctx context.Context, id int64) (RefusedUpload, error) {
	var row struct {
		ID     int64     `db:"id"`
		At     time.Time `db:"at"`
		Actor  string    `db:"actor"`
		Entity string    `db:"entity_id"`
		File   string    `db:"file"`
		Reason string    `db:"reason"`
	}
	err := s.db.GetContext(ctx, &row, `SELECT id, at, actor, entity_id, coalesce(details->>'file', '') AS file,
			coalesce(details->>'reason', '') AS reason
		FROM audit_log WHERE id = $1 AND action = 'recon.upload_refused'`, id)
	if err != nil {
		return RefusedUpload{}, fmt.Errorf("store: refused upload %d: %w", id, mapErr(err))
	}
	i := strings.LastIndex(row.Entity, "/")
	if i < 0 {
		return RefusedUpload{}, fmt.Errorf("store: refused upload %d names no day: %q", id, row.Entity)
	}
	date, err := time.Parse("2006-01-02", row.Entity[i+1:])
	if err != nil {
		return RefusedUpload{}, fmt.Errorf("store: refused upload %d: %w", id, err)
	}
	return RefusedUpload{ID: row.ID, At: row.At, Actor: row.Actor, Provider: row.Entity[:i], Date: date, File: row.File,
		Reason: row.Reason}, nil
}
