package actions

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lifeline-aid/lifeline/bot/access"
	"github.com/lifeline-aid/lifeline/bot/delivery"
	"github.com/lifeline-aid/lifeline/bot/env"
	"github.com/lifeline-aid/lifeline/bot/i18n"
	"github.com/lifeline-aid/lifeline/bot/platform"
	"github.com/lifeline-aid/lifeline/store"
	"github.com/lifeline-aid/lifeline/triage"
)

// Who may do what to a case, and where. The names are the chat commands.
var (
	ClaimRule    = access.Rule{Name: "claim", Need: access.Volunteer, Where: access.WorkChats}
	AssignRule   = access.Rule{Name: "assign", Need: access.Coordinator, Where: access.WorkChats}
	VerifyRule   = access.Rule{Name: "verify", Need: access.Volunteer, Where: access.WorkChats}
	NoteRule     = access.Rule{Name: "note", Need: access.Volunteer, Where: access.WorkChats}
	StatusRule   = access.Rule{Name: "status", Need: access.Coordinator, Where: access.WorkChats}
	UrgencyRule  = access.Rule{Name: "urgency", Need: access.Coordinator, Where: access.WorkChats}
	ResolveRule  = access.Rule{Name: "resolve", Need: access.Volunteer, Where: access.WorkChats}
	CloseRule    = access.Rule{Name: "close", Need: access.Coordinator, Where: access.WorkChats}
	ReopenRule   = access.Rule{Name: "reopen", Need: access.Coordinator, Where: access.WorkChats}
	MergeRule    = access.Rule{Name: "merge", Need: access.Coordinator, Where: access.WorkChats}
	WithdrawRule = access.Rule{Name: "cancel", Need: access.Anyone, Where: access.PrivateChat}
)

// CloseReasons are the reasons a case may be closed for.
var CloseReasons = []string{"duplicate", "unreachable", "invalid", "withdrawn", "referred", "scam"}

// Statuses are the case statuses, in workflow order.
var Statuses = []store.Status{store.StatusNew, store.StatusVerifying, store.StatusVerified, store.StatusInProgress, store.StatusResolved, store.StatusClosed}

// canMove says whether a case may go from one status to another by a
// status change. Terminal states leave only through Reopen.
func canMove(from, to store.Status) bool {
	if from == to || !from.Open() {
		return false
	}
	switch to {
	case store.StatusVerifying, store.StatusVerified, store.StatusInProgress, store.StatusResolved, store.StatusClosed:
		return true
	}
	return false
}

// ParseStatus reads a status by its name ("in_progress" or "in-progress").
func ParseStatus(s string) (store.Status, bool) {
	s = strings.ToLower(strings.ReplaceAll(s, "-", "_"))
	for _, st := range Statuses {
		if string(st) == s {
			return st, true
		}
	}
	return "", false
}

// move changes the status of c and records it. A case that ends (resolved
// or closed, by whatever action) has its room closed and its broadcast
// chats told.
func (a *Actions) move(tx *store.Tx, actor access.Actor, c *store.Case, to store.Status, note string) error {
	lang := actor.Lang
	from := c.Status
	if from == to {
		return conflict(i18n.T(lang, "Case #%d is already %s.", c.ID, i18n.Status(lang, to)))
	}
	if !canMove(from, to) {
		return conflict(i18n.T(lang, "Case #%d is %s; it can't become %s. Use /reopen %d first.", c.ID, i18n.Status(lang, from), i18n.Status(lang, to), c.ID))
	}
	c.Status = to
	if !to.Open() {
		c.Finished = a.env.Now()
	}
	if err := a.event(tx, actor, c, "status", string(from), string(to), note); err != nil {
		return err
	}
	if err := a.save(tx, actor, c, "status"); err != nil {
		return err
	}
	if to.Open() {
		return nil
	}
	if err := a.rooms.Finish(tx, c, actor.Ref); err != nil {
		return err
	}
	return a.broadcastEnded(tx, c)
}

// take adds person to the holders of c. Whoever takes a new case starts by
// calling the asker, so it moves to verifying.
func (a *Actions) take(tx *store.Tx, actor access.Actor, c *store.Case, person, kind string) error {
	c.Assignees = append(c.Assignees, person)
	if err := a.event(tx, actor, c, kind, "", person, ""); err != nil {
		return err
	}
	if c.Status == store.StatusNew {
		if err := a.event(tx, actor, c, "status", string(c.Status), string(store.StatusVerifying), ""); err != nil {
			return err
		}
		c.Status = store.StatusVerifying
	}
	if err := a.save(tx, actor, c, kind); err != nil {
		return err
	}
	// The same moment matters to the case's room: let the new holder in.
	return a.rooms.Let(tx, c, person)
}

