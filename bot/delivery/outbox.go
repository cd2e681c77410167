// Package delivery gets every message the bot queues to its chat: the
// outbox worker that drains the store's durable queue through the
// platforms within their rate limits, with retries, backoff and folding of
// alert bursts; the helpers that queue messages; and the bookkeeping of
// chats and people the bot can no longer reach.
package delivery

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/lifeline-aid/lifeline/bot/env"
	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/store"
)

// Options tune delivery. Zero values take the defaults.
type Options struct {
	// MaxAttempts before a message that keeps failing is dropped (default 12,
	// about an hour of backoff). Alerts (the alert lane) are never dropped
	// for a transient error: they retry until delivered.
	MaxAttempts int
	// AlertBackoffMax caps the backoff of the alert lane (default 30s), so
	// queued alerts go out within a minute of the platform coming back.
	AlertBackoffMax time.Duration
	// UnreachableAfter is how long a chat may keep failing before the
	// admins are told, once per episode (default 5m).
	UnreachableAfter time.Duration
	// BaseBackoff doubles per attempt up to MaxBackoff (defaults 2s, 10m).
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
	// Jitter returns a factor in [0,1) that spreads retries; default random.
	Jitter func() float64
	// Idle is the longest the worker sleeps when nothing is due (default 30s);
	// new messages wake it at once.
	Idle time.Duration
	// NoFold disables folding a burst of alerts into one message.
	NoFold bool
	// Prepare, when set, readies a message just before it is sent (a media
	// item relayed to another platform is fetched into a file). Its error
	// is handled like the platform's: ErrPermanent gives up, others retry.
	Prepare func(ctx context.Context, caseID int64, m platform.OutMessage) (platform.OutMessage, error)
}

// Outbox drains the store's durable queue through the platforms. A message
// is removed from the queue only after its platform accepted it, so a crash
// never loses one; the window between "sent" and "removed" is one local
// transaction, which is as close to exactly-once as a chat API allows.
type Outbox struct {
	env    *env.Env
	opts   Options
	lim    *limiter
	passMu sync.Mutex
	// failing remembers items already logged as failing, so a repeating
	// failure is logged once, not at every attempt.
	failing sync.Map
	// down holds the chats failing now (episodes.go).
	downMu   sync.Mutex
	down     map[string]*episode
	deadTold map[string]time.Time // chat → last dead-letter notice
}

// New makes the outbox worker; it sends nothing until Run, Drain or Pass.
func New(e *env.Env, o Options) *Outbox {
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 12
	}
	if o.BaseBackoff <= 0 {
		o.BaseBackoff = 2 * time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 10 * time.Minute
	}
	if o.Jitter == nil {
		o.Jitter = rand.Float64
	}
	if o.Idle <= 0 {
		o.Idle = 30 * time.Second
	}
	if o.AlertBackoffMax <= 0 {
		o.AlertBackoffMax = 30 * time.Second
	}
	if o.UnreachableAfter <= 0 {
		o.UnreachableAfter = 5 * time.Minute
	}
	return &Outbox{env: e, opts: o, lim: newLimiter(), down: map[string]*episode{}}
}

// Run delivers until ctx ends, waking when something is queued
// (env.Wake) or comes due.
func (o *Outbox) Run(ctx context.Context) error {
	for {
		wait, err := o.Pass(ctx)
		if err != nil && ctx.Err() == nil {
			o.env.Log.Error("outbox pass", "err", err)
			wait = o.opts.BaseBackoff
		}
		if wait <= 0 || wait > o.opts.Idle {
			wait = o.opts.Idle
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-o.env.Woken():
			t.Stop()
		case <-t.C:
		}
	}
}

// Drain delivers until the queue is empty or ctx ends.
func (o *Outbox) Drain(ctx context.Context) error {
	for {
		wait, err := o.Pass(ctx)
		if err != nil {
			return err
		}
		var pending int
		if err := o.env.Store.View(ctx, func(tx *store.Tx) error {
			pending, err = tx.PendingOutbox()
			return err
		}); err != nil {
			return fmt.Errorf("count outbox: %w", err)
		}
		if pending == 0 {
			return nil
		}
		if wait <= 0 {
			wait = 10 * time.Millisecond
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("outbox drain stopped with %d messages pending: %w", pending, ctx.Err())
		case <-t.C:
		}
	}
}

