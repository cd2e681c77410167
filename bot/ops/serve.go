package ops

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"time"
)

// Serve answers on ln with h until ctx ends, then stops taking requests and
// gives those in flight up to grace to finish.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, grace time.Duration, log *slog.Logger) error {
	srv := &http.Server{
		Handler: h,
		// Bounded everything: this listener may face the internet once the
		// board is on it.
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	if log != nil {
		srv.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelWarn)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("http server shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http server: %w", err)
	}
	return nil
}

// Watch runs the checks every interval until ctx ends and calls onChange
// when readiness or the set of failing checks changes and has held for two
// runs in a row (a platform reconnecting for a few seconds is not news).
// It starts from "ready", so a bot that is not ready at start is reported
// after two runs.
func Watch(ctx context.Context, checks []Check, interval, timeout time.Duration, onChange func(Report)) {
	var reported, candidate []string // failing checks, by name and problem
	seen := 0
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		rep := RunChecks(ctx, checks, timeout)
		if ctx.Err() != nil {
			return
		}
		failing := names(rep)
		switch {
		case slices.Equal(failing, reported):
			seen = 0
		case slices.Equal(failing, candidate):
			seen++
		default:
			candidate, seen = failing, 1
		}
		if seen >= 2 {
			reported, seen = candidate, 0
			onChange(rep)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// names are the failing checks' names: the details (an age in seconds)
// change every run and are not a change of state.
func names(r Report) []string {
	var out []string
	for _, x := range r.Results {
		if !x.OK() {
			out = append(out, x.Name)
		}
	}
	return out
}
