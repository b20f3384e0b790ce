// Package smtptest is an SMTP server for tests: it speaks enough SMTP
// (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT; STARTTLS and AUTH PLAIN
// once given a certificate) to take mail from net/smtp and keeps every
// message it takes.
package smtptest

import (
	"bufio"
	"crypto/tls"
	"encoding/base64"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
)

// Message is one message the server took.
type Message struct {
	TLS     bool   // sent after STARTTLS
	Auth    string // "user:password" signed in with, if any
	From    string
	To      []string
	Subject string // decoded
	Body    string // the message as sent, headers and all
}

// Server is a running test SMTP server.
type Server struct {
	Addr string // host:port

	ln      net.Listener
	mu      sync.Mutex
	msgs    []Message
	refuse  bool
	unknown map[string]bool // addresses RCPT refuses with 550
	full    map[string]bool // addresses RCPT defers with 452
	cert    *tls.Certificate
	wg      sync.WaitGroup
	closing bool
	hangUp  bool // close the connection at QUIT without answering
}

// HangUpAtQuit makes the server close the connection at QUIT without its
// 221: the message was taken, the goodbye lost.
func (s *Server) HangUpAtQuit() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hangUp = true
}

// New starts a server on a free loopback port; it stops when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: ln.Addr().String(), ln: ln}
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(s.Close)
	return s
}

// URL returns the PAYOPS_SMTP_URL of the server, sending from from.
func (s *Server) URL(from string) string { return "smtp://" + s.Addr + "?from=" + from }

// OfferTLS makes the server offer STARTTLS with cert, and AUTH PLAIN
// once in TLS.
func (s *Server) OfferTLS(cert tls.Certificate) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cert = &cert
}

// NoSuchMailbox makes the server refuse addr at RCPT TO, for good (550).
func (s *Server) NoSuchMailbox(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.unknown == nil {
		s.unknown = map[string]bool{}
	}
	s.unknown[addr] = true
}

// MailboxFull makes the server defer addr at RCPT TO (452: try later).
func (s *Server) MailboxFull(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.full == nil {
		s.full = map[string]bool{}
	}
	s.full[addr] = true
}

// Refuse makes the server refuse every message (451 to MAIL) until called
// with false.
func (s *Server) Refuse(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = on
}

// Messages returns the messages taken so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Close stops the server and waits for its sessions.
func (s *Server) Close() {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	s.ln.Close()
	s.wg.Wait()
}

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer conn.Close()
			s.session(conn)
		}()
	}
}

func (s *Server) session(conn net.Conn) {
	r := bufio.NewReader(conn)
	say := func(line string) { _, _ = conn.Write([]byte(line + "\r\n")) }
	say("220 smtptest ready")
	var m, sess Message // sess: what holds for every message of the session (TLS, AUTH)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		s.mu.Lock()
		refuse, cert, unknown, full := s.refuse, s.cert, s.unknown[addr(line)], s.full[addr(line)]
		s.mu.Unlock()
		switch verb {
		case "EHLO":
			switch {
			case cert != nil && !sess.TLS:
				say("250-smtptest")
				say("250 STARTTLS")
			case sess.TLS:
				say("250-smtptest")
				say("250 AUTH PLAIN")
			default:
				say("250 smtptest")
			}
		case "STARTTLS":
			if cert == nil || sess.TLS {
				say("502 not here")
				continue
			}
			say("220 go ahead")
			tc := tls.Server(conn, &tls.Config{Certificates: []tls.Certificate{*cert}})
			if tc.Handshake() != nil {
				return
			}
			conn, r, sess.TLS = tc, bufio.NewReader(tc), true
		case "AUTH":
			sess.Auth = plain(line)
			say("235 signed in")
		case "HELO", "NOOP":
			say("250 ok")
		case "RSET":
			m = Message{}
			say("250 ok")
		case "MAIL":
			if refuse {
				say("451 try again later")
				continue
			}
			m = Message{TLS: sess.TLS, Auth: sess.Auth, From: addr(line)}
			say("250 ok")
		case "RCPT":
			if unknown {
				say("550 no such mailbox")
				continue
			}
			if full {
				say("452 mailbox full, try later")
				continue
			}
			m.To = append(m.To, addr(line))
			say("250 ok")
		case "DATA":
			say("354 go on")
			s.take(m, readData(r))
			say("250 taken")
		case "QUIT":
			s.mu.Lock()
			hangUp := s.hangUp
			s.mu.Unlock()
			if !hangUp {
				say("221 bye")
			}
			return
		default:
			say("502 not here")
		}
	}
}

// take keeps message m with its data.
func (s *Server) take(m Message, data string) {
	m.Body = data
	if msg, err := mail.ReadMessage(strings.NewReader(data)); err == nil {
		m.Subject, _ = new(mimeDecoder).decode(msg.Header.Get("Subject"))
	}
	s.mu.Lock()
	s.msgs = append(s.msgs, m)
	s.mu.Unlock()
}

// plain is "user:password" of "AUTH PLAIN <base64 of \0user\0password>".
func plain(line string) string {
	f := strings.Fields(line)
	if len(f) < 3 {
		return ""
	}
	b, _ := base64.StdEncoding.DecodeString(f[2])
	parts := strings.Split(string(b), "\x00")
	if len(parts) != 3 {
		return ""
	}
	return parts[1] + ":" + parts[2]
}

// addr is the address in "MAIL FROM:<a@b>" or "RCPT TO:<a@b>".
func addr(line string) string {
	i, j := strings.Index(line, "<"), strings.LastIndex(line, ">")
	if i < 0 || j < i {
		return ""
	}
	return line[i+1 : j]
}

// readData reads the message up to the line with a single dot, undoing
// dot-stuffing.
func readData(r *bufio.Reader) string {
	var b strings.Builder
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return b.String()
		}
		if strings.TrimRight(line, "\r\n") == "." {
			return b.String()
		}
		b.WriteString(strings.TrimPrefix(line, "."))
	}
}
