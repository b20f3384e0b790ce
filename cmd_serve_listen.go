package main

import (
	"context"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"time"
)

// listenAndServe serves h on addr until ctx ends; ready, when not nil, is
// called with the address listened on once connections are accepted.
func listenAndServe(ctx context.Context, addr string, h http.Handler, ready func(addr string)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(ln.Addr().String())
	}
	// MaxHeaderBytes: a browser's cookies and a provider's signature need
	// a few KiB; the default (1 MiB) let any sender make each request large.
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return hs.Shutdown(shutdown)
	}
}

// serveOn serves h on addr in the background and returns its base URL.
func serveOn(ctx context.Context, addr string, h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, err
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	return "http://" + ln.Addr().String(), func() { hs.Close() }, nil
}

// selfURL is how this process reaches its own listening address addr
// ("0.0.0.0:8080" or ":8080" through the loopback).
func selfURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// instanceName names this payops among several: its host and the address
// it serves on, the same across its restarts.
func instanceName(addr string) string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown-host"
	}
	return host + "/" + addr
}

// buildVersion is the commit payops was built from, as Go records it
// ("3b90c98d1e2f", "+ changes" when the tree had uncommitted ones), or
// "unknown" (a build outside a checkout).
func buildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	rev, modified := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value[:min(12, len(s.Value))]
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev == "" {
		return "unknown"
	}
	if modified {
		rev += " + changes"
	}
	return rev
}
