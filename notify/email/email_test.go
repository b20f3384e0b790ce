package email_test

import (
	"context"
	"crypto/x509"
	"io"
	"mime/quotedprintable"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"payops/notify/email"
	"payops/notify/email/smtptest"
)

func TestSend(t *testing.T) {
	srv := smtptest.New(t)
	c, err := email.NewClient(srv.URL("payops@example.com"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Send(context.Background(), "owner@example.com", "Hold #7 is past its SLA — ₹", "Line one\n.dot line\n"); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("messages = %d, want 1", len(msgs))
	}
	m := msgs[0]
	if m.From != "payops@example.com" || len(m.To) != 1 || m.To[0] != "owner@example.com" {
		t.Errorf("envelope = %q -> %q", m.From, m.To)
	}
	if got, want := m.Subject, "Hold #7 is past its SLA — ₹"; got != want {
		t.Errorf("subject = %q, want %q", got, want)
	}
	_, body, _ := strings.Cut(m.Body, "\r\n\r\n")
	decoded, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(body)))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(decoded), "Line one\r\n.dot line\r\n\r\n"; got != want {
		t.Errorf("body = %q, want %q", got, want)
	}
}

func TestSendRefused(t *testing.T) {
	srv := smtptest.New(t)
	srv.Refuse(true)
	c, _ := email.NewClient(srv.URL("payops@example.com"), 5*time.Second)
	err := c.Send(context.Background(), "owner@example.com", "s", "b")
	if err == nil || !strings.Contains(err.Error(), "451") {
		t.Fatalf("err = %v, want the server's 451", err)
	}
}

func TestNewClient(t *testing.T) {
	tests := []struct {
		url, wantErr string
	}{
		{"smtp://user:secret@mail.example.com:587?from=payops@example.com", ""},
		{"smtps://mail.example.com?from=payops@example.com", ""},
		{"http://user:secret@mail.example.com?from=a@b.c", "smtp:// or smtps://"},
		{"smtp://user:secret@mail.example.com", "?from="},
		{"smtp://user:secret@:25?from=a@b.c", "no host"},
		{"smtp://user:sec ret@%zz?from=a@b.c", "not a URL"},
	}
	for _, tt := range tests {
		c, err := email.NewClient(tt.url, time.Second)
		if tt.wantErr == "" {
			if err != nil {
				t.Errorf("NewClient(%q): %v", tt.url, err)
			} else if strings.Contains(c.String(), "secret") {
				t.Errorf("String() = %q shows the password", c.String())
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("NewClient(%q) = %v, want an error saying %q", tt.url, err, tt.wantErr)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("NewClient(%q) error shows the password: %v", tt.url, err)
		}
	}
}

func TestConnectFails(t *testing.T) {
	c, _ := email.NewClient("smtp://user:secret@127.0.0.1:1?from=a@b.c", time.Second)
	err := c.Send(context.Background(), "x@example.com", "s", "b")
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Fatalf("err = %v, want a connect error without the password", err)
	}
}

// A server offering STARTTLS gets the message over TLS, and the account of
// the URL signs in only then.
func TestSendOverSTARTTLSWithAuth(t *testing.T) {
	borrow := httptest.NewTLSServer(http.NotFoundHandler()) // for its certificate, valid for 127.0.0.1
	cert, roots := borrow.TLS.Certificates[0], x509.NewCertPool()
	roots.AddCert(borrow.Certificate())
	borrow.Close()
	srv := smtptest.New(t)
	srv.OfferTLS(cert)
	c, err := email.NewClient("smtp://payops:s3cret@"+srv.Addr+"?from=payops@example.com", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WithRoots(roots).Send(context.Background(), "owner@example.com", "over TLS", "b"); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 || !msgs[0].TLS || msgs[0].Auth != "payops:s3cret" {
		t.Fatalf("messages %+v, want one sent over TLS after AUTH as payops", msgs)
	}

	// Untrusted, the certificate is refused and nothing is sent.
	c, _ = email.NewClient("smtp://payops:s3cret@"+srv.Addr+"?from=payops@example.com", 5*time.Second)
	if err := c.Send(context.Background(), "owner@example.com", "s", "b"); err == nil ||
		!strings.Contains(err.Error(), "STARTTLS") || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("err = %v, want STARTTLS refused without the password", err)
	}
}

// A message the server took (its answer to the data) is sent, whatever
// becomes of the goodbye after it: reported failed, it would go again.
func TestSendTakenThoughQuitIsLost(t *testing.T) {
	srv := smtptest.New(t)
	srv.HangUpAtQuit()
	c, err := email.NewClient(srv.URL("payops@example.com"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Send(context.Background(), "owner@example.com", "Hold #7", "body"); err != nil {
		t.Fatalf("send with the QUIT unanswered: %v, want nil (the message was taken)", err)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("%d messages taken, want 1", n)
	}
}

// Every try of one notice is one message: its Message-ID is made of the
// notice's id and the sender's domain; a message sent without an id gets a
// random one.
func TestSendAsKeepsTheMessageID(t *testing.T) {
	srv := smtptest.New(t)
	c, err := email.NewClient(srv.URL("payops@ops.example.com"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := c.SendAs(context.Background(), "notice-42", "owner@example.com", "Hold #7", "body"); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Send(context.Background(), "owner@example.com", "Hold #8", "body"); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range srv.Messages() {
		for _, line := range strings.Split(m.Body, "\r\n") {
			if v, ok := strings.CutPrefix(line, "Message-ID: "); ok {
				ids = append(ids, v)
			}
		}
	}
	if len(ids) != 3 || ids[0] != "<payops-notice-42@ops.example.com>" || ids[1] != ids[0] || ids[2] == ids[0] ||
		!strings.HasSuffix(ids[2], "@payops>") {
		t.Errorf("Message-IDs %q: want the notice's twice, then a random one", ids)
	}
}