// Claim makes the actor a holder of case id.
func (a *Actions) Claim(tx *store.Tx, actor access.Actor, id int64) (*store.Case, error) {
	c, err := a.loadOpen(tx, actor, ClaimRule, id)
	if err != nil {
		return nil, err
	}
	if slices.Contains(c.Assignees, actor.Ref) {
		return nil, conflict(i18n.T(actor.Lang, "You already hold case #%d.", c.ID))
	}
	if len(c.Assignees) > 0 {
		// Two people calling the same asker without knowing of each
		// other wastes a call and confuses the asker: say who holds it,
		// to both, and let the second join only on purpose.
		holders := strings.Join(a.cards.People(c.Assignees), ", ")
		for _, h := range c.Assignees {
			lang := a.env.Language
			if p, err := tx.Person(h); err == nil && p.Language != "" {
				lang = p.Language
			}
			text := i18n.T(lang, "%s also tried to claim case #%d, which you hold. They can join you with /claim %d also.", actor.Display(), c.ID, c.ID)
			if err := delivery.TellPerson(tx, a.env.Now(), h, c.ID, text); err != nil {
				return nil, err
			}
		}
		return nil, conflict(i18n.T(actor.Lang, "Case #%d is already held by %s. To work on it with them, send /claim %d also.", c.ID, holders, c.ID))
	}
	if err := a.take(tx, actor, c, actor.Ref, "claim"); err != nil {
		return nil, err
	}
	return c, nil
}

// ClaimAlso makes the actor one more holder of case id, next to those who
// hold it already ("/claim N also").
func (a *Actions) ClaimAlso(tx *store.Tx, actor access.Actor, id int64) (*store.Case, error) {
	c, err := a.loadOpen(tx, actor, ClaimRule, id)
	if err != nil {
		return nil, err
	}
	if slices.Contains(c.Assignees, actor.Ref) {
		return nil, conflict(i18n.T(actor.Lang, "You already hold case #%d.", c.ID))
	}
	if err := a.take(tx, actor, c, actor.Ref, "claim"); err != nil {
		return nil, err
	}
	return c, nil
}

// Assigned is a case given to a person.
type Assigned struct {
	Case   *store.Case
	Person *store.Person
	// Told says whether they were told privately (the bot has a private
	// chat with them).
	Told bool
}

// Assign makes who (a "platform:id", an "@handle", an id or a display
// name only one person of the team carries) a holder of case id and tells
// them privately. Someone who is not a volunteer is refused: holders see
// the case unmasked and join its room (AssignAnyway overrides this).
func (a *Actions) Assign(tx *store.Tx, actor access.Actor, id int64, who string) (*Assigned, error) {
	return a.assign(tx, actor, id, who, false)
}

// AssignAnyway is Assign for a person who is not a registered volunteer,
// when the coordinator says so explicitly ("/assign N @x anyway").
func (a *Actions) AssignAnyway(tx *store.Tx, actor access.Actor, id int64, who string) (*Assigned, error) {
	return a.assign(tx, actor, id, who, true)
}

func (a *Actions) assign(tx *store.Tx, actor access.Actor, id int64, who string, anyway bool) (*Assigned, error) {
	c, err := a.loadOpen(tx, actor, AssignRule, id)
	if err != nil {
		return nil, err
	}
	p, err := a.person(tx, actor, who)
	if err != nil {
		return nil, err
	}
	if !anyway && access.LevelOf(a.env, p) < access.Volunteer {
		return nil, a.refuse(actor, AssignRule.Name, i18n.T(actor.Lang, "%s is not a registered volunteer, and whoever holds a case sees the asker's phone and address. If you mean it, send /assign %d %s anyway.",
			access.Named(p), c.ID, p.Ref))
	}
	if slices.Contains(c.Assignees, p.Ref) {
		return nil, conflict(i18n.T(actor.Lang, "%s already holds case #%d.", access.DisplayName(p), c.ID))
	}
	if err := a.take(tx, actor, c, p.Ref, "assign"); err != nil {
		return nil, err
	}
	text := i18n.T(i18n.LangOf(p, actor.Lang), "You were assigned case #%d by %s. Send /case %d in the volunteers' chat for details.", c.ID, actor.Display(), c.ID)
	told, err := delivery.PrivateChat(tx, p.Ref)
	if err != nil {
		return nil, err
	}
	if err := delivery.TellPerson(tx, a.env.Now(), p.Ref, c.ID, text); err != nil {
		return nil, err
	}
	return &Assigned{Case: c, Person: p, Told: told != ""}, nil
}

