// Package reports tells the team how things stand: scheduled digests
// (summary, stale urgent cases, a public thank-you line), on-demand stats
// and the case export.
package reports

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/lifeline-aid/lifeline/bot/cards"
	"github.com/lifeline-aid/lifeline/bot/delivery"
	"github.com/lifeline-aid/lifeline/bot/env"
	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// Digest kinds.
const (
	digestSummary = "summary" // counts and medians for coordination chats
	digestStale   = "stale"   // urgent cases nobody updated for too long
	digestPublic  = "public"  // a thank-you line with counts for intake groups
)

// defaultStaleAfter is used when neither the digest nor the workflow sets
// a threshold.
const defaultStaleAfter = 2 * time.Hour

// cronParser reads the usual five fields plus descriptors (@hourly,
// @every 30m) and a CRON_TZ= prefix.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// DigestSpec is one scheduled report.
type DigestSpec struct {
	Name     string
	Schedule string // cron expression, in the engine's Location
	// Kind is "summary" (default), "stale" or "public".
	Kind string
	// To is a chat role ("coordination", "intake") or a chat ref.
	To         string
	StaleAfter time.Duration
}

// Options configure reports.
type Options struct {
	Digests []DigestSpec
	// StaleAfter is how long an open case may go without an update before
	// the stale check names it (default 2h).
	StaleAfter time.Duration
	// ExportDir is where /export writes CSV files.
	ExportDir string
}

// Reports builds digests, stats and exports.
type Reports struct {
	env   *env.Env
	cards cards.Renderer
	opts  Options
}

// New makes the reports part.
func New(e *env.Env, r cards.Renderer, o Options) *Reports {
	return &Reports{env: e, cards: r, opts: o}
}

// digestJob is a validated DigestSpec with its parsed schedule.
type digestJob struct {
	spec  DigestSpec
	sched cron.Schedule
}

// Validate checks the configured digests, so a mistake stops the bot at
// start, not at 8 pm.
func (r *Reports) Validate() error {
	_, err := r.digestJobs()
	return err
}

// digestJobs validates the configured digests, filling in defaults.
func (r *Reports) digestJobs() ([]digestJob, error) {
	var jobs []digestJob
	names := map[string]bool{}
	for i, s := range r.opts.Digests {
		if s.Name == "" {
			return nil, fmt.Errorf("digest %d: no name", i+1)
		}
		if names[s.Name] {
			return nil, fmt.Errorf("digest %q: name used twice", s.Name)
		}
		names[s.Name] = true
		if s.Kind == "" {
			s.Kind = digestSummary
		}
		switch s.Kind {
		case digestSummary, digestStale:
			if s.To == "" {
				s.To = string(store.RoleCoordination)
			}
		case digestPublic:
			if s.To == "" {
				s.To = string(store.RoleIntake)
			}
		default:
			return nil, fmt.Errorf("digest %q: unknown kind %q (want summary, stale or public)", s.Name, s.Kind)
		}
		switch store.ChatRole(s.To) {
		case store.RoleCoordination, store.RoleIntake, store.RoleBroadcast:
		default:
			if !strings.Contains(s.To, ":") {
				return nil, fmt.Errorf("digest %q: to %q is neither a chat role (coordination, intake) nor a chat (platform:id)", s.Name, s.To)
			}
		}
		if s.StaleAfter <= 0 {
			s.StaleAfter = r.StaleAfter()
		}
		sched, err := cronParser.Parse(s.Schedule)
		if err != nil {
			return nil, fmt.Errorf("digest %q: schedule %q: %w", s.Name, s.Schedule, err)
		}
		jobs = append(jobs, digestJob{spec: s, sched: sched})
	}
	return jobs, nil
}

// StaleAfter is how long an open case may go without an update before it
// counts as stale.
func (r *Reports) StaleAfter() time.Duration {
	if d := r.opts.StaleAfter; d > 0 {
		return d
	}
	return defaultStaleAfter
}

func digestKey(name string) string { return "digest:" + name }

// lastRun reads when a digest last ran; ok is false when it never did.
func lastRun(tx *store.Tx, name string) (t time.Time, ok bool, err error) {
	v, err := tx.GetState(digestKey(name))
	if err != nil || v == nil {
		return time.Time{}, false, err
	}
	t, err = time.Parse(time.RFC3339Nano, string(v))
	if err != nil {
		return time.Time{}, false, fmt.Errorf("digest %s: last run %q: %w", name, v, err)
	}
	return t, true, nil
}

// RunDue sends every scheduled digest whose next time after its
// last run has come by the engine's clock, and reports how many ran. A
// digest runs once however many of its times were missed (the bot was
// down), because its last run is then set to now. A digest that never ran
// only starts its clock, so a first start sends nothing. Run calls this;
// tests call it to drive digests with a controlled clock.
func (r *Reports) RunDue(ctx context.Context) (int, error) {
	jobs, err := r.digestJobs()
	if err != nil {
		return 0, err
	}
	ran := 0
	var errs []error
	for _, j := range jobs {
		ok, err := r.runDigestIfDue(ctx, j)
		if err != nil {
			errs = append(errs, fmt.Errorf("digest %s: %w", j.spec.Name, err))
		}
		if ok {
			ran++
		}
	}
	if ran > 0 {
		r.env.Wake()
	}
	return ran, errors.Join(errs...)
}

