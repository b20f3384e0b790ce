package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// fleet runs payops serve instances as child processes of this binary on
// one database, behind one front that spreads requests over the live ones,
// so a drill can kill them, restart them and run two at once. What it did
// is kept, with when, for the report.
type fleet struct {
	env   []string // for every instance, besides its PAYOPS_ADDR
	logs  string   // folder of the instances' logs
	log   *slog.Logger
	start time.Time

	mu     sync.Mutex
	procs  map[string]*child
	addrs  map[string]string
	order  []string
	next   atomic.Uint64
	events []string
}

func newFleet(env []string, logs string, log *slog.Logger) *fleet {
	return &fleet{env: env, logs: logs, log: log, start: time.Now(), procs: map[string]*child{}, addrs: map[string]string{}}
}

// child is one running instance; done closes when it has exited.
type child struct {
	cmd  *exec.Cmd
	done chan struct{}
}

func (f *fleet) event(format string, args ...any) {
	msg := fmt.Sprintf("%6.1fs  ", time.Since(f.start).Seconds()) + fmt.Sprintf(format, args...)
	f.log.Info("drill fleet: " + msg)
	f.mu.Lock()
	f.events = append(f.events, msg)
	f.mu.Unlock()
}

// history is what happened to the instances so far, in order (crashes may
// still be adding to it).
func (f *fleet) history() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.events)
}

// run starts instance name (on the address it had before, if any) and waits
// until it is ready.
func (f *fleet) run(ctx context.Context, name string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	f.mu.Lock()
	addr := f.addrs[name]
	f.mu.Unlock()
	if addr == "" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		addr = ln.Addr().String()
		ln.Close()
	}
	out, err := os.OpenFile(filepath.Join(f.logs, "drill-"+name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(exe, "serve")
	cmd.Env = append(append(os.Environ(), f.env...), "PAYOPS_ADDR="+addr)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		out.Close()
		return fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); out.Close(); close(c.done) }()
	if err := waitReady(ctx, addr, time.Minute, c.done); err != nil {
		cmd.Process.Kill()
		return fmt.Errorf("%s %v (see %s)", name, err, out.Name())
	}
	f.mu.Lock()
	f.procs[name], f.addrs[name] = c, addr
	f.order = append(f.order, name)
	f.mu.Unlock()
	f.event("%s started (pid %d, %s)", name, cmd.Process.Pid, addr)
	return nil
}

// halt stops instance name with sig: SIGKILL is a crash, SIGTERM a
// shutdown. It returns once the process is gone.
func (f *fleet) halt(name string, sig syscall.Signal) {
	f.mu.Lock()
	c := f.procs[name]
	delete(f.procs, name)
	for i, n := range f.order {
		if n == name {
			f.order = append(f.order[:i:i], f.order[i+1:]...)
			break
		}
	}
	f.mu.Unlock()
	if c == nil {
		return
	}
	c.cmd.Process.Signal(sig)
	<-c.done
	what := map[syscall.Signal]string{syscall.SIGKILL: "killed with SIGKILL", syscall.SIGTERM: "stopped"}[sig]
	f.event("%s %s (pid %d)", name, what, c.cmd.Process.Pid)
}

// stopAll stops every instance still running.
func (f *fleet) stopAll() {
	f.mu.Lock()
	names := append([]string(nil), f.order...)
	f.mu.Unlock()
	for _, n := range names {
		f.halt(n, syscall.SIGTERM)
	}
}

// ServeHTTP passes the request to the live instances in turn; when one
// cannot be reached the next is tried, and with none the answer is 503 (the
// API client retries, the sandbox's webhook is lost as under chaos).
func (f *fleet) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))
	if err != nil {
		http.Error(w, "reading the request", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	var addrs []string
	for _, n := range f.order {
		addrs = append(addrs, f.addrs[n])
	}
	f.mu.Unlock()
	start := int(f.next.Add(1))
	for i := range addrs {
		target := &url.URL{Scheme: "http", Host: addrs[(start+i)%len(addrs)]}
		var failed bool
		rp := &httputil.ReverseProxy{
			Rewrite:      func(pr *httputil.ProxyRequest) { pr.SetURL(target) },
			ErrorHandler: func(http.ResponseWriter, *http.Request, error) { failed = true },
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rw := &tryWriter{ResponseWriter: w}
		rp.ServeHTTP(rw, r)
		if !failed || rw.wrote {
			return
		}
	}
	http.Error(w, "no payops instance is up", http.StatusServiceUnavailable)
}

// tryWriter notes whether anything reached the client, so a failed attempt
// can be tried on another instance only when nothing did.
type tryWriter struct {
	http.ResponseWriter
	wrote bool
}

func (t *tryWriter) WriteHeader(code int) { t.wrote = true; t.ResponseWriter.WriteHeader(code) }
func (t *tryWriter) Write(b []byte) (int, error) {
	t.wrote = true
	return t.ResponseWriter.Write(b)
}

// waitReady waits until the payops serving on addr answers /readyz, and
// says why not when it exits first (exited closes) or within passes.
func waitReady(ctx context.Context, addr string, within time.Duration, exited <-chan struct{}) error {
	for deadline := time.Now().Add(within); ; time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get("http://" + addr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return errors.New("stopped before it was ready")
		default:
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return errors.New("did not become ready")
		}
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// crashes is what a drill under make drill does to payops: instance a is
// killed with SIGKILL and restarted once a quarter of the payouts are in,
// instance b joins at half, a is killed and restarted again ten seconds
// into converging, and b stops thirty seconds after that.
func (f *fleet) crashes(ctx context.Context, total int, created *atomic.Int64, converging *atomic.Bool) error {
	crash := func() error {
		f.halt("payops-a", syscall.SIGKILL)
		time.Sleep(time.Second)
		return f.run(ctx, "payops-a")
	}
	var since time.Time
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for step := 0; step < 4; {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		var err error
		switch {
		case step == 0 && created.Load() >= int64(total/4):
			err = crash()
			step++
		case step == 1 && created.Load() >= int64(total/2):
			err = f.run(ctx, "payops-b")
			step++
		case step == 2 && converging.Load():
			if since.IsZero() {
				since = time.Now()
			}
			if time.Since(since) >= 10*time.Second {
				err = crash()
				since = time.Now()
				step++
			}
		case step == 3 && time.Since(since) >= 30*time.Second:
			f.halt("payops-b", syscall.SIGTERM)
			step++
		}
		if err != nil {
			return err
		}
	}
	return nil
}
