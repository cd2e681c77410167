package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lifeline-aid/lifeline/bot/access"
	"github.com/lifeline-aid/lifeline/bot/actions"
	"github.com/lifeline-aid/lifeline/bot/asker"
	"github.com/lifeline-aid/lifeline/bot/delivery"
	"github.com/lifeline-aid/lifeline/store"
)

// What the engine does so that strangers get nothing: first admins by
// one-time code, command menus only where they belong, and the retention
// purge of everything that ties a person to a finished case.

// AdminCode is a one-time code that makes its first user an admin of a
// platform that has none (see actions.ClaimAdmin).
type AdminCode = actions.AdminCode

// AdminCodes issues a claim code for every registered platform on which
// no admin has written to the bot yet, and logs each. Call it once at
// start, after AddPlatform, and show the codes to the operator (the
// terminal); they must never go into a chat.
func (e *Engine) AdminCodes(ctx context.Context) ([]AdminCode, error) {
	var codes []AdminCode
	err := e.env.Store.Update(ctx, func(tx *store.Tx) error {
		var err error
		codes, err = e.actions.IssueAdminCodes(tx, e.env.Platforms())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("issue admin claim codes: %w", err)
	}
	for _, c := range codes {
		e.env.Log.Warn("no admin on this platform yet: send the code privately to the bot to become its admin",
			"platform", c.Platform, "command", "/admin "+c.Code, "expires", c.Expires.Format(time.RFC3339))
	}
	return codes, nil
}

// PublishMenus sets each platform's command menus: the askers' commands in
// private chats, nothing in groups, the volunteers' in coordination chats
// and rooms. Run calls it at start; /bind calls it again for its platform.
func (e *Engine) PublishMenus(ctx context.Context) error { return e.commands.PublishMenus(ctx) }

// PurgeReport says what one retention purge removed: the store's part
// (cases, their sources and events, dead letters, seen records), the
// people forgotten and the export files deleted.
type PurgeReport struct {
	store.PurgeReport
	People  int // people whose records and links to the bot were dropped
	Exports int // export files deleted
}

const (
	purgeKey   = "purge:last"
	purgeEvery = 24 * time.Hour
)

// RunDuePurge runs the retention purge when a day has passed since the
// last one by the engine's clock (or it never ran), and says whether it
// ran. The host calls it often (cmd/lifeline: at start and hourly); tests
// call it with a controlled clock.
func (e *Engine) RunDuePurge(ctx context.Context) (bool, PurgeReport, error) {
	now := e.env.Now()
	raw, err := e.env.Store.GetState(ctx, purgeKey)
	if err != nil {
		return false, PurgeReport{}, fmt.Errorf("read last purge: %w", err)
	}
	if last, err := time.Parse(time.RFC3339Nano, string(raw)); err == nil && now.Sub(last) < purgeEvery {
		return false, PurgeReport{}, nil
	}
	r, err := e.Purge(ctx)
	if err != nil {
		return true, r, err
	}
	if err := e.env.Store.PutState(ctx, purgeKey, []byte(now.Format(time.RFC3339Nano))); err != nil {
		return true, r, fmt.Errorf("record purge: %w", err)
	}
	return true, r, nil
}

// Purge removes the personal data older than the retention period:
// finished cases lose their texts, phones, addresses and askers, their
// sources and events the people in them, dead letters their text (the
// store's PurgeAll); people with no role, no open case and nothing new for
// the whole period lose their record, their private-chat link, their
// conversation state and what names them to commands (PurgePeople, and
// the engine's keys); export files older than the period are deleted.
func (e *Engine) Purge(ctx context.Context) (PurgeReport, error) {
	var r PurgeReport
	now := e.env.Now()
	retention := time.Duration(e.retentionDays) * 24 * time.Hour
	var errs []error
	var err error
	if r.PurgeReport, err = e.env.Store.PurgeAll(ctx, now, retention); err != nil {
		errs = append(errs, err)
	}
	// Configured admins hold no role in their record: keep them.
	keep := func(p *store.Person) bool { return access.LevelOf(e.env, p) > access.Anyone }
	dropped, err := e.env.Store.PurgePeople(ctx, now, retention, keep)
	if err != nil {
		errs = append(errs, err)
	}
	for _, ref := range dropped {
		err := e.env.Store.Update(ctx, func(tx *store.Tx) error {
			return errors.Join(delivery.ForgetPrivateChat(tx, ref), asker.Forget(tx, ref), access.Forget(tx, ref))
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("forget %s: %w", ref, err))
			continue
		}
		r.People++
	}
	if r.Exports, err = e.reports.PurgeExports(now.Add(-retention)); err != nil {
		errs = append(errs, err)
	}
	if r != (PurgeReport{}) {
		e.env.Log.Info("retention purge", "cases", r.Cases, "sources", r.Sources, "events", r.Events, "dead_letters", r.DeadLetters,
			"people", r.People, "exports", r.Exports, "retention_days", e.retentionDays)
	}
	if err := errors.Join(errs...); err != nil {
		return r, fmt.Errorf("retention purge: %w", err)
	}
	return r, nil
}
