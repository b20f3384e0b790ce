package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"

	"payops/payout"
)

// historyConfig reads the settings of the partitioned history tables:
// PAYOPS_PARTITIONS_AHEAD, PAYOPS_ARCHIVE_DIR and PAYOPS_RETENTION.
func historyConfig(c *config, getenv func(string) string) error {
	var errs []error
	var err error
	ahead := or(getenv("PAYOPS_PARTITIONS_AHEAD"), "3")
	if c.PartitionsAhead, err = strconv.Atoi(ahead); err != nil || c.PartitionsAhead < 1 || c.PartitionsAhead > 24 {
		errs = append(errs, fmt.Errorf("PAYOPS_PARTITIONS_AHEAD must be a whole number of months from 1 to 24, not %q", ahead))
	}
	if dir := getenv("PAYOPS_ARCHIVE_DIR"); dir != "" {
		if c.ArchiveDir, err = filepath.Abs(dir); err != nil {
			errs = append(errs, fmt.Errorf("PAYOPS_ARCHIVE_DIR %q: %w", dir, err))
		}
	}
	if c.Retention, err = payout.ParseRetention(or(getenv("PAYOPS_RETENTION"), payout.DefaultRetention)); err != nil {
		errs = append(errs, fmt.Errorf("PAYOPS_RETENTION: %w", err))
	}
	return errors.Join(errs...)
}
