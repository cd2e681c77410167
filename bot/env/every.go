package env

import (
	"context"
	"time"
)

// Every calls fn every period until ctx is done, logging an error it
// returns (with msg) unless the error comes from ctx ending.
func (e *Env) Every(ctx context.Context, period time.Duration, msg string, fn func(context.Context) error) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := fn(ctx); err != nil && ctx.Err() == nil {
				e.Log.Error(msg, "err", err)
			}
		}
	}
}
