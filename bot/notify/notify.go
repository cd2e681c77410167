// Package notify tells the people running Lifeline about problems through a
// channel that does not depend on the chat platforms: a generic webhook
// (a push service such as ntfy, a Slack-compatible incoming webhook, or any
// endpoint that accepts a JSON POST). It is for operational notices only —
// a platform down, a login needed, the bot not ready — never for case
// content or personal data, since push services are often public.
//
// Notify never blocks its caller: notices wait in a bounded queue and one
// worker delivers them with a timeout and retries with backoff. A notice
// that cannot be queued or delivered is logged at error level and counted.
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Level is how urgent a notice is.
type Level string

// Levels, lowest first.
const (
	Info     Level = "info"
	Warning  Level = "warning"
	Critical Level = "critical"
)

// Format is the shape of the request body.
type Format string

// Formats.
const (
	// JSON posts {"text": …, "level": …} as application/json: generic
	// endpoints, and Slack-compatible incoming webhooks (Mattermost,
	// Rocket.Chat, Slack), which read "text".
	JSON Format = "json"
	// Text posts the text as text/plain with Title, Priority and Tags
	// headers, as ntfy reads them.
	Text Format = "text"
)

// Options configure a Notifier.
type Options struct {
	// URL receives the POST. Required.
	URL string
	// Format of the body; "" means JSON.
	Format Format
	// Token, when set, is sent as "Authorization: Bearer <token>".
	Token string
	// Timeout bounds one attempt; 0 means 10s.
	Timeout time.Duration
	// Attempts is how many times one notice is tried; 0 means 6.
	Attempts int
	// Backoff is the wait after the first failure, doubled after each
	// further one (with jitter), up to MaxBackoff; 0 means 2s and 2min.
	Backoff, MaxBackoff time.Duration
	// Queue is how many notices may wait; 0 means 64. When it is full the
	// new notice is dropped, logged and counted, and the caller goes on.
	Queue int
	// Client sends the requests; nil means a client with no extra settings.
	Client *http.Client
	// Logger receives delivery failures; nil discards.
	Logger *slog.Logger
	// OnFailure is called once for each notice given up on (for a metric).
	OnFailure func()
	// Sleep waits between attempts; tests replace it. nil means a timer
	// that also ends when the notifier is closed.
	Sleep func(ctx context.Context, d time.Duration) error
}

type notice struct {
	Text  string `json:"text"`
	Level Level  `json:"level"`
}

// Notifier delivers notices to one webhook.
type Notifier struct {
	opts  Options
	log   *slog.Logger
	queue chan notice
	stop  chan struct{} // closed by Close: the worker stops waiting
	done  chan struct{} // closed when the worker has returned

	mu     sync.Mutex
	closed bool
	ctx    context.Context // ends when Close's deadline passes
	cancel context.CancelFunc
}