// Pass sends what is due and the limits allow, and says how long until the
// next thing could be sent (0: nothing known).
func (o *Outbox) Pass(ctx context.Context) (time.Duration, error) {
	o.passMu.Lock()
	defer o.passMu.Unlock()
	// Chats reachable again (bot re-added, /bind, a message from them) are
	// no longer held back by the pause of their last failure.
	for _, chat := range o.env.TakeChatsBack() {
		o.lim.resume("c:" + chat)
	}
	now := o.env.Now()
	var due []store.OutboxItem
	roles := map[string]store.ChatRole{}
	err := o.env.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		if due, err = tx.DueOutbox(now, 1000); err != nil {
			return err
		}
		for _, it := range due {
			if _, ok := roles[it.Chat]; ok {
				continue
			}
			c, err := tx.Chat(it.Chat)
			switch {
			case err == nil:
				roles[it.Chat] = c.Role
			case errors.Is(err, store.ErrNotFound):
				roles[it.Chat] = ""
			default:
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("read outbox: %w", err)
	}
	// Group by platform, then by chat, keeping queue order inside a chat.
	byPlatform := map[string]map[string][]store.OutboxItem{}
	var chatOrder = map[string][]string{}
	for _, it := range due {
		p := platform.PlatformOf(it.Chat)
		if byPlatform[p] == nil {
			byPlatform[p] = map[string][]store.OutboxItem{}
		}
		if _, ok := byPlatform[p][it.Chat]; !ok {
			chatOrder[p] = append(chatOrder[p], it.Chat)
		}
		byPlatform[p][it.Chat] = append(byPlatform[p][it.Chat], it)
	}
	// Platforms deliver in parallel so a slow one (WeChat's pacing) never
	// holds up another.
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wait time.Duration
	)
	for p, chats := range byPlatform {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := o.deliverPlatform(ctx, p, chatOrder[p], chats, roles)
			mu.Lock()
			if w > 0 && (wait == 0 || w < wait) {
				wait = w
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	// When the next item falls due, read after the sends: what they
	// rescheduled, and what was queued meanwhile (notices to admins).
	var next time.Time
	var pending bool
	if err := o.env.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		next, pending, err = tx.NextOutboxDue()
		return err
	}); err != nil {
		return wait, fmt.Errorf("read outbox: %w", err)
	}
	if pending {
		d := next.Sub(o.env.Now())
		if d <= 0 && wait == 0 {
			d = 10 * time.Millisecond // due now and not held by a limit: go again
		}
		if d > 0 && (wait == 0 || d < wait) {
			wait = d
		}
	}
	return wait, ctx.Err()
}

func (o *Outbox) rates(p platform.Platform, role store.ChatRole) (global, chat platform.Rate) {
	l := p.Limits()
	if role == store.RolePrivate {
		return l.Global, l.PerPrivate
	}
	return l.Global, l.PerGroup
}

func (o *Outbox) deliverPlatform(ctx context.Context, name string, order []string, chats map[string][]store.OutboxItem, roles map[string]store.ChatRole) (wait time.Duration) {
	p, ok := o.env.Platform(name)
	if !ok {
		for _, chat := range order {
			for _, it := range chats[chat] {
				o.giveUp(ctx, it, fmt.Errorf("platform %q is not enabled", name))
			}
		}
		return 0
	}
	note := func(w time.Duration) {
		if w > 0 && (wait == 0 || w < wait) {
			wait = w
		}
	}
	globalKey := "p:" + name
	for _, chat := range order {
		items := chats[chat]
		// Alerts first, then queue order, not due time: a message retried
		// after a 429 or an error still goes before the ones of its lane
		// queued after it, and no backlog of replies holds up an alert.
		slices.SortFunc(items, func(a, b store.OutboxItem) int {
			return cmp.Or(cmp.Compare(a.Lane(), b.Lane()), cmp.Compare(a.ID, b.ID))
		})
		gRate, cRate := o.rates(p, roles[chat])
		chatKey := "c:" + chat
		deliveries := make([]parcel, len(items))
		for i, it := range items {
			deliveries[i] = parcel{msg: it, members: []store.OutboxItem{it}}
		}
		if !o.opts.NoFold {
			now := o.env.Now()
			avail := min(o.lim.available(globalKey, gRate, now), o.lim.available(chatKey, cRate, now))
			deliveries = o.fold(ctx, deliveries, avail, p.Limits().MaxTextRunes)
		}
		for _, d := range deliveries {
			if ctx.Err() != nil {
				return wait
			}
			now := o.env.Now()
			if w := max(o.lim.wait(globalKey, gRate, now), o.lim.wait(chatKey, cRate, now)); w > 0 {
				note(w)
				break // keep this chat's order: nothing later may overtake
			}
			o.lim.take(globalKey, gRate, now)
			o.lim.take(chatKey, cRate, now)
			if w := o.send(ctx, p, d, chatKey, roles[chat]); w > 0 {
				note(w)
				break
			}
		}
	}
	return wait
}

