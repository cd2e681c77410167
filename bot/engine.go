// Package bot is Lifeline's engine. It routes every incoming message to the
// part that owns it and wires the parts together; the work itself lives in
// the packages below it:
//
//	platform   the contract with the adapters (aliased here, so adapters say bot.Message)
//	env        what every part shares: store, clock, logger, platforms, names, admins
//	i18n       reply texts (zh, en) and labels
//	cards      the case card, lines, buttons, and what is masked where
//	access     levels, roles, where an action is allowed, finding a person
//	delivery   the outbox worker, rate limits, folding, unreachable chats
//	actions    everything a person does to a case, the directory or the team
//	commands   chat commands and buttons → actions
//	intake     group messages: triage → case → alerts; edits
//	asker      private conversations with askers
//	rooms      rescue rooms
//	reports    digests, stats, export
//	directory  the channels directory
//
// It never imports an adapter: platforms plug in through package platform.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/lifeline-aid/lifeline/bot/actions"
	"github.com/lifeline-aid/lifeline/bot/asker"
	"github.com/lifeline-aid/lifeline/bot/cards"
	"github.com/lifeline-aid/lifeline/bot/commands"
	"github.com/lifeline-aid/lifeline/bot/delivery"
	"github.com/lifeline-aid/lifeline/bot/directory"
	"github.com/lifeline-aid/lifeline/bot/env"
	"github.com/lifeline-aid/lifeline/bot/escalate"
	"github.com/lifeline-aid/lifeline/bot/intake"
	"github.com/lifeline-aid/lifeline/bot/media"
	"github.com/lifeline-aid/lifeline/bot/reports"
	"github.com/lifeline-aid/lifeline/bot/rooms"
	"github.com/lifeline-aid/lifeline/bot/throttle"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// handleTimeout bounds the work for one incoming message.
const handleTimeout = 30 * time.Second

// Actor is the name recorded in events the bot does on its own.
const Actor = env.Bot

// GroupBinding is a chat the configuration binds to a role.
type GroupBinding struct {
	Chat     string
	Role     store.ChatRole
	Name     string
	Language string
}

// OutboxOptions tune delivery. Zero values take the defaults.
type OutboxOptions = delivery.Options

// DigestSpec is one scheduled report.
type DigestSpec = reports.DigestSpec

// WorkflowOptions configure the volunteers' workflow around cases.
type WorkflowOptions struct {
	// StaleAfter is how long an open case may go without an update before
	// the stale check names it (default 2h).
	StaleAfter time.Duration
	// BroadcastResolved posts a short "resolved, thank you" to the chats a
	// case was broadcast to when it is resolved.
	BroadcastResolved bool
	// Digests are the scheduled reports.
	Digests []DigestSpec
	// DirectoryAutoReply answers non-urgent requests in intake groups with
	// matching directory entries, at most once per AutoReplyEvery per group.
	DirectoryAutoReply bool
	AutoReplyEvery     time.Duration
	// EscalateAfter is how long an urgent case may stay unclaimed before
	// it is re-alerted (and after twice as long, sent to the admins), per
	// urgency; nil takes escalate.Defaults, a zero wait turns it off.
	EscalateAfter map[triage.Urgency]time.Duration
	// ExportDir is where /export writes CSV files.
	ExportDir string
	// RetentionDays is how long personal data of finished cases is kept
	// (told to askers; the store purges it). Default 90.
	RetentionDays int
	// DirectoryFile is a CSV (name,category,district,phone,hours,status,notes)
	// loaded into the directory at start.
	DirectoryFile string
}

// Options configure an Engine. Store and Triage are required.
type Options struct {
	Store  *store.Store
	Triage *triage.Engine
	Logger *slog.Logger
	// Now is the clock; tests replace it. Defaults to time.Now.
	Now      func() time.Time
	Location *time.Location
	// Language is the default reply language: "zh" or "en".
	Language string
	// AlertAt is the lowest urgency that alerts coordination chats.
	AlertAt triage.Urgency
	// RoomAt is the lowest urgency that opens a rescue room automatically;
	// None disables automatic rooms.
	RoomAt   triage.Urgency
	Admins   []string
	Groups   []GroupBinding
	Outbox   OutboxOptions
	Workflow WorkflowOptions
	Media    MediaOptions
	// Observer counts what the engine does (the metrics); nil counts nothing.
	Observer env.Observer
	// Throttle limits how often the bot answers one person or group.
	Throttle ThrottleOptions
}

