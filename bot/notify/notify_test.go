package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// hook is a webhook endpoint on loopback that answers with the next code
// from codes (then 200) and records every request.
type hook struct {
	*httptest.Server
	mu       sync.Mutex
	codes    []int
	headers  map[string]string // extra response headers
	requests []recorded
	got      chan struct{}
}

type recorded struct {
	header http.Header
	body   []byte
}

func newHook(t *testing.T, codes ...int) *hook {
	h := &hook{codes: codes, got: make(chan struct{}, 100)}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.requests = append(h.requests, recorded{r.Header.Clone(), body})
		code := http.StatusOK
		if len(h.codes) > 0 {
			code, h.codes = h.codes[0], h.codes[1:]
		}
		for k, v := range h.headers {
			w.Header().Set(k, v)
		}
		h.mu.Unlock()
		w.WriteHeader(code)
		io.WriteString(w, http.StatusText(code))
		h.got <- struct{}{}
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hook) reqs() []recorded {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]recorded(nil), h.requests...)
}

// sleeps records the waits between attempts instead of waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return ctx.Err()
}

func (s *sleeps) waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

func closeNow(t *testing.T, n *Notifier) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestNotifyPostsJSON(t *testing.T) {
	h := newHook(t)
	n, err := New(Options{URL: h.URL + "/hooks/secret"})
	if err != nil {
		t.Fatal(err)
	}
	n.Notify(Critical, "WeChat needs a fresh login")
	closeNow(t, n)
	reqs := h.reqs()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	if ct := reqs[0].header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	var got map[string]string
	if err := json.Unmarshal(reqs[0].body, &got); err != nil {
		t.Fatalf("body %q: %v", reqs[0].body, err)
	}
	want := map[string]string{"text": "WeChat needs a fresh login", "level": "critical"}
	if len(got) != len(want) || got["text"] != want["text"] || got["level"] != want["level"] {
		t.Errorf("body = %v, want %v", got, want)
	}
	if reqs[0].header.Get("Authorization") != "" {
		t.Error("an Authorization header without a token")
	}
}

