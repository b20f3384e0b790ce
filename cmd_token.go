package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"payops/store"
)

// cmdToken manages the platform API's bearer tokens: create prints a new
// token once (only its hash is kept), revoke ends one, list shows them.
func cmdToken(ctx context.Context, verb string, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("token "+verb, flag.ContinueOnError)
	name := fs.String("name", "", "the token's name: who uses it (\"marketplace-prod\")")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if verb != "list" && strings.TrimSpace(*name) == "" {
		return errors.New("token " + verb + " needs --name")
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
		t, err := s.CreateToken(ctx, *name, secret)
		if errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("an active token is called %s already: revoke it first or pick another name", *name)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "token %s created; it is shown once, store it now:\n%s\n", t.Name, secret)
		return nil
	case "revoke":
		t, err := s.RevokeToken(ctx, *name)
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
			fmt.Fprintf(stdout, "%-24s %s…  created %s  %s  %s\n", t.Name, t.Prefix, t.CreatedAt.Format("2006-01-02"), used, state)
		}
		return nil
	}
	return errUsage
}

// newToken returns 256 random bits, readable and marked as a payops token.