// MediaOptions configure what the engine does with voice notes, photos
// and other media (media_options.go).
type MediaOptions = mediaOptions

// Engine is the platform-neutral bot. It is safe for concurrent use.
type Engine struct {
	env       *env.Env
	outbox    *delivery.Outbox
	actions   *actions.Actions
	commands  *commands.Commands
	intake    *intake.Intake
	asker     *asker.Asker
	rooms     *rooms.Rooms
	reports   *reports.Reports
	directory *directory.Directory
	media     *media.Service
	triage    *triage.Engine // for imports and scans, outside intake
	escalate  *escalate.Escalator
	handling  inflight
	// retentionDays is how long personal data of finished cases is kept.
	retentionDays int
	throttle      *throttle.Throttle
	roomAt        triage.Urgency // rescue rooms open automatically from here (None: never)
}

// New builds an engine, records the configured chat bindings and admins in
// the store, checks the digest schedules and loads the directory file, so
// configuration mistakes stop the bot at start.
func New(ctx context.Context, opts Options) (*Engine, error) {
	if opts.Store == nil || opts.Triage == nil {
		return nil, errors.New("bot: store and triage are required")
	}
	if opts.AlertAt == triage.None {
		opts.AlertAt = triage.High
	}
	wf := opts.Workflow
	if wf.RetentionDays <= 0 {
		wf.RetentionDays = 90
	}
	if wf.StaleAfter <= 0 {
		wf.StaleAfter = 2 * time.Hour
	}
	ev := env.New(env.Config{Store: opts.Store, Logger: opts.Logger, Now: opts.Now, Location: opts.Location,
		Language: opts.Language, Admins: opts.Admins, Observer: opts.Observer})
	rd := cards.Renderer{Names: ev, Loc: ev.Loc}
	e := &Engine{env: ev, retentionDays: wf.RetentionDays, throttle: throttle.New(opts.Throttle), triage: opts.Triage, roomAt: opts.RoomAt}
	e.media = newMedia(ev, opts.Media)
	opts.Outbox.Prepare = e.media.Prepare
	e.outbox = delivery.New(ev, opts.Outbox)
	e.rooms = rooms.New(ev, rd, opts.RoomAt)
	e.directory = directory.New(ev, directory.Options{File: wf.DirectoryFile, AutoReply: wf.DirectoryAutoReply, AutoReplyEvery: wf.AutoReplyEvery})
	e.reports = reports.New(ev, rd, reports.Options{Digests: wf.Digests, StaleAfter: wf.StaleAfter, ExportDir: wf.ExportDir})
	e.intake = intake.New(ev, opts.Triage, rd, e.rooms, e.directory, opts.AlertAt)
	e.actions = actions.New(ev, rd, e.rooms, actions.Options{AlertAt: opts.AlertAt, BroadcastResolved: wf.BroadcastResolved,
		Triage: opts.Triage, Alerts: e.intake})
	e.asker = asker.New(ev, opts.Triage, e.intake, e.rooms, e.actions, wf.RetentionDays)
	e.commands = commands.New(ev, e.actions, e.reports, rd)
	e.wireMedia(opts.Media)
	e.escalate = escalate.New(ev, wf.EscalateAfter)
	if err := e.applyBindings(ctx, opts.Groups); err != nil {
		return nil, err
	}
	if err := e.reports.Validate(); err != nil {
		return nil, err
	}
	if err := e.directory.Load(ctx); err != nil {
		return nil, err
	}
	return e, nil
}

// AddPlatform registers a platform; its Name is the prefix of its chat refs.
func (e *Engine) AddPlatform(p Platform) { e.env.AddPlatform(p) }

// Actions is the action layer, for front ends other than chat (the board).
// Run each call inside a store transaction, then call Wake.
func (e *Engine) Actions() *actions.Actions { return e.actions }

// Wake tells the outbox that messages were queued (after an action's
// transaction committed).
func (e *Engine) Wake() { e.env.Wake() }