// Verify marks case id verified (after calling the asker).
func (a *Actions) Verify(tx *store.Tx, actor access.Actor, id int64, note string) (*store.Case, error) {
	c, err := a.load(tx, actor, VerifyRule, id)
	if err != nil {
		return nil, err
	}
	if err := a.move(tx, actor, c, store.StatusVerified, note); err != nil {
		return nil, err
	}
	return c, nil
}

// Note adds a note to case id.
func (a *Actions) Note(tx *store.Tx, actor access.Actor, id int64, note string) (*store.Case, error) {
	c, err := a.load(tx, actor, NoteRule, id)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(note) == "" {
		return nil, invalid(i18n.T(actor.Lang, "A note needs some text."))
	}
	if err := a.event(tx, actor, c, "note", "", "", note); err != nil {
		return nil, err
	}
	if err := a.save(tx, actor, c, "note"); err != nil {
		return nil, err
	}
	return c, nil
}

// SetStatus moves case id to an open status or to resolved; closing takes
// a reason and goes through Close.
func (a *Actions) SetStatus(tx *store.Tx, actor access.Actor, id int64, to store.Status, note string) (*store.Case, error) {
	c, err := a.load(tx, actor, StatusRule, id)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(Statuses, to) {
		return nil, invalid(i18n.T(actor.Lang, "%q is not a status.", string(to)))
	}
	if to == store.StatusClosed {
		return nil, a.refuse(actor, StatusRule.Name, i18n.T(actor.Lang, "Use /close %d <reason> to close a case.", c.ID))
	}
	if err := a.move(tx, actor, c, to, note); err != nil {
		return nil, err
	}
	return c, nil
}

// UrgencyChange is an urgency set by hand.
type UrgencyChange struct {
	Case     *store.Case
	From, To triage.Urgency
}

// SetUrgency overrides the triage's urgency of case id, with a reason.
func (a *Actions) SetUrgency(tx *store.Tx, actor access.Actor, id int64, to triage.Urgency, reason string) (*UrgencyChange, error) {
	c, err := a.load(tx, actor, UrgencyRule, id)
	if err != nil {
		return nil, err
	}
	if to <= triage.None || to > triage.Critical {
		return nil, invalid(i18n.T(actor.Lang, "%q is not an urgency (critical, high, normal).", to.String()))
	}
	if to == c.Urgency && !c.UrgencyUnknown {
		return nil, conflict(i18n.T(actor.Lang, "Case #%d is already %s.", c.ID, i18n.Urgency(actor.Lang, to)))
	}
	from := c.Urgency
	// A volunteer who set it knows it: a voice plea's stand-in ends here.
	c.Urgency, c.UrgencyUnknown = to, false
	c.Override = &store.Override{From: from.String(), To: to.String(), Reason: reason, By: actor.Ref, At: a.env.Now()}
	if err := a.event(tx, actor, c, "urgency", from.String(), to.String(), reason); err != nil {
		return nil, err
	}
	if err := a.save(tx, actor, c, "urgency"); err != nil {
		return nil, err
	}
	return &UrgencyChange{Case: c, From: from, To: to}, nil
}

// Resolve marks case id resolved. A coordinator may resolve any case, a
// volunteer the cases they hold.
func (a *Actions) Resolve(tx *store.Tx, actor access.Actor, id int64, note string) (*store.Case, error) {
	c, err := a.load(tx, actor, ResolveRule, id)
	if err != nil {
		return nil, err
	}
	if actor.Level < access.Coordinator && !slices.Contains(c.Assignees, actor.Ref) {
		return nil, a.refuse(actor, ResolveRule.Name, i18n.T(actor.Lang, "Only a coordinator or someone holding case #%d can resolve it.", c.ID))
	}
	if err := a.move(tx, actor, c, store.StatusResolved, note); err != nil {
		return nil, err
	}
	return c, nil
}

// Close closes case id for one of CloseReasons, with an optional note.
func (a *Actions) Close(tx *store.Tx, actor access.Actor, id int64, reason, note string) (*store.Case, error) {
	c, err := a.load(tx, actor, CloseRule, id)
	if err != nil {
		return nil, err
	}
	reason = strings.ToLower(reason)
	if !slices.Contains(CloseReasons, reason) {
		return nil, invalid(i18n.T(actor.Lang, "%q is not a close reason (%s).", reason, strings.Join(CloseReasons, ", ")))
	}
	c.CloseReason = reason
	if err := a.move(tx, actor, c, store.StatusClosed, strings.TrimSpace(reason+" "+note)); err != nil {
		return nil, err
	}
	return c, nil
}

