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

// cmdUserChange disables or enables a dashboard user, or changes their
// role. Disabling and a new role end the user's sessions at once, in the
// same transaction; every change is audited as the command line's.
func cmdUserChange(ctx context.Context, verb string, args []string, getenv func(string) string,
	stdout io.Writer) error {
	fs := flag.NewFlagSet("user "+verb, flag.ContinueOnError)
	email := fs.String("email", "", "the user's email")
	roleName := fs.String("role", "", "the new role: ops, finance, compliance or admin (user role only)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if !strings.Contains(*email, "@") {
		return fmt.Errorf("user %s needs --email", verb)
	}
	var role payout.Role
	if verb == "role" {
		var err error
		if role, err = payout.ParseRole(*roleName); err != nil {
			return err
		}
	} else if *roleName != "" {
		return fmt.Errorf("user %s takes no --role", verb)
	}
	s, err := openMigrated(ctx, getenv)
	if err != nil {
		return err
	}
	defer s.Close()
	var c store.UserChange
	cli := store.Actor{Name: "cli"}
	switch verb {
	case "disable":
		c, err = s.DisableUser(ctx, *email, cli)
	case "enable":
		c, err = s.EnableUser(ctx, *email, cli)
	case "role":
		c, err = s.SetUserRole(ctx, *email, role, cli)
	default:
		return errUsage
	}
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("there is no user with email %s", *email)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, userChanged(verb, c))
	return nil
}

// userChanged says what a user command did.
func userChanged(verb string, c store.UserChange) string {
	u := c.User.Email
	switch {
	case !c.Changed && verb == "role":
		return fmt.Sprintf("user %s has role %s already; nothing changed", u, c.User.Role)
	case !c.Changed:
		return fmt.Sprintf("user %s is %sd already; nothing changed", u, verb)
	case verb == "role":
		return fmt.Sprintf("user %s now has role %s; %d sessions ended", u, c.User.Role, c.SessionsEnded)
	case verb == "disable":
		hb := c.HandedBack
		return fmt.Sprintf("user %s disabled; %d sessions ended; %d open holds and %d open cases went to their "+
			"default owners; %d hold reasons or exception kinds they owned have an empty owner to fill "+
			"(/holds/owners)", u, c.SessionsEnded, hb.Holds, hb.Cases, hb.Slots)
	}
	return fmt.Sprintf("user %s enabled", u)
}
