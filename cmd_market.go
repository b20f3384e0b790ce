package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"payops/payout"
	"payops/store"
)

// cmdMarket manages markets' launch documents: apply loads one or more
// from a JSON file (an object or an array), all or nothing.
func cmdMarket(ctx context.Context, verb string, args []string, getenv func(string) string, stdout io.Writer) error {
	if verb != "apply" {
		return errUsage
	}
	fs := flag.NewFlagSet("market apply", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	accept := fs.Bool("accept-unverified-checklist", false,
		"load a complete document live even when its launch checklist's evidence does not pass")
	actor := fs.String("actor", "cli", "who applies the documents, for the history and the audit log")
	reason := fs.String("reason", "", "why, for the history (default: applied from FILE)")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		return errors.New("market apply needs one FILE.json (a launch document or an array of them)")
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		return fmt.Errorf("market apply: %w", err)
	}
	docs, err := payout.ParseLaunchDocs(data)
	if err != nil {
		return fmt.Errorf("%s: nothing loaded: %w", files[0], err)
	}
	// A document asking to be live while incomplete refuses the whole file
	// before the database is touched.
	for _, d := range docs {
		if err := d.CheckLive(); err != nil {
			return fmt.Errorf("%s: nothing loaded: %w", files[0], err)
		}
	}
	s, err := openMigrated(ctx, getenv)
	if err != nil {
		return err
	}
	defer s.Close()
	opts := store.ApplyOptions{AcceptUnverified: *accept, Reason: *reason}
	if opts.Reason == "" {
		opts.Reason = "applied from " + files[0]
	}
	by := store.Actor{Name: strings.TrimSpace(*actor)}
	if by.Name == "" {
		by.Name = "cli"
	}
	if u, err := s.UserByEmail(ctx, by.Name); err == nil {
		by.UserID = u.ID
	}
	res, err := s.ApplyMarketDocs(ctx, docs, opts, by)
	if err != nil {
		return fmt.Errorf("%s: nothing loaded: %w", files[0], err)
	}
	for _, r := range res {
		what := fmt.Sprintf("unchanged at version %d", r.Version)
		if r.Changed {
			what = fmt.Sprintf("version %d written", r.Version)
		}
		state := fmt.Sprintf("live, %d of 6 checkpoints", r.Ready)
		if !r.Live {
			state = fmt.Sprintf("read-only, %d of 6 checkpoints", r.Ready)
			if len(r.Missing) > 0 {
				state += "; missing " + strings.Join(r.Missing, ", ")
			}
		}
		fmt.Fprintf(stdout, "%s: %s (%s)\n", r.Key, what, state)
	}
	return nil
}

// parseInterspersed parses flags that may come before or after the
// positional arguments, which it returns.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, fmt.Errorf("%s: %w", fs.Name(), err)
		}
		if fs.NArg() == 0 {
			return rest, nil
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