// parcel is one message to send and the queue entries it settles: the
// entry itself, or every alert folded into it.
type parcel struct {
	msg     store.OutboxItem
	members []store.OutboxItem
}

// send delivers one message and records the outcome on every queue entry
// it settles. It returns how long this chat must wait before the next send
// (after a 429 or an error), or 0.
func (o *Outbox) send(ctx context.Context, p platform.Platform, d parcel, chatKey string, role store.ChatRole) time.Duration {
	it := d.msg
	var m platform.OutMessage
	if err := json.Unmarshal(it.Payload, &m); err != nil {
		o.giveUpAll(ctx, d.members, fmt.Errorf("decode outbox payload: %w", err))
		return 0
	}
	var msgID string
	var err error
	if o.opts.Prepare != nil {
		m, err = o.opts.Prepare(ctx, it.Case, m)
	}
	if err == nil {
		msgID, err = p.Send(ctx, m)
	}
	// A retry is judged by the member that has failed most often.
	attempts := 0
	for _, mem := range d.members {
		attempts = max(attempts, mem.Attempts)
	}
	failKey := d.members[0].ID
	// Alerts are never given up for a failure that may pass: a network
	// error, or a group that kicked the bot and may take it back.
	alert := it.Lane() == store.PriorityAlert
	log := o.env.Log.With("chat", it.Chat, "kind", it.Kind, "case", it.Case)
	var ra *platform.RetryAfterError
	switch {
	case err == nil:
		o.failing.Delete(failKey)
		// Recorded even when shutdown has begun: a message that went out
		// must not go out again after the restart.
		if err := o.env.Store.Update(context.WithoutCancel(ctx), func(tx *store.Tx) error {
			for _, mem := range d.members {
				if err := tx.CompleteOutbox(mem.ID); err != nil {
					return err
				}
			}
			// Remember the card so later changes can edit it in place
			// (and send the edit that waited for it: cardedit.go).
			return cardsSettled(tx, o.env.Now(), it, d.members, msgID)
		}); err != nil {
			log.Error("record delivery", "err", err)
		}
		for _, mem := range d.members {
			if mem.Kind == KindAlert { // a fold carries several alerts
				o.env.Observe().AlertSent()
			}
		}
		o.chatUp(ctx, it.Chat)
		return 0
	case errors.As(err, &ra):
		after := max(ra.After, time.Second)
		until := o.env.Now().Add(after)
		o.lim.pause(chatKey, until)
		log.Warn("platform asked to slow down", "retry_after", after)
		o.reschedule(ctx, d.members, until, attempts, err) // a 429 is not a failed attempt
		return after
	case errors.Is(err, platform.ErrUnreachable) && alert && role != store.RolePrivate:
		// A group that kicked the bot keeps its alerts: they go out when it
		// is reachable again, and meanwhile the admins get them privately.
		o.markUnreachable(ctx, it.Chat, err)
		o.alertAdmins(ctx, d.members)
		o.chatDown(ctx, it.Chat, role, err)
		attempts++
		wait := o.backoff(attempts, true)
		next := o.env.Now().Add(wait)
		o.lim.pause(chatKey, next)
		o.reschedule(ctx, d.members, next, attempts, err)
		return wait
	case errors.Is(err, platform.ErrPermanent):
		o.giveUpAll(ctx, d.members, err)
		if errors.Is(err, platform.ErrUnreachable) {
			o.markUnreachable(ctx, it.Chat, err)
		}
		return 0
	case ctx.Err() != nil:
		return 0
	default:
		attempts++
		if !alert && attempts >= o.opts.MaxAttempts {
			o.giveUpAll(ctx, d.members, fmt.Errorf("after %d attempts: %w", attempts, err))
			return 0
		}
		if _, logged := o.failing.LoadOrStore(failKey, true); !logged {
			log.Warn("send failed, will retry", "err", err)
		}
		o.chatDown(ctx, it.Chat, role, err)
		wait := o.backoff(attempts, alert)
		next := o.env.Now().Add(wait)
		// The chat waits too, so later messages don't overtake this one.
		o.lim.pause(chatKey, next)
		o.reschedule(ctx, d.members, next, attempts, err)
		return wait
	}
}

