// Package chat posts messages to chat webhooks that take Slack-compatible
// JSON ({"text": "..."}): Slack, Mattermost, Rocket.Chat, Google Chat and
// others. It follows no redirect and knows nothing of payops' store.
package chat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// Client posts to chat webhooks.
type Client struct {
	http *http.Client
}

// NewClient returns a client whose posts give up after timeout and never
// follow a redirect (a webhook URL that redirects is a mistake or a trap),
// connecting through transport (nil: Go's default). payops passes
// outbound.Transport, which connects only to the addresses its endpoint
// policy allows.
func NewClient(timeout time.Duration, transport http.RoundTripper) *Client {
	return &Client{http: &http.Client{Timeout: timeout, Transport: transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Post sends text to the webhook at webhookURL. Any answer but 2xx is an
// error naming its status. Errors never repeat the URL: it is the secret
// that lets anyone post to the channel.
func (c *Client) Post(ctx context.Context, webhookURL, text string) error {
	body, err := json.Marshal(map[string]string{"text": text})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, webhookURL, bytes.NewReader(body))
	if err != nil {
		return errors.New("chat: the webhook URL is not a URL")
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		if ue, ok := errors.AsType[*url.Error](err); ok {
			err = ue.Err
		}
		return fmt.Errorf("chat: post to %s: %w", req.URL.Host, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("chat: %s answered %s", req.URL.Host, resp.Status)
	}
	return nil
}
