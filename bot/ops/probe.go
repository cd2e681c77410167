package ops

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/lifeline-aid/lifeline/bot/metrics"
	"github.com/lifeline-aid/lifeline/store"
)

// PlatformStatus is what a platform says about its connection.
type PlatformStatus struct {
	// Known is false when the adapter reports no connection state; then
	// Up only says its receive loop is running.
	Known bool
	Up    bool
	// LastUpdate is when the platform last answered (zero: not known).
	LastUpdate time.Time
	// Detail says why it is down, in a few words.
	Detail string
	// LoginNeeded is set while a person must scan a QR code (WeChat).
	LoginNeeded bool
}

// Platform is one running chat platform as the probe sees it.
type Platform struct {
	Name   string
	Status func() PlatformStatus
}

// Probe reads the bot's state for readiness checks and scrape-time metrics
// from the store and the running platforms, without the engine.
type Probe struct {
	Store     *store.Store
	Platforms []Platform
	// StuckAfter is how long the oldest outbox message may wait before the
	// outbox counts as stuck; 0 means 10 minutes.
	StuckAfter time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (p *Probe) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Probe) stuckAfter() time.Duration {
	if p.StuckAfter > 0 {
		return p.StuckAfter
	}
	return 10 * time.Minute
}

// Checks returns the readiness checks: the store answers, each platform is
// up, a coordination chat can receive alerts, the outbox moves.
func (p *Probe) Checks() []Check {
	cs := []Check{{Name: "store", Run: p.checkStore}}
	for _, pl := range p.Platforms {
		cs = append(cs, Check{Name: "platform " + pl.Name, Run: func(context.Context) error { return checkPlatform(pl) }})
	}
	return append(cs,
		Check{Name: "coordination", Run: p.checkCoordination},
		Check{Name: "outbox", Run: p.checkOutbox},
	)
}

// checkStore opens a read transaction: the file is open and readable.
func (p *Probe) checkStore(ctx context.Context) error {
	return p.Store.View(ctx, func(tx *store.Tx) error {
		_, err := tx.GetState("ops:probe")
		return err
	})
}

func checkPlatform(pl Platform) error {
	st := pl.Status()
	switch {
	case st.LoginNeeded:
		return errors.New("a QR scan is needed to log in (see the bot's log: docker logs, journalctl)")
	case !st.Up && st.Detail != "":
		return fmt.Errorf("down: %s", st.Detail)
	case !st.Up:
		return errors.New("down")
	case !st.Known:
		return fmt.Errorf("%w: running; this platform reports no connection state", ErrUnknown)
	}
	return nil
}

// checkCoordination fails when no coordination chat can receive alerts: a
// plea that needs volunteers would reach only admins' private chats. A
// coordination chat the bot was removed from is named even while another
// one still works, without failing.
func (p *Probe) checkCoordination(ctx context.Context) error {
	var active int
	var gone []string
	err := p.Store.View(ctx, func(tx *store.Tx) error {
		return tx.ForEachChat(func(c *store.Chat) error {
			if c.Role != store.RoleCoordination {
				return nil
			}
			if c.Active {
				active++
			} else {
				gone = append(gone, c.Ref)
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("read chats: %w", err)
	}
	sort.Strings(gone)
	switch {
	case active == 0 && len(gone) > 0:
		return fmt.Errorf("unreachable: %s (the bot was removed or blocked; add it back, or /bind coordination in another chat) — alerts reach only admins", strings.Join(gone, ", "))
	case active == 0:
		return errors.New("no coordination chat is bound (send /bind coordination in the volunteers' chat) — alerts reach only admins")
	case len(gone) > 0:
		return fmt.Errorf("%w: %d working, unreachable: %s", ErrUnknown, active, strings.Join(gone, ", "))
	}
	return nil
}

// checkOutbox fails when a message has waited longer than StuckAfter.
func (p *Probe) checkOutbox(ctx context.Context) error {
	q, err := p.readOutbox(ctx)
	if err != nil {
		return err
	}
	var stuck []string
	for _, o := range q {
		if o.Oldest > p.stuckAfter() {
			stuck = append(stuck, fmt.Sprintf("%s: %d waiting, oldest %s", o.Platform, o.Pending, o.Oldest.Round(time.Second)))
		}
	}
	if len(stuck) > 0 {
		return fmt.Errorf("stuck (%s) — is the platform down, or the bot rate limited?", strings.Join(stuck, "; "))
	}
	return nil
}

// farFuture makes DueOutbox return every pending item, due or not.
var farFuture = time.Unix(math.MaxInt64/int64(time.Second), 0)

// readOutbox counts pending messages and the oldest's age per destination
// platform.
func (p *Probe) readOutbox(ctx context.Context) ([]metrics.OutboxState, error) {
	now := p.now()
	by := map[string]*metrics.OutboxState{}
	err := p.Store.View(ctx, func(tx *store.Tx) error {
		items, err := tx.DueOutbox(farFuture, 0)
		if err != nil {
			return err
		}
		for _, it := range items {
			name, _, _ := strings.Cut(it.Chat, ":")
			o := by[name]
			if o == nil {
				o = &metrics.OutboxState{Platform: name}
				by[name] = o
			}
			o.Pending++
			if age := now.Sub(it.Created); age > o.Oldest {
				o.Oldest = age
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	out := make([]metrics.OutboxState, 0, len(by))
	for _, o := range by {
		out = append(out, *o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Platform < out[j].Platform })
	return out, nil
}

// ReadState implements metrics.StateReader.
func (p *Probe) ReadState(ctx context.Context) (metrics.State, error) {
	var st metrics.State
	q, err := p.readOutbox(ctx)
	if err != nil {
		return st, err
	}
	st.Outbox = q
	st.OpenCases = map[string]int{}
	err = p.Store.View(ctx, func(tx *store.Tx) error {
		dead, err := tx.DeadLetters(0)
		if err != nil {
			return fmt.Errorf("read dead letters: %w", err)
		}
		st.DeadLetters = len(dead)
		_, err = tx.OpenCases(0, func(c *store.Case) bool {
			st.OpenCases[c.Urgency.String()]++
			return false // counted, not kept
		})
		if err != nil {
			return fmt.Errorf("read open cases: %w", err)
		}
		return nil
	})
	if err != nil {
		return st, err
	}
	for _, pl := range p.Platforms {
		s := pl.Status()
		st.Platforms = append(st.Platforms, metrics.PlatformState{Platform: pl.Name, Up: s.Up && !s.LoginNeeded, LastUpdate: s.LastUpdate})
	}
	return st, nil
}