// backoff is exponential with full jitter over its upper half, so many
// failed sends don't retry in lockstep. The alert lane's is capped lower.
func (o *Outbox) backoff(attempt int, alert bool) time.Duration {
	ceiling := o.opts.MaxBackoff
	if alert {
		ceiling = min(ceiling, o.opts.AlertBackoffMax)
	}
	d := o.opts.BaseBackoff << min(attempt-1, 20)
	if d > ceiling || d <= 0 {
		d = ceiling
	}
	return d/2 + time.Duration(o.opts.Jitter()*float64(d/2))
}

func (o *Outbox) reschedule(ctx context.Context, members []store.OutboxItem, next time.Time, attempts int, cause error) {
	err := o.env.Store.Update(ctx, func(tx *store.Tx) error {
		for _, mem := range members {
			if err := tx.RescheduleOutbox(mem.ID, next, attempts, cause.Error()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		o.env.Log.Error("reschedule outbox", "err", err)
	}
}

// giveUpAll gives up every queue entry of a parcel, each on its own case.
func (o *Outbox) giveUpAll(ctx context.Context, members []store.OutboxItem, cause error) {
	for _, mem := range members {
		o.giveUp(ctx, mem, cause)
	}
}

// giveUp drops an item that can never be delivered, records why on its
// case and logs it once.
func (o *Outbox) giveUp(ctx context.Context, it store.OutboxItem, cause error) {
	o.failing.Delete(it.ID)
	o.env.Log.Error("delivery abandoned", "chat", it.Chat, "kind", it.Kind, "case", it.Case, "err", cause)
	err := o.env.Store.Update(ctx, func(tx *store.Tx) error {
		// On the engine's clock, which retention counts by.
		if err := tx.DropOutboxAt(it.ID, cause.Error(), o.env.Now()); err != nil {
			return err
		}
		if it.Case == 0 {
			return nil
		}
		if it.Kind == KindAlert {
			// No card will come to edit: an edit that waited for it (with
			// the case's phone in it) must not stay behind in the state.
			if err := tx.PutState(pendingEditKey(it.Case, it.Chat), nil); err != nil {
				return err
			}
		}
		return tx.AppendEvent(&store.Event{Case: it.Case, At: o.env.Now(), Actor: env.Bot, Kind: "delivery_failed", To: it.Chat, Note: cause.Error()})
	})
	if err != nil {
		o.env.Log.Error("record abandoned delivery", "err", err)
		return
	}
	o.deadLettered(ctx, it, cause)
}

// markUnreachable records that the bot can no longer reach a chat (kicked
// from a group, blocked by a person), so it stops trying.
func (o *Outbox) markUnreachable(ctx context.Context, chat string, cause error) {
	err := o.env.Store.Update(ctx, func(tx *store.Tx) error {
		c, err := tx.Chat(chat)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			return err
		}
		c.Active, c.Updated = false, o.env.Now()
		if err := tx.PutChat(c); err != nil {
			return err
		}
		if c.Role != store.RolePrivate {
			return nil
		}
		owner, err := tx.GetState(dmOwnerKey(chat))
		if err != nil || owner == nil {
			return err
		}
		p, err := tx.Person(string(owner))
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			return err
		}
		p.Unreachable, p.Updated = true, o.env.Now()
		return tx.PutPerson(p)
	})
	if err != nil {
		o.env.Log.Error("mark chat unreachable", "chat", chat, "err", err)
		return
	}
	o.env.Log.Warn("chat unreachable, delivery stopped", "chat", chat, "err", cause)
}
