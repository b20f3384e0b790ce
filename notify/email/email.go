// Package email sends plain-text email over SMTP: STARTTLS when the server
// offers it (smtp://), TLS from the start with smtps://, and the account
// of the URL when one is given. It knows nothing of payops' store.
package email

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"strings"
	"time"
)

// Client sends email through one SMTP server.
type Client struct {
	addr     string // host:port
	host     string
	user     string
	password string
	from     string
	tls      bool // TLS from the start (smtps)
	timeout  time.Duration
	roots    *x509.CertPool // nil: the system's
}

// NewClient returns a client for an SMTP URL such as
// smtp://user:pass@host:587?from=payops@example.com (smtps:// for TLS from
// the start; port 25, or 465 for smtps, when none is given). Each Send
// gives up after timeout. Errors never repeat the URL: it may hold a
// password.
func NewClient(rawURL string, timeout time.Duration) (*Client, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("email: the SMTP URL is not a URL such as smtp://user:pass@host:587?from=payops@example.com")
	}
	c := &Client{host: u.Hostname(), timeout: timeout}
	port := u.Port()
	switch u.Scheme {
	case "smtp":
		port = or(port, "25")
	case "smtps":
		port, c.tls = or(port, "465"), true
	default:
		return nil, fmt.Errorf("email: the SMTP URL must start smtp:// or smtps://, not %q", u.Scheme+"://")
	}
	if c.host == "" {
		return nil, errors.New("email: the SMTP URL names no host")
	}
	c.addr = net.JoinHostPort(c.host, port)
	if u.User != nil {
		c.user = u.User.Username()
		c.password, _ = u.User.Password()
	}
	from, err := mail.ParseAddress(u.Query().Get("from"))
	if err != nil {
		return nil, errors.New("email: the SMTP URL needs ?from= with the address payops sends from")
	}
	c.from = from.Address
	return c, nil
}

// WithRoots makes the client trust the certificates of roots instead of
// the system's (a private CA; tests) and returns it.
func (c *Client) WithRoots(roots *x509.CertPool) *Client {
	c.roots = roots
	return c
}

// From returns the address mail is sent from.
func (c *Client) From() string { return c.from }

// String names the server without its password, for logs.
func (c *Client) String() string {
	if c.user != "" {
		return c.user + "@" + c.addr
	}
	return c.addr
}

// Send sends one plain-text message to one address. The error says which
// step failed (connect, starttls, auth, mail, rcpt, data), never the
// password.
func (c *Client) Send(ctx context.Context, to, subject, body string) error {
	return c.SendAs(ctx, "", to, subject, body)
}