// Reopen returns a finished case to verifying.
func (a *Actions) Reopen(tx *store.Tx, actor access.Actor, id int64, note string) (*store.Case, error) {
	c, err := a.load(tx, actor, ReopenRule, id)
	if err != nil {
		return nil, err
	}
	if c.Status.Open() {
		return nil, conflict(i18n.T(actor.Lang, "Case #%d is still open (%s).", c.ID, i18n.Status(actor.Lang, c.Status)))
	}
	from := c.Status
	c.Status, c.CloseReason, c.Finished, c.MergedInto = store.StatusVerifying, "", time.Time{}, 0
	if err := a.event(tx, actor, c, "status", string(from), string(c.Status), "reopen "+note); err != nil {
		return nil, err
	}
	if err := a.save(tx, actor, c, "reopen"); err != nil {
		return nil, err
	}
	return c, nil
}

// Merged is a duplicate case folded into another.
type Merged struct {
	Dup, Into *store.Case
}

// Merge folds case dupID into case intoID: its texts, phones and holders
// join the target, the higher urgency wins, and the duplicate is closed.
func (a *Actions) Merge(tx *store.Tx, actor access.Actor, dupID, intoID int64) (*Merged, error) {
	dup, err := a.load(tx, actor, MergeRule, dupID)
	if err != nil {
		return nil, err
	}
	into, err := a.read(tx, actor, intoID)
	if err != nil {
		return nil, err
	}
	lang := actor.Lang
	if dup.ID == into.ID {
		return nil, invalid(i18n.T(lang, "A case can't be merged into itself."))
	}
	if !into.Status.Open() {
		return nil, conflict(i18n.T(lang, "Case #%d is %s; merge into an open case.", into.ID, i18n.Status(lang, into.Status)))
	}
	if !dup.Status.Open() {
		return nil, conflict(i18n.T(lang, "Case #%d is %s.", dup.ID, i18n.Status(lang, dup.Status)))
	}
	if _, err := tx.MergeSources(dup.ID, into.ID); err != nil {
		return nil, fmt.Errorf("merge sources of #%d into #%d: %w", dup.ID, into.ID, err)
	}
	into.Phones = env.Union(into.Phones, dup.Phones)
	into.Assignees = env.Union(into.Assignees, dup.Assignees)
	if dup.Urgency > into.Urgency {
		into.Urgency = dup.Urgency
	}
	if err := a.event(tx, actor, into, "merged", fmt.Sprint(dup.ID), fmt.Sprint(into.ID), ""); err != nil {
		return nil, err
	}
	if err := a.save(tx, actor, into, "merge"); err != nil {
		return nil, err
	}
	dup.MergedInto, dup.CloseReason = into.ID, "duplicate"
	if err := a.move(tx, actor, dup, store.StatusClosed, fmt.Sprintf("duplicate of #%d", into.ID)); err != nil {
		return nil, err
	}
	return &Merged{Dup: dup, Into: into}, nil
}

// Withdraw closes the actor's own open request id at their wish, and
// tells the coordination chats when volunteers may be on their way.
func (a *Actions) Withdraw(tx *store.Tx, actor access.Actor, id int64) (*store.Case, error) {
	if err := a.allow(actor, WithdrawRule); err != nil {
		return nil, err
	}
	c, err := tx.Case(id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("read case %d: %w", id, err)
	}
	if c == nil || c.Asker != actor.Ref || !c.Status.Open() {
		return nil, notFound(i18n.T(actor.Lang, "You have no open request #%d.", id))
	}
	c.CloseReason = "withdrawn"
	if err := a.move(tx, actor, c, store.StatusClosed, "withdrawn by the asker"); err != nil {
		return nil, err
	}
	if len(c.Assignees) == 0 && c.Urgency < a.opts.AlertAt {
		return c, nil
	}
	coordination, err := env.ChatsWithRole(tx, store.RoleCoordination)
	if err != nil {
		return nil, err
	}
	for _, ch := range coordination {
		out := platform.OutMessage{Chat: ch.Ref, Text: i18n.T(a.env.Lang(ch), "Case #%d was withdrawn by the asker.", c.ID)}
		if err := delivery.Enqueue(tx, a.env.Now(), delivery.KindNotice, c.ID, out, ""); err != nil {
			return nil, err
		}
	}
	return c, nil
}
