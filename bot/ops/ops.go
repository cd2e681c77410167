// Package ops serves what the people and machines running Lifeline look
// at: /healthz (the process answers), /readyz (every readiness check, each
// named in the body; 503 when any fails) and /metrics (Prometheus), on one
// HTTP listener that other handlers (the volunteers' board) can be mounted
// on later.
//
// Checks are plain functions passed in, so this package knows nothing of
// the engine; probe.go has the checks that can be read from the store and
// the platforms.
package ops

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// ErrUnknown is returned by a check that cannot tell (a platform adapter
// that reports no connection state). It is shown, and does not fail
// readiness.
var ErrUnknown = errors.New("unknown")

// Check is one readiness condition.
type Check struct {
	// Name is shown in the /readyz body ("store", "platform telegram").
	Name string
	// Run returns nil when the condition holds. Its error, shown to the
	// operator, says what is wrong in a few words and how to act; it must
	// not carry personal data. ctx carries the check's deadline.
	Run func(ctx context.Context) error
}

// Result is the outcome of one check.
type Result struct {
	Name string
	// Err is nil when the check passed.
	Err error
}

// OK reports whether the check passed or could not tell.
func (r Result) OK() bool { return r.Err == nil || errors.Is(r.Err, ErrUnknown) }

// Report is the outcome of all checks, in the order they were given.
type Report struct {
	Results []Result
}

// Ready reports whether every check passed (or could not tell).
func (r Report) Ready() bool {
	for _, x := range r.Results {
		if !x.OK() {
			return false
		}
	}
	return true
}

// Failing returns the failing checks as "name: problem", one per entry.
func (r Report) Failing() []string {
	var out []string
	for _, x := range r.Results {
		if !x.OK() {
			out = append(out, x.Name+": "+x.Err.Error())
		}
	}
	return out
}

// String is the /readyz body: "ready" or "not ready", then one line per
// check.
func (r Report) String() string {
	var b strings.Builder
	if r.Ready() {
		b.WriteString("ready\n")
	} else {
		b.WriteString("not ready\n")
	}
	for _, x := range r.Results {
		switch {
		case x.Err == nil:
			fmt.Fprintf(&b, "ok    %s\n", x.Name)
		case errors.Is(x.Err, ErrUnknown):
			fmt.Fprintf(&b, "?     %s: %v\n", x.Name, x.Err)
		default:
			fmt.Fprintf(&b, "FAIL  %s: %v\n", x.Name, x.Err)
		}
	}
	return b.String()
}

// RunChecks runs every check at once, each bounded by timeout, and
// returns when all have answered or timed out. A check that panics fails.
func RunChecks(ctx context.Context, checks []Check, timeout time.Duration) Report {
	rep := Report{Results: make([]Result, len(checks))}
	var wg sync.WaitGroup
	for i, c := range checks {
		rep.Results[i].Name = c.Name
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			done := make(chan error, 1)
			go func() {
				defer func() {
					if p := recover(); p != nil {
						done <- fmt.Errorf("check panicked: %v", p)
					}
				}()
				done <- c.Run(cctx)
			}()
			select {
			case err := <-done:
				rep.Results[i].Err = err
			case <-cctx.Done():
				// A check stuck past its deadline (a read blocked on a
				// dying disk) is a failure; its goroutine ends on its own.
				rep.Results[i].Err = fmt.Errorf("no answer within %s", timeout)
			}
		})
	}
	wg.Wait()
	return rep
}

// Options configure a Handler.
type Options struct {
	// Checks decide /readyz.
	Checks []Check
	// CheckTimeout bounds each check; 0 means 3s.
	CheckTimeout time.Duration
	// Metrics serves /metrics; nil leaves it out (404).
	Metrics http.Handler
	// Version is shown by /healthz.
	Version string
}

// Handler serves the operations endpoints. Mount more on it with Handle.
type Handler struct {
	mux  *http.ServeMux
	opts Options
}

// NewHandler returns the handler for /healthz, /readyz and /metrics.
func NewHandler(opts Options) *Handler {
	if opts.CheckTimeout <= 0 {
		opts.CheckTimeout = 3 * time.Second
	}
	h := &Handler{mux: http.NewServeMux(), opts: opts}
	h.mux.HandleFunc("GET /healthz", h.healthz)
	h.mux.HandleFunc("GET /readyz", h.readyz)
	if opts.Metrics != nil {
		h.mux.Handle("GET /metrics", opts.Metrics)
	}
	return h
}

// Handle mounts another handler on the same listener (the board).
func (h *Handler) Handle(pattern string, handler http.Handler) { h.mux.Handle(pattern, handler) }

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Nothing here is for a browser to cache or sniff.
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	h.mux.ServeHTTP(w, r)
}

// Ready runs the checks now.
func (h *Handler) Ready(ctx context.Context) Report {
	return RunChecks(ctx, h.opts.Checks, h.opts.CheckTimeout)
}

func (h *Handler) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "ok %s\n", h.opts.Version)
}

func (h *Handler) readyz(w http.ResponseWriter, r *http.Request) {
	rep := h.Ready(r.Context())
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if !rep.Ready() {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	fmt.Fprint(w, rep.String())
}