// SendAs is Send with the message's own id: every try of one notice goes
// out as one message (a mail server or a reader drops the repeat of a try
// that went through unanswered). The id is made unique to this sender by
// the From address's domain; "" is a random one.
func (c *Client) SendAs(ctx context.Context, id, to, subject, body string) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", c.addr)
	if err != nil {
		return fmt.Errorf("email: connect %s: %w", c.addr, err)
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	if c.tls {
		conn = tls.Client(conn, &tls.Config{ServerName: c.host, RootCAs: c.roots})
	}
	sc, err := smtp.NewClient(conn, c.host)
	if err != nil {
		return fmt.Errorf("email: greeting from %s: %w", c.addr, err)
	}
	defer sc.Close()
	if err := c.hello(sc); err != nil {
		return err
	}
	msg, err := message(c.from, id, to, subject, body)
	if err != nil {
		return err
	}
	if err := sc.Mail(c.from); err != nil {
		return fmt.Errorf("email: MAIL FROM: %w", err)
	}
	if err := sc.Rcpt(to); err != nil {
		if te, ok := errors.AsType[*textproto.Error](err); ok && badMailbox(te) {
			return &RecipientRefused{To: to, err: err}
		} else if ok && te.Code >= 400 && te.Code < 500 {
			return &RecipientDeferred{To: to, err: err}
		}
		return fmt.Errorf("email: RCPT TO %s: %w", to, err)
	}
	w, err := sc.Data()
	if err != nil {
		return fmt.Errorf("email: DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("email: DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("email: DATA: %w", err)
	}
	// The server took the message (its answer to the data): a QUIT that
	// fails after it changes nothing, and reporting it would send the
	// message again at the next run.
	_ = sc.Quit()
	return nil
}

// RecipientRefused is the server refusing an address for good (a 5xx
// answer to RCPT TO: no such mailbox): trying again will not help, and the
// server is fine for other addresses.
type RecipientRefused struct {
	To  string
	err error
}

func (e *RecipientRefused) Error() string { return fmt.Sprintf("email: RCPT TO %s: %v", e.To, e.err) }
func (e *RecipientRefused) Unwrap() error { return e.err }

// Permanent reports that sending again will fail the same way.
func (e *RecipientRefused) Permanent() bool { return true }

// RecipientDeferred is the server's "not now" (4xx) to one recipient — a
// full mailbox, greylisting: that message is tried again later, and the
// server is not down for the others.
type RecipientDeferred struct {
	To  string
	err error
}

func (e *RecipientDeferred) Error() string { return fmt.Sprintf("email: RCPT TO %s: %v", e.To, e.err) }
func (e *RecipientDeferred) Unwrap() error { return e.err }

// RecipientOnly reports that the failure is this recipient's, not the
// server's.
func (e *RecipientDeferred) RecipientOnly() bool { return true }

// hello greets, moves to TLS when the server offers it, and signs in when
// the URL has an account (net/smtp refuses PLAIN over an unencrypted link
// except to localhost, so a password never crosses a network in the clear).
func (c *Client) hello(sc *smtp.Client) error {
	if err := sc.Hello("payops"); err != nil {
		return fmt.Errorf("email: EHLO: %w", err)
	}
	if ok, _ := sc.Extension("STARTTLS"); ok && !c.tls {
		if err := sc.StartTLS(&tls.Config{ServerName: c.host, RootCAs: c.roots}); err != nil {
			return fmt.Errorf("email: STARTTLS: %w", err)
		}
	}
	if c.user == "" {
		return nil
	}
	if err := sc.Auth(smtp.PlainAuth("", c.user, c.password, c.host)); err != nil {
		return fmt.Errorf("email: AUTH as %s: %w", c.user, err)
	}
	return nil
}

// message is the RFC 5322 message: headers (the subject encoded when not
// ASCII, with no line breaks) and the body as quoted-printable UTF-8.
func message(from, id, to, subject, body string) ([]byte, error) {
	if _, err := mail.ParseAddress(to); err != nil {
		return nil, fmt.Errorf("email: %q is not an email address", to)
	}
	subject = strings.Join(strings.Fields(subject), " ")
	var msgID string
	if _, domain, _ := strings.Cut(from, "@"); id != "" {
		msgID = "payops-" + id + "@" + domain
	} else {
		random := make([]byte, 12)
		_, _ = rand.Read(random)
		msgID = hex.EncodeToString(random) + "@payops"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s>\r\n", from, to,
		mime.QEncoding.Encode("utf-8", subject), time.Now().Format(time.RFC1123Z), msgID)
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: quoted-printable\r\n\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(strings.ReplaceAll(body, "\n", "\r\n"))); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	b.WriteString("\r\n")
	return []byte(b.String()), nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// badMailbox reports whether a refusal at RCPT TO is about the address
// itself (550/551/553: no such mailbox, not local, a bad name), which no
// retry mends. Another 5xx — a relay refused (554 5.7.1), a policy, a
// server that now wants authentication — is about the server: every
// address would be refused alike, so it is the server's failure, retried,
// never each notice given up one by one.
func badMailbox(e *textproto.Error) bool {
	return (e.Code == 550 || e.Code == 551 || e.Code == 553) && !strings.HasPrefix(e.Msg, "5.7.")
}
