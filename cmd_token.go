package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"payops/payout"
	"payops/store"
)

// cmdToken manages the platform API's bearer tokens: create prints a new
// token once (only its hash is kept), revoke ends one, list shows them.
// create writes the token alone to stdout and what it is to stderr, so a
// script can take it with TOKEN=$(payops token create ...).
func cmdToken(ctx context.Context, verb string, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("token "+verb, flag.ContinueOnError)
	name := fs.String("name", "", "the token's name: who uses it (\"marketplace-prod\")")
	scope := fs.String("scope", string(payout.ScopeLive), "live (real providers), test (sandbox only) or drills (payops drill)")
	rate := fs.String("rate", "", "requests a second this token may make (default PAYOPS_API_RATE)")
	allow := fs.String("allow", "", "comma-separated addresses or CIDR networks the token is accepted from (default anywhere)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if verb != "list" && strings.TrimSpace(*name) == "" {
		return errors.New("token " + verb + " needs --name")
	}
	spec, err := tokenSpec(*name, *scope, *rate, *allow)
	if verb == "create" && err != nil {
		return err
	}
	s, err := openMigrated(ctx, getenv)
	if err != nil {
		return err
	}
	defer s.Close()
	switch verb {
	case "create":
		secret, err := store.NewToken()
		if err != nil {
			return err
		}
		t, err := s.CreateToken(ctx, spec, secret)
		if errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("an active token is called %s already: revoke it first or pick another name", *name)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "%s token %s created; it is shown once, store it now:\n", t.Scope, t.Name)
		fmt.Fprintln(stdout, secret)
		return nil
	case "revoke":
		t, err := s.RevokeToken(ctx, *name, "")
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("there is no active token called %s", *name)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "token %s (%s…) revoked\n", t.Name, t.Prefix)
		return nil
	case "list":
		tokens, err := s.Tokens(ctx)
		if err != nil {
			return err
		}
		for _, t := range tokens {
			state := "active"
			if t.RevokedAt != nil {
				state = "revoked " + t.RevokedAt.Format("2006-01-02 15:04")
			}
			used := "never used"
			if t.LastUsedAt != nil {
				used = "last used " + t.LastUsedAt.Format("2006-01-02 15:04")
			}
			limits := ""
			if t.RatePerSecond != nil {
				limits += fmt.Sprintf("  %d/s", *t.RatePerSecond)
			}
			if len(t.AllowFrom) > 0 {
				limits += "  from " + strings.Join(t.AllowFrom, ",")
			}
			fmt.Fprintf(stdout, "%-24s %-6s %s…  created %s  %s  %s%s\n", t.Name, t.Scope, t.Prefix,
				t.CreatedAt.Format("2006-01-02"), used, state, limits)
		}
		return nil
	}
	return errUsage
}

// tokenSpec checks a token's flags as the dashboard checks its form: the
// name, the scope, the rate and the allowed networks.
func tokenSpec(name, scope, rate, allow string) (store.TokenSpec, error) {
	var spec store.TokenSpec
	var err error
	if spec.Name, err = payout.ParseTokenName(name); err != nil {
		return spec, fmt.Errorf("--name: %w", err)
	}
	if spec.Scope, err = payout.ParseScope(scope); err != nil {
		return spec, err
	}
	if spec.RatePerSecond, err = payout.ParseTokenRate(rate); err != nil {
		return spec, fmt.Errorf("--rate: %w", err)
	}
	if spec.AllowFrom, err = payout.ParseNetworks(allow); err != nil {
		return spec, fmt.Errorf("--allow: %w", err)
	}
	return spec, nil
}
