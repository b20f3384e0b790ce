// Command payops is the payout operations service: the operator dashboard,
// the JSON API and webhook endpoint, the jobs, and the sandbox provider.
//
//	payops serve      migrate, then serve HTTP and run the jobs
//	payops migrate    apply pending migrations
//	payops user add   add a dashboard user (password on stdin)
//	payops user disable|enable|role   disable or enable a user, or change their role (ends their sessions)
//	payops token create|revoke|list   manage the platform API's bearer tokens
//	payops endpoint add|list|disable|enable   manage the outbound webhook endpoints
//	payops market apply FILE.json   load markets' launch documents, all or nothing
//	payops demo       load idempotent demo data
//	payops sandbox    run the sandbox provider on its own
//	payops drill      run a failure drill (on a running payops, or --supervise one of its own)
//	payops archive list|restore   archived months of history; load one back
//	payops db start   start the private PostgreSQL cluster, print its DSN
//	payops db stop    stop it
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "payops:", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage: payops serve|migrate|user add|user disable|user enable|user role|" +
	"token create|token revoke|token list|endpoint add|endpoint list|endpoint disable|endpoint enable|market apply|demo|sandbox|" +
	"drill|db start|db stop|archive list|archive restore FILE [flags]")

// run is the whole program, with its inputs passed in so tests can run it.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if len(args) == 0 {
		return errUsage
	}
	switch args[0] {
	case "serve":
		return cmdServe(ctx, args[1:], getenv, stdout, log)
	case "migrate":
		return cmdMigrate(ctx, getenv, stdout)
	case "user":
		if len(args) < 2 {
			return errUsage
		}
		switch args[1] {
		case "add":
			return cmdUserAdd(ctx, args[2:], getenv, stdin, stdout)
		case "disable", "enable", "role":
			return cmdUserChange(ctx, args[1], args[2:], getenv, stdout)
		}
		return errUsage
	case "token":
		if len(args) < 2 {
			return errUsage
		}
		return cmdToken(ctx, args[1], args[2:], getenv, stdout, stderr)
	case "endpoint":
		if len(args) < 2 {
			return errUsage
		}
		return cmdEndpoint(ctx, args[1], args[2:], getenv, stdout, stderr)
	case "market":
		if len(args) < 2 {
			return errUsage
		}
		return cmdMarket(ctx, args[1], args[2:], getenv, stdout)
	case "demo":
		return cmdDemo(ctx, getenv, stdout)
	case "sandbox":
		return cmdSandbox(ctx, args[1:], getenv, log)
	case "drill":
		return cmdDrill(ctx, args[1:], getenv, stdout, log)
	case "archive":
		if len(args) < 2 {
			return errUsage
		}
		return cmdArchive(ctx, args[1], args[2:], getenv, stdout)
	case "db":
		if len(args) < 2 {
			return errUsage
		}
		return cmdDB(args[1], args[2:], stdout)
	}
	return errUsage
}