// New starts a notifier's worker. Close stops it.
func New(opts Options) (*Notifier, error) {
	if !strings.HasPrefix(opts.URL, "http://") && !strings.HasPrefix(opts.URL, "https://") {
		return nil, fmt.Errorf("notify: %q is not an http(s) URL", opts.URL)
	}
	switch opts.Format {
	case "":
		opts.Format = JSON
	case JSON, Text:
	default:
		return nil, fmt.Errorf("notify: format %q is not json or text", opts.Format)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.Attempts <= 0 {
		opts.Attempts = 6
	}
	if opts.Backoff <= 0 {
		opts.Backoff = 2 * time.Second
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 2 * time.Minute
	}
	if opts.Queue <= 0 {
		opts.Queue = 64
	}
	if opts.Client == nil {
		opts.Client = &http.Client{}
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	n := &Notifier{
		opts:  opts,
		log:   log.With("notify", redactURL(opts.URL)),
		queue: make(chan notice, opts.Queue),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	if n.opts.Sleep == nil {
		n.opts.Sleep = n.sleep
	}
	go n.run()
	return n, nil
}

// Notify queues a notice and returns at once. It is safe to call on a nil
// Notifier (no webhook configured) and after Close (the notice is logged).
func (n *Notifier) Notify(level Level, text string) {
	if n == nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		n.log.Error("notice not sent: notifier closed", "level", level, "text", text)
		n.failed()
		return
	}
	select {
	case n.queue <- notice{Text: text, Level: level}:
	default:
		n.log.Error("notice not sent: queue full (the webhook is failing or slow)", "level", level, "text", text)
		n.failed()
	}
}

// Close stops taking notices and delivers those queued until ctx ends;
// whatever is left then is logged as not sent.
func (n *Notifier) Close(ctx context.Context) error {
	if n == nil {
		return nil
	}
	n.mu.Lock()
	if !n.closed {
		n.closed = true
		close(n.stop)
	}
	n.mu.Unlock()
	select {
	case <-n.done:
		return nil
	case <-ctx.Done():
		n.cancel() // abandon the attempt in flight and the retries
		<-n.done
		return fmt.Errorf("notify: undelivered notices at shutdown: %w", ctx.Err())
	}
}

func (n *Notifier) run() {
	defer close(n.done)
	defer n.cancel()
	for {
		select {
		case nt := <-n.queue:
			n.deliver(nt)
		case <-n.stop:
			// Drain what was queued before Close, then stop.
			for {
				select {
				case nt := <-n.queue:
					n.deliver(nt)
				default:
					return
				}
			}
		}
	}
}

// deliver tries one notice until it is accepted, refused for good, or out
// of attempts.
func (n *Notifier) deliver(nt notice) {
	if n.ctx.Err() != nil {
		n.log.Error("notice not sent: shutting down", "level", nt.Level, "text", nt.Text)
		n.failed()
		return
	}
	wait := n.opts.Backoff
	for attempt := 1; ; attempt++ {
		retryAfter, err := n.post(nt)
		if err == nil {
			return
		}
		var perm permanentError
		if errors.As(err, &perm) || attempt >= n.opts.Attempts {
			n.log.Error("notice not sent", "level", nt.Level, "text", nt.Text, "attempts", attempt, "err", err)
			n.failed()
			return
		}
		d := wait/2 + rand.N(wait/2+1) // jitter: many bots never retry in step
		if retryAfter > d {
			d = retryAfter
		}
		n.log.Warn("notice delivery failed; retrying", "attempt", attempt, "in", d, "err", err)
		if err := n.opts.Sleep(n.ctx, d); err != nil {
			n.log.Error("notice not sent: shutting down", "level", nt.Level, "text", nt.Text, "err", err)
			n.failed()
			return
		}
		wait = min(wait*2, n.opts.MaxBackoff)
	}
}

type permanentError struct{ error }

// post makes one attempt. A 4xx answer other than 408 and 429 is
// permanent: the URL, token or body is wrong and retrying cannot help.
func (n *Notifier) post(nt notice) (retryAfter time.Duration, err error) {
	ctx, cancel := context.WithTimeout(n.ctx, n.opts.Timeout)
	defer cancel()
	var body []byte
	contentType := "application/json"
	if n.opts.Format == Text {
		body, contentType = []byte(nt.Text), "text/plain; charset=utf-8"
	} else if body, err = json.Marshal(nt); err != nil {
		return 0, permanentError{fmt.Errorf("encode notice: %w", err)}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.opts.URL, bytes.NewReader(body))
	if err != nil {
		return 0, permanentError{fmt.Errorf("build request: %w", err)}
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", "lifeline")
	if n.opts.Token != "" {
		req.Header.Set("Authorization", "Bearer "+n.opts.Token)
	}
	if n.opts.Format == Text {
		req.Header.Set("Title", "Lifeline")
		req.Header.Set("Tags", string(nt.Level))
		req.Header.Set("Priority", map[Level]string{Info: "default", Warning: "high", Critical: "urgent"}[nt.Level])
	}
	resp, err := n.opts.Client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("post notice: %w", err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // reuse the connection
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return 0, nil
	}
	err = fmt.Errorf("webhook answered %s: %s", resp.Status, strings.TrimSpace(string(snippet)))
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout:
		if s, convErr := strconv.Atoi(resp.Header.Get("Retry-After")); convErr == nil && s > 0 {
			retryAfter = min(time.Duration(s)*time.Second, n.opts.MaxBackoff)
		}
		return retryAfter, err
	case resp.StatusCode >= 400 && resp.StatusCode < 500:
		return 0, permanentError{err}
	}
	return 0, err
}

func (n *Notifier) failed() {
	if n.opts.OnFailure != nil {
		n.opts.OnFailure()
	}
}

// sleep waits d, or less when the notifier is being shut down for good.
func (n *Notifier) sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// redactURL keeps the scheme and host of a webhook URL for logs: the path
// of many webhooks (a Slack hook, an ntfy topic) is the secret.
func redactURL(u string) string {
	scheme, rest, _ := strings.Cut(u, "://")
	host, _, _ := strings.Cut(rest, "/")
	if _, h, ok := strings.Cut(host, "@"); ok {
		host = h
	}
	return scheme + "://" + host + "/…"
}