// ntfy reads a plain-text body and its title and priority from headers.
func TestNotifyTextFormatForNtfy(t *testing.T) {
	h := newHook(t)
	n, err := New(Options{URL: h.URL + "/lifeline-team", Format: Text, Token: "tk_abc"})
	if err != nil {
		t.Fatal(err)
	}
	n.Notify(Warning, "Lifeline is not ready: outbox stuck")
	n.Notify(Info, "Lifeline started")
	closeNow(t, n)
	reqs := h.reqs()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	r := reqs[0]
	for k, want := range map[string]string{
		"Content-Type":  "text/plain; charset=utf-8",
		"Title":         "Lifeline",
		"Priority":      "high",
		"Tags":          "warning",
		"Authorization": "Bearer tk_abc",
	} {
		if got := r.header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if string(r.body) != "Lifeline is not ready: outbox stuck" {
		t.Errorf("body = %q", r.body)
	}
	if p := reqs[1].header.Get("Priority"); p != "default" {
		t.Errorf("info priority = %q", p)
	}
}

func TestNotifyRetriesWithBackoff(t *testing.T) {
	h := newHook(t, 500, 502, 503, 200)
	s := &sleeps{}
	var failures atomic.Int32
	n, err := New(Options{URL: h.URL, Backoff: time.Second, MaxBackoff: 3 * time.Second, Sleep: s.sleep, OnFailure: func() { failures.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	n.Notify(Warning, "x")
	closeNow(t, n)
	if got := len(h.reqs()); got != 4 {
		t.Errorf("%d attempts, want 4 (three failures, then success)", got)
	}
	w := s.waits()
	if len(w) != 3 {
		t.Fatalf("waits = %v, want 3", w)
	}
	// Each wait is the backoff step with jitter: in [step/2, step],
	// doubling from 1s and capped at 3s.
	for i, step := range []time.Duration{time.Second, 2 * time.Second, 3 * time.Second} {
		if w[i] < step/2 || w[i] > step {
			t.Errorf("wait %d = %v, want within [%v, %v]", i, w[i], step/2, step)
		}
	}
	if failures.Load() != 0 {
		t.Errorf("%d failures counted for a notice that arrived", failures.Load())
	}
}

func TestNotifyHonoursRetryAfter(t *testing.T) {
	h := newHook(t, 429)
	h.headers = map[string]string{"Retry-After": "7"}
	s := &sleeps{}
	n, err := New(Options{URL: h.URL, Backoff: time.Second, Sleep: s.sleep})
	if err != nil {
		t.Fatal(err)
	}
	n.Notify(Info, "x")
	closeNow(t, n)
	if w := s.waits(); len(w) != 1 || w[0] != 7*time.Second {
		t.Errorf("waits = %v, want [7s]", w)
	}
	if len(h.reqs()) != 2 {
		t.Errorf("%d attempts, want 2", len(h.reqs()))
	}
}

func TestNotifyGivesUpAndSaysSo(t *testing.T) {
	tests := []struct {
		name     string
		codes    []int
		attempts int
	}{
		{"client error is not retried", []int{404}, 1},
		{"server errors until attempts run out", []int{500, 500, 500, 500}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHook(t, tt.codes...)
			var logs bytes.Buffer
			var failures atomic.Int32
			n, err := New(Options{
				URL: h.URL + "/topic-secret", Attempts: 3, Sleep: (&sleeps{}).sleep,
				Logger:    slog.New(slog.NewTextHandler(&logs, nil)),
				OnFailure: func() { failures.Add(1) },
			})
			if err != nil {
				t.Fatal(err)
			}
			n.Notify(Critical, "telegram stopped")
			closeNow(t, n)
			if got := len(h.reqs()); got != tt.attempts {
				t.Errorf("%d attempts, want %d", got, tt.attempts)
			}
			if failures.Load() != 1 {
				t.Errorf("failures = %d, want 1", failures.Load())
			}
			if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "telegram stopped") {
				t.Errorf("give-up not logged with the notice:\n%s", logs.String())
			}
			if strings.Contains(logs.String(), "topic-secret") {
				t.Errorf("the webhook's secret path is in the log:\n%s", logs.String())
			}
		})
	}
}

// A webhook that hangs must not hold up the bot: Notify returns at once,
// notices beyond the queue are dropped and counted, and Close is bounded
// by its context.
func TestNotifyNeverBlocksTheCaller(t *testing.T) {
	release := make(chan struct{})
	arrived := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	var failures atomic.Int32
	n, err := New(Options{URL: srv.URL, Queue: 2, Attempts: 1, OnFailure: func() { failures.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	n.Notify(Critical, "first")
	<-arrived // the worker is now stuck on the first notice
	for range 9 {
		n.Notify(Critical, "more")
	}
	if got := failures.Load(); got != 7 {
		t.Errorf("dropped %d notices, want 7 (one in flight, two queued)", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := n.Close(ctx); err == nil {
		t.Error("Close with undelivered notices returned nil")
	}
	if got := failures.Load(); got != 10 {
		t.Errorf("failures after Close = %d, want all 10 accounted for", got)
	}
	n.Notify(Info, "after close") // logged and counted, no panic
	if got := failures.Load(); got != 11 {
		t.Errorf("failures = %d, want 11", got)
	}
}

func TestNilNotifierIsOff(t *testing.T) {
	var n *Notifier
	n.Notify(Critical, "x")
	if err := n.Close(context.Background()); err != nil {
		t.Error(err)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	for _, o := range []Options{{URL: ""}, {URL: "ftp://x"}, {URL: "http://x", Format: "xml"}} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) succeeded", o)
		}
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://ntfy.sh/my-secret-topic":           "https://ntfy.sh/…",
		"https://user:pw@hooks.example.org/a/b?c=d": "https://hooks.example.org/…",
		"http://127.0.0.1:8080":                     "http://127.0.0.1:8080/…",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