// applyBindings writes the configured chat roles into the store so that
// config and /bind share one source of truth at run time.
func (e *Engine) applyBindings(ctx context.Context, groups []GroupBinding) error {
	now := e.env.Now()
	return e.env.Store.Update(ctx, func(tx *store.Tx) error {
		if err := tx.ForEachChat(func(c *store.Chat) error {
			e.env.RememberName(c.Ref, c.Name)
			return nil
		}); err != nil {
			return fmt.Errorf("read chats: %w", err)
		}
		if err := tx.ForEachPerson(func(p *store.Person) error {
			e.env.RememberName(p.Ref, p.Name)
			return nil
		}); err != nil {
			return fmt.Errorf("read people: %w", err)
		}
		for _, g := range groups {
			e.env.RememberName(g.Chat, g.Name)
			c, err := tx.Chat(g.Chat)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("read chat %s: %w", g.Chat, err)
			}
			if c == nil {
				c = &store.Chat{Ref: g.Chat}
			}
			c.Role, c.Active, c.Updated = g.Role, true, now
			if g.Name != "" {
				c.Name = g.Name
			}
			if g.Language != "" {
				c.Language = g.Language
			}
			if err := tx.PutChat(c); err != nil {
				return fmt.Errorf("bind chat %s: %w", g.Chat, err)
			}
		}
		return nil
	})
}

// Run delivers the outbox and runs the digests until ctx is done. It
// first publishes the command menus. (The host runs RunDuePurge: the
// command does it hourly, with its failure reporting.)
func (e *Engine) Run(ctx context.Context) error {
	var reportsErr error
	var wg sync.WaitGroup
	wg.Go(func() { reportsErr = e.reports.Run(ctx) })
	wg.Go(func() { e.rooms.RetryCloses(ctx) })
	wg.Go(func() { e.media.Run(ctx) })
	wg.Go(func() { e.directory.Watch(ctx, directoryPoll) })
	wg.Go(func() { e.escalate.Run(ctx, escalateEvery) })
	wg.Go(func() {
		e.env.Every(ctx, draftsEvery, "passing on waiting details", func(ctx context.Context) error {
			_, err := e.asker.RunDueDrafts(ctx)
			return err
		})
	})
	// Menus are cosmetic and a platform may be slow to answer: they must
	// not hold up delivery.
	wg.Go(func() { _ = e.PublishMenus(ctx) })
	err := e.outbox.Run(ctx)
	wg.Wait()
	return errors.Join(err, reportsErr)
}

// directoryPoll is how often the directory file is checked for edits.
const directoryPoll = 10 * time.Second

// ReloadDirectory loads the directory file again if it changed since the
// last load; Run does this every 10 seconds.
func (e *Engine) ReloadDirectory(ctx context.Context) (bool, error) { return e.directory.Reload(ctx) }

// escalateEvery is how often unclaimed urgent cases are checked: a small
// part of the shortest sensible wait (minutes).
const escalateEvery = 30 * time.Second

// draftsEvery is how often details waiting for a request are checked: a
// small part of asker.DraftWait.
const draftsEvery = 30 * time.Second

// RunDueDrafts opens as cases the details people sent privately without a
// request and did not follow up within asker.DraftWait. Run calls it every
// 30 seconds; tests drive it with a controlled clock.
func (e *Engine) RunDueDrafts(ctx context.Context) (int, error) { return e.asker.RunDueDrafts(ctx) }

// RunDueEscalations re-alerts the unclaimed urgent cases whose wait has
// passed by the engine's clock and says how many it escalated. Run calls
// it; tests drive it with a controlled clock.
func (e *Engine) RunDueEscalations(ctx context.Context) (int, error) { return e.escalate.RunDue(ctx) }

// Drain first waits for the messages being handled to commit (their
// alerts and replies are then queued), then delivers everything pending
// in the outbox, as fast as the rate limits allow, and returns when it is
// empty or ctx is done. Stop the adapters before calling it.
func (e *Engine) Drain(ctx context.Context) error {
	if err := e.handling.wait(ctx); err != nil {
		return fmt.Errorf("wait for messages being handled: %w", err)
	}
	return e.outbox.Drain(ctx)
}

// DeliverDue makes one delivery pass: it sends what is due and what the
// rate limits allow now, and says how long until more could go out.
func (e *Engine) DeliverDue(ctx context.Context) (time.Duration, error) { return e.outbox.Pass(ctx) }

// RunDueDigests sends every scheduled digest whose next time after its
// last run has come by the engine's clock, and reports how many ran. A
// digest runs once however many of its times were missed (the bot was
// down), because its last run is then set to now. A digest that never ran
// only starts its clock, so a first start sends nothing. Run calls this;
// tests call it to drive digests with a controlled clock.
func (e *Engine) RunDueDigests(ctx context.Context) (int, error) { return e.reports.RunDue(ctx) }