// runDigestIfDue builds one digest in a read-only transaction (it reads
// every case, and intake must not wait behind it), then queues it in the
// transaction that records its run, so a crash neither loses nor repeats
// it.
func (r *Reports) runDigestIfDue(ctx context.Context, j digestJob) (bool, error) {
	now := r.env.Now()
	var (
		last     time.Time
		due, had bool
		msgs     []platform.OutMessage
	)
	err := r.env.Store.View(ctx, func(tx *store.Tx) error {
		var err error
		last, had, err = lastRun(tx, j.spec.Name)
		if err != nil || had && j.sched.Next(last.In(r.env.Loc)).After(now) {
			return err
		}
		due = true
		if had {
			msgs, err = r.digestMessages(tx, j.spec, last, now)
		}
		return err
	})
	if err != nil || !due {
		return false, err
	}
	ran := false
	err = r.env.Store.Update(ctx, func(tx *store.Tx) error {
		again, ok, err := lastRun(tx, j.spec.Name)
		if err != nil || ok != had || !again.Equal(last) {
			return err // recorded meanwhile: that run queued it
		}
		for _, m := range msgs {
			dedupe := fmt.Sprintf("digest:%s:%s:%d", j.spec.Name, m.Chat, now.Unix())
			if err := delivery.Enqueue(tx, now, delivery.KindDigest, 0, m, dedupe); err != nil {
				return err
			}
		}
		if had {
			r.env.Log.Info("digest", "name", j.spec.Name, "kind", j.spec.Kind, "messages", len(msgs), "since", last)
			ran = true
		}
		return tx.PutState(digestKey(j.spec.Name), []byte(now.Format(time.RFC3339Nano)))
	})
	return ran, err
}

// nextDigestAt is the earliest time any digest is due.
func (r *Reports) nextDigestAt(ctx context.Context, jobs []digestJob) (time.Time, error) {
	now := r.env.Now()
	var next time.Time
	err := r.env.Store.View(ctx, func(tx *store.Tx) error {
		for _, j := range jobs {
			last, ok, err := lastRun(tx, j.spec.Name)
			if err != nil {
				return err
			}
			if !ok {
				last = now
			}
			if t := j.sched.Next(last.In(r.env.Loc)); next.IsZero() || t.Before(next) {
				next = t
			}
		}
		return nil
	})
	return next, err
}

// Bounds of the scheduler's sleep: it re-reads the clock at least every
// minute, so a suspended machine or a changed clock is noticed promptly.
const (
	minScheduleWait = 20 * time.Millisecond
	maxScheduleWait = time.Minute
)

