package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// payops is bin/payops serve running as a child process on a database of
// the bench cluster.
type payops struct {
	bin  string
	dsn  string
	base string // http://127.0.0.1:port
	cmd  *exec.Cmd
	done chan error // closed when the process has ended
	once sync.Once
}

// serve starts bin/payops serve on dsn with the extra settings in vars,
// logging to logPath, and returns once /readyz answers.
func serve(ctx context.Context, bin, dsn, logPath string, vars map[string]string) (*payops, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	key := make([]byte, 32)
	rand.Read(key)
	env := map[string]string{"DATABASE_URL": dsn, "PAYOPS_ADDR": addr, "PAYOPS_SESSION_KEY": hex.EncodeToString(key)}
	for k, v := range vars {
		env[k] = v
	}
	log, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer log.Close()
	cmd := exec.Command(bin, "serve")
	cmd.Env = childEnv(env)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &payops{bin: bin, dsn: dsn, base: "http://" + addr, cmd: cmd, done: make(chan error)}
	go func() {
		cmd.Wait()
		close(p.done)
	}()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get(p.base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		select {
		case <-p.done:
			return nil, fmt.Errorf("payops serve stopped (%s); see %s", cmd.ProcessState, logPath)
		case <-ctx.Done():
			p.stop()
			return nil, ctx.Err()
		default:
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("payops serve was not ready within a minute; see %s", logPath)
		}
	}
}

// watch returns ctx, cancelled with an error saying so if serve ends
// before the returned stop is called (stop returns that error, if any): a
// load that goes on against a server that is gone measures nothing.
func (p *payops) watch(ctx context.Context) (context.Context, func() error) {
	ctx, cancel := context.WithCancelCause(ctx)
	quit := make(chan struct{})
	go func() {
		select {
		case <-p.done:
			cancel(fmt.Errorf("payops serve ended during the run (%s)", p.cmd.ProcessState))
		case <-quit:
		}
	}()
	var once sync.Once
	return ctx, func() error {
		once.Do(func() { close(quit) })
		err := context.Cause(ctx)
		cancel(nil)
		return err
	}
}

// childEnv is this process's environment without payops' own settings,
// with vars added.
func childEnv(vars map[string]string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k == "DATABASE_URL" || strings.HasPrefix(k, "PAYOPS_") {
			continue
		}
		env = append(env, kv)
	}
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	return env
}

// peakRSS returns the process's peak resident set size so far (VmHWM), in
// bytes.
func (p *payops) peakRSS() (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("no VmHWM in /proc status")
}

// stop ends serve as a terminal's Ctrl-C would, and kills it if it does
// not stop within 15 seconds. Stopping it again does nothing.
func (p *payops) stop() {
	p.once.Do(func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(15 * time.Second):
			p.cmd.Process.Kill()
			<-p.done
		}
	})
}

// addUser adds a dashboard user with payops user add, the password on
// stdin as the command wants it.
func (p *payops) addUser(email, role, password string) error {
	cmd := exec.Command(p.bin, "user", "add", "--email", email, "--name", "Bench "+role, "--role", role)
	cmd.Env = childEnv(map[string]string{"DATABASE_URL": p.dsn})
	cmd.Stdin = strings.NewReader(password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("payops user add: %w: %s", err, out)
	}
	return nil
}

// login signs in through the sign-in form and returns a client carrying the
// session cookie.
func (p *payops) login(email, password string, conns int) (*http.Client, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		Transport:     &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(p.base+"/login", url.Values{"email": {email}, "password": {password}, "next": {"/"}})
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("sign-in as %s answered %d, want 303", email, resp.StatusCode)
	}
	u, _ := url.Parse(p.base)
	if len(jar.Cookies(u)) == 0 {
		return nil, fmt.Errorf("sign-in as %s set no session cookie", email)
	}
	return c, nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
