package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"payops/payout"
	"payops/store"
	"payops/store/pgcluster"
)

// cmdDB starts or stops the private PostgreSQL cluster that `make run` uses
// when no DATABASE_URL is given. start prints the DSN of database payops.
func cmdDB(verb string, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("db", flag.ContinueOnError)
	dir := fs.String("dir", ".data/postgres", "the cluster's data folder")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	c, err := pgcluster.New(*dir, false)
	if err != nil {
		return err
	}
	switch verb {
	case "start":
		dsn, err := c.Start("payops")
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, dsn)
		return nil
	case "stop":
		return c.Stop()
	}
	return errUsage
}

// openStore opens DATABASE_URL.
func openStore(getenv func(string) string) (*store.Store, error) {
	dsn := getenv("DATABASE_URL")
	if dsn == "" {
		return nil, errors.New("DATABASE_URL is not set (make run sets it to a private cluster)")
	}
	return store.Open(dsn)
}

// openMigrated opens DATABASE_URL and applies pending migrations, for
// commands that write.
func openMigrated(ctx context.Context, getenv func(string) string) (*store.Store, error) {
	s, err := openStore(getenv)
	if err != nil {
		return nil, err
	}
	if _, err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func cmdMigrate(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	s, err := openStore(getenv)
	if err != nil {
		return err
	}
	defer s.Close()
	n, err := s.Migrate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "migrations applied: %d\n", n)
	return nil
}

// cmdUserAdd adds a dashboard user; the password is the first line of stdin,
// so it never appears in a process list or shell history.
func cmdUserAdd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	email := fs.String("email", "", "the user's email, used to sign in")
	name := fs.String("name", "", "the user's name")
	roleName := fs.String("role", "", "ops, finance, compliance or admin")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	role, err := payout.ParseRole(*roleName)
	if err != nil {
		return err
	}
	addr, err := payout.ParseEmail(*email)
	if err != nil {
		return fmt.Errorf("--email: %w", err)
	}
	person, err := payout.ParseUserName(*name)
	if err != nil {
		return fmt.Errorf("--name: %w", err)
	}
	line, err := readLine(stdin)
	if err != nil {
		return err
	}
	if err := payout.CheckPassword(line); err != nil {
		return fmt.Errorf("password (read from stdin): %w", err)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(line), bcrypt.DefaultCost)
	if err != nil {
		return err
	}
	s, err := openMigrated(ctx, getenv)
	if err != nil {
		return err
	}
	defer s.Close()
	_, err = s.AddUser(ctx, store.User{Email: addr, Name: person, Role: role, PasswordHash: string(hash)},
		store.Actor{Name: "cli"}, nil)
	if errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("a user with email %s exists already", addr)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "user %s added with role %s\n", addr, role)
	return nil
}

func readLine(r io.Reader) (string, error) {
	var b strings.Builder
	buf := make([]byte, 1)
	for {
		n, err := r.Read(buf)
		if n == 1 {
			if buf[0] == '\n' {
				break
			}
			b.WriteByte(buf[0])
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
	}
	return strings.TrimRight(b.String(), "\r"), nil
}
