package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"payops/store"
)

// readyBanner is what serve --banner prints once it serves, and make run
// leaves on the screen: where payops is, who can sign in with the demo's
// password, and the command that makes an API token for the sandbox with
// the database address filled in. logFile is where the log goes ("" for
// stderr).
func readyBanner(ctx context.Context, st *store.Store, base, dsn, prog, logFile string) string {
	line := strings.Repeat("─", 78)
	var b strings.Builder
	fmt.Fprintf(&b, "\n%s\n  payops is ready: %s\n\n", line, base)
	logins := demoLogins(ctx, st)
	if len(logins) == 0 {
		fmt.Fprintf(&b, "  No demo users: add one with  %s user add --email E --name N --role admin\n", prog)
	} else {
		fmt.Fprintf(&b, "  Sign in with password %q as:\n", demoPassword)
		for _, u := range logins {
			fmt.Fprintf(&b, "    %-26s %s\n", u.email, u.note)
		}
	}
	dsnShown, hidden := shellDSN(dsn)
	fmt.Fprintf(&b, "\n  An API token for the sandbox (a test token: it sends payouts to the sandbox only), in $TOKEN:\n"+
		"    TOKEN=$(DATABASE_URL=%s %s token create --name me --scope test)\n",
		dsnShown, prog)
	if hidden {
		b.WriteString("    (the database password is hidden: put yours in its place)\n")
	}
	b.WriteString("  or make one on " + base + "/settings/tokens as admin.\n")
	b.WriteString("  Payouts through the sandbox are test data (the demo's holds among them): press Test in\n" +
		"  the header to see them.\n\n")
	if logFile != "" {
		fmt.Fprintf(&b, "  Logs: %s (tail -f %s)    Stop: Ctrl-C\n", logFile, logFile)
	} else {
		b.WriteString("  Stop: Ctrl-C\n")
	}
	b.WriteString(line + "\n")
	return b.String()
}

// bannerOnce returns what prints the banner to stdout once serve listens, with
// --banner; nil without.
func bannerOnce(ctx context.Context, flags serveFlags, stdout io.Writer, st *store.Store, dsn string) func(string) {
	if !flags.banner {
		return nil
	}
	return func(addr string) {
		fmt.Fprint(stdout, readyBanner(ctx, st, selfURL(addr), dsn, programPath(), flags.logFile))
	}
}

// serveLog returns the logger serve logs to: log, or one appending to
// path when it is given (and what closes the file).
func serveLog(path string, log *slog.Logger) (*slog.Logger, func(), error) {
	if path == "" {
		return log, func() {}, nil
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("--log: %w", err)
	}
	return slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelInfo})), func() { f.Close() }, nil
}

type demoLogin struct{ email, note string }

// demoLogins returns the demo users who may sign in with the demo's
// password still: none when this is no demo.
func demoLogins(ctx context.Context, st *store.Store) []demoLogin {
	var out []demoLogin
	for _, d := range demoUsers {
		u, err := st.UserByEmail(ctx, d.email)
		if err != nil || u.DisabledAt != nil || u.Role != d.role ||
			bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(demoPassword)) != nil {
			continue
		}
		out = append(out, demoLogin{email: d.email, note: string(d.role) + d.note})
	}
	return out
}

var dsnPassword = regexp.MustCompile(`(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)`)

// shellDSN quotes dsn for a shell command, with any password in it replaced
// (and says so), since the banner is on a screen.
func shellDSN(dsn string) (string, bool) {
	hidden := false
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "PASSWORD")
			dsn, hidden = u.String(), true
		}
	} else if dsnPassword.MatchString(dsn) {
		dsn, hidden = dsnPassword.ReplaceAllString(dsn, "${1}PASSWORD"), true
	}
	return "'" + strings.ReplaceAll(dsn, "'", `'\''`) + "'", hidden
}

// programPath is how to run this binary from the current folder: bin/payops
// under make run.
func programPath() string {
	exe, err := os.Executable()
	if err != nil {
		return "payops"
	}
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, exe); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return exe
}