// Run runs the configured digests until ctx ends. It first
// catches up on a digest missed while the bot was down (once), then sleeps
// until the next one is due.
func (r *Reports) Run(ctx context.Context) error {
	jobs, err := r.digestJobs()
	if err != nil {
		return err
	}
	if len(jobs) == 0 {
		<-ctx.Done()
		return nil
	}
	for {
		wait := maxScheduleWait
		if _, err := r.RunDue(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			r.env.Log.Error("scheduled digests", "err", err)
		} else if next, err := r.nextDigestAt(ctx, jobs); err == nil {
			wait = min(max(next.Sub(r.env.Now()), minScheduleWait), maxScheduleWait)
		} else if ctx.Err() == nil {
			r.env.Log.Error("next digest time", "err", err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// digestTargets are the chats a digest goes to.
func digestTargets(tx *store.Tx, to string) ([]*store.Chat, error) {
	switch r := store.ChatRole(to); r {
	case store.RoleCoordination, store.RoleIntake, store.RoleBroadcast:
		return env.ChatsWithRole(tx, r)
	}
	c, err := tx.Chat(to)
	if errors.Is(err, store.ErrNotFound) {
		return []*store.Chat{{Ref: to, Active: true}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read chat %s: %w", to, err)
	}
	if !c.Active {
		return nil, nil
	}
	return []*store.Chat{c}, nil
}

// digestMessages builds one digest for each of its chats, each in the
// chat's language. It returns nothing when there is nothing worth saying
// (no stale case; a quiet period for the public line).
func (r *Reports) digestMessages(tx *store.Tx, spec DigestSpec, since, now time.Time) ([]platform.OutMessage, error) {
	chats, err := digestTargets(tx, spec.To)
	if err != nil || len(chats) == 0 {
		return nil, err
	}
	var (
		st    *caseStats
		stale []*store.Case
	)
	switch spec.Kind {
	case digestStale:
		stale, err = staleUrgent(tx, now.Add(-spec.StaleAfter))
		if err != nil || len(stale) == 0 {
			return nil, err
		}
	default:
		st, err = collectStats(tx, since, now)
		if err != nil {
			return nil, err
		}
		if spec.Kind == digestPublic && st.created == 0 && st.resolved == 0 {
			return nil, nil
		}
	}
	var out []platform.OutMessage
	for _, ch := range chats {
		lang := r.env.Lang(ch)
		var text string
		switch spec.Kind {
		case digestStale:
			team := ch.Role == store.RoleCoordination
			list := stale
			if !team {
				// Someone who asked privately did not ask the public: only
				// a coordinator's /broadcast takes their case there.
				if list, err = publicCases(tx, stale); err != nil {
					return nil, err
				}
				if len(list) == 0 {
					continue
				}
			}
			text = r.staleText(list, lang, spec.StaleAfter, now, team)
		case digestPublic:
			text = r.publicText(st, lang)
		default:
			text = r.summaryText(st, lang)
		}
		out = append(out, platform.OutMessage{Chat: ch.Ref, Text: text})
	}
	return out, nil
}

// publicCases keeps the cases that were not asked in a private chat.
func publicCases(tx *store.Tx, cases []*store.Case) ([]*store.Case, error) {
	var out []*store.Case
	for _, c := range cases {
		ch, err := tx.Chat(c.SourceChat)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("read chat of case %d: %w", c.ID, err)
		}
		if ch != nil && ch.Role == store.RolePrivate {
			continue
		}
		out = append(out, c)
	}
	return out, nil
}

// staleUrgent lists open critical and high cases last updated before the
// threshold, least recently updated first.
func staleUrgent(tx *store.Tx, before time.Time) ([]*store.Case, error) {
	var out []*store.Case
	err := tx.StaleCases(before, func(c *store.Case) bool {
		if c.Urgency >= triage.High && c.Status.Open() {
			out = append(out, c)
		}
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("list stale cases: %w", err)
	}
	return out, nil
}

// staleText lists stale cases: with personal data for a coordination
// chat (team), else as public lines — any other chat may hold strangers.
func (r *Reports) staleText(cases []*store.Case, lang string, after time.Duration, now time.Time, team bool) string {
	lines := []string{i18n.T(lang, "⏰ %d urgent cases with no update for over %s:", len(cases), fmtDuration(lang, after))}
	for _, c := range cases {
		holder := i18n.T(lang, "nobody")
		switch {
		case len(c.Assignees) > 0 && team:
			holder = strings.Join(r.cards.People(c.Assignees), ", ")
		case len(c.Assignees) > 0:
			holder = i18n.T(lang, "a volunteer") // their ids are not for strangers
		}
		line := cards.PublicLine(c, lang)
		if team {
			line = cards.Line(c, lang, cards.Unmasked)
		}
		lines = append(lines, "  "+line)
		lines = append(lines, "    "+i18n.T(lang, "held by %s · no update for %s", holder, fmtDuration(lang, now.Sub(c.Updated))))
	}
	lines = append(lines, i18n.T(lang, "Claim with /claim N, or add news with /note N text."))
	return strings.Join(lines, "\n")
}

// summaryText is the coordination digest: counts only, no personal data.
func (r *Reports) summaryText(st *caseStats, lang string) string {
	lines := []string{
		i18n.T(lang, "📋 Summary %s (since %s)", r.env.Stamp(st.until), r.env.Stamp(st.since)),
		i18n.T(lang, "New: %d · Resolved: %d · Closed: %d", st.created, st.resolved, st.closed),
	}
	if st.open == 0 {
		lines = append(lines, i18n.T(lang, "No open cases."))
	} else {
		lines = append(lines,
			i18n.T(lang, "Open: %d — %s", st.open, urgencyCounts(lang, st.openByUrgency)),
			i18n.T(lang, "Open by category: %s", categoryCounts(lang, st.openByCategory)))
	}
	lines = append(lines, i18n.T(lang, "Median time to first response: %s · to resolution: %s",
		medianText(lang, st.firstResponse), medianText(lang, st.resolution)))
	return strings.Join(lines, "\n")
}

// publicText is the thank-you line for intake groups: counts only.
func (r *Reports) publicText(st *caseStats, lang string) string {
	return i18n.T(lang, "🙏 Thank you, everyone. Since %s: %d requests received, %d resolved; %d are being followed up by volunteers.",
		r.env.Stamp(st.since), st.created, st.resolved, st.open)
}

// summarySince is where an on-demand summary starts: the last scheduled
// summary, or a day ago when none ran yet.
func (r *Reports) summarySince(tx *store.Tx, now time.Time) (time.Time, error) {
	jobs, err := r.digestJobs()
	if err != nil {
		return time.Time{}, err
	}
	for _, j := range jobs {
		if j.spec.Kind != digestSummary {
			continue
		}
		last, ok, err := lastRun(tx, j.spec.Name)
		if err != nil {
			return time.Time{}, err
		}
		if ok {
			return last, nil
		}
	}
	return now.Add(-24 * time.Hour), nil
}

// Summary is the summary digest now, for /digest. It does not move the
// scheduled digest's clock, so the next scheduled one still covers its
// full period.
func (r *Reports) Summary(tx *store.Tx, lang string) (string, error) {
	now := r.env.Now()
	since, err := r.summarySince(tx, now)
	if err != nil {
		return "", err
	}
	st, err := collectStats(tx, since, now)
	if err != nil {
		return "", err
	}
	return r.summaryText(st, lang), nil
}
