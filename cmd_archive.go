package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"payops/store"
)

// cmdArchive reads the history archive: list shows every archived month
// with its file, rows and checksum; restore FILE loads one archived month
// back, into a side table restored_<table>_pYYYYMM, for an investigation.
func cmdArchive(ctx context.Context, verb string, args []string, getenv func(string) string, stdout io.Writer) error {
	switch {
	case verb == "list" && len(args) == 0:
	case verb == "restore" && len(args) == 1:
	default:
		return errUsage
	}
	s, err := openMigrated(ctx, getenv)
	if err != nil {
		return err
	}
	defer s.Close()
	if verb == "restore" {
		a, err := s.RestoreArchive(ctx, args[0])
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s: no such file", args[0])
		}
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%s is no archive this database recorded: none has its checksum (payops archive list shows them)", args[0])
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s of %s restored: %d rows, SHA-256 checked, in table %s (append-only; DROP TABLE %s when done)\n",
			a.Table, a.Month.Format("2006-01"), a.Rows, *a.RestoredTable, *a.RestoredTable)
		if a.ColumnsChanged != "" {
			fmt.Fprintln(stdout, a.ColumnsChanged)
		}
		return nil
	}
	list, err := s.Archives(ctx)
	if err != nil {
		return err
	}
	for _, a := range list {
		restored := ""
		if a.RestoredTable != nil {
			restored = "  restored in " + *a.RestoredTable
		}
		fmt.Fprintf(stdout, "%s  %-18s %9d rows  %s  sha256 %s%s\n", a.Month.Format("2006-01"), a.Table, a.Rows, a.File,
			a.SHA256, restored)
	}
	return nil
}
